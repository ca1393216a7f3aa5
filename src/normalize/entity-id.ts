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

/** Inverse of entityId, for debugging and tests; undefined when the id is not ours. */
export function decodeEntityId(
  id: string,
): { hostId: string; bootId: string; pid: number; startTicks: number } | undefined {
  const m = /^([0-9a-f]{32})-([0-9a-f]{32})-(\d+)-(\d+)$/.exec(Buffer.from(id, 'base64').toString('latin1'));
  if (!m) return undefined;
  return { hostId: m[1] as string, bootId: m[2] as string, pid: Number(m[3]), startTicks: Number(m[4]) };
}
