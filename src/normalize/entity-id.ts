// process.entity_id from kernel facts only: host id, boot id, pid and the group leader's start
// time in clock ticks (what /proc/PID/stat field 22 reports), so an id computed from an exec
// event and one computed from /proc for the same process are equal. See docs/entity-id.md.

/** ns since boot (task->group_leader->start_boottime) -> clock ticks, truncated like procfs */
export function startTicksFromNs(startNs: bigint, clkTck = 100): number {
  const tickNs = 1_000_000_000 / clkTck;
  const n = Number(startNs);
  // below 2^53 (104 days of uptime) the number is exact: integer arithmetic in doubles, with the
  // rounded quotient corrected by the exact products (no BigInt division per event)
  if (n < 2 ** 53 && Number.isInteger(tickNs)) {
    let q = Math.floor(n / tickNs);
    if (q * tickNs > n) q--;
    else if ((q + 1) * tickNs <= n) q++;
    return q;
  }
  return Number(startNs / BigInt(Math.round(tickNs)));
}

/**
 * base64("<host id>-<boot id without dashes>-<pid>-<start ticks>"): Elastic Defend's shape
 * (base64 of "<agent id>-<pid>-<start>") with the boot id added, so ids never repeat across boots.
 */
export function entityId(hostId: string, bootId: string, pid: number, startTicks: number): string {
  return Buffer.from(`${hostId}-${bootId.replaceAll('-', '')}-${pid}-${startTicks}`, 'latin1').toString(
    'base64',
  );
}

/** A bound id function for one host and boot. */
export type EntityIdFn = (pid: number, startTicks: number) => string;

export function entityIdFor(hostId: string, bootId: string): EntityIdFn {
  const prefix = `${hostId}-${bootId.replaceAll('-', '')}-`;
  return (pid, startTicks) => Buffer.from(`${prefix}${pid}-${startTicks}`, 'latin1').toString('base64');
}

/**
 * entityIdFor with the per-boot prefix written once into a reused buffer: an id writes only the
 * digits of its pid and start ticks after it and comes out as one flat string (no string pieces
 * or Buffer per id). The normalizer encodes every id it emits this way.
 */
export function entityIdEncoder(hostId: string, bootId: string): EntityIdFn {
  const prefix = `${hostId}-${bootId.replaceAll('-', '')}-`;
  // latin1: one byte per character; 16 digits each for pid and ticks, and the dash
  const buf = Buffer.alloc(prefix.length + 33);
  const start = buf.write(prefix, 0, 'latin1');
  const slow = entityIdFor(hostId, bootId);
  return (pid, startTicks) => {
    if (!(pid >= 0 && startTicks >= 0 && Number.isSafeInteger(pid) && Number.isSafeInteger(startTicks))) {
      return slow(pid, startTicks);
    }
    let at = writeDecimal(buf, start, pid);
    buf[at++] = 45; // '-'
    at = writeDecimal(buf, at, startTicks);
    return buf.toString('base64', 0, at);
  };
}

/** Writes the decimal digits of a non-negative safe integer at `at`; returns the end. */
function writeDecimal(buf: Buffer, at: number, n: number): number {
  let digits = 1;
  for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++;
  const end = at + digits;
  let x = n;
  for (let i = end - 1; i >= at; i--) {
    const q = Math.floor(x / 10);
    buf[i] = 48 + (x - q * 10);
    x = q;
  }
  return end;
}

/**
 * An entity id in two parts: base64 encodes each 3 bytes on their own, so the base64 of the
 * per-boot prefix cut at a multiple of 3 bytes is the head of every id of this boot, and the
 * rest (the 0-2 prefix bytes left over, pid and start ticks) encodes to a short per-process
 * tail. head + tail(pid, ticks) === entityId(hostId, bootId, pid, ticks), always. The process
 * table keeps only tails (about 20 characters instead of over 100 per process).
 */
export interface EntityIdParts {
  head: string;
  tail: (pid: number, startTicks: number) => string;
}

export function entityIdParts(hostId: string, bootId: string): EntityIdParts {
  const prefix = `${hostId}-${bootId.replaceAll('-', '')}-`;
  const cut = prefix.length - (prefix.length % 3);
  const rest = prefix.slice(cut);
  return {
    head: Buffer.from(prefix.slice(0, cut), 'latin1').toString('base64'),
    tail: (pid, startTicks) => base64Latin1(`${rest}${pid}-${startTicks}`),
  };
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_CODES = Array.from(B64, (c) => c.charCodeAt(0));
const PAD = 61; // '='

/**
 * Buffer.from(s, 'latin1').toString('base64') for a short string, without a Buffer per call
 * (one flat string, built from char codes; latin1 keeps the low byte of each code).
 */
export function base64Latin1(s: string): string {
  const n = s.length;
  const out: number[] = [];
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v =
      ((s.charCodeAt(i) & 255) << 16) | ((s.charCodeAt(i + 1) & 255) << 8) | (s.charCodeAt(i + 2) & 255);
    out.push(
      B64_CODES[v >> 18] as number,
      B64_CODES[(v >> 12) & 63] as number,
      B64_CODES[(v >> 6) & 63] as number,
      B64_CODES[v & 63] as number,
    );
  }
  if (i < n) {
    const two = i + 1 < n;
    const v = ((s.charCodeAt(i) & 255) << 16) | (two ? (s.charCodeAt(i + 1) & 255) << 8 : 0);
    out.push(
      B64_CODES[v >> 18] as number,
      B64_CODES[(v >> 12) & 63] as number,
      two ? (B64_CODES[(v >> 6) & 63] as number) : PAD,
      PAD,
    );
  }
  return String.fromCharCode(...out);
}

/** Inverse of entityId, for debugging and tests; undefined when the id is not ours. */
export function decodeEntityId(
  id: string,
): { hostId: string; bootId: string; pid: number; startTicks: number } | undefined {
  const m = /^([0-9a-f]{32})-([0-9a-f]{32})-(\d+)-(\d+)$/.exec(Buffer.from(id, 'base64').toString('latin1'));
  if (!m) return undefined;
  return { hostId: m[1] as string, bootId: m[2] as string, pid: Number(m[3]), startTicks: Number(m[4]) };
}
