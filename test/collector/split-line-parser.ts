// The split-based line parser as it was before the single-pass rewrite of
// src/collector/line-parser.ts (commit 5f02cc1), kept as the reference that the differential
// test holds the new parser to, malformed reasons included. Updated for protocol 2 (byte
// strings as hex words instead of `\xNN`) with its own plain decoder, not the parser's, and for
// protocol 3 (exec context and environment, connect source and capabilities, accept, disconnect,
// setuid/setgid, setpgid, module), reading fields in the same order as the parser so the first
// bad field it names is the same.
import type { Line, MalformedLine } from '../../src/collector/line.js';
import type { Capabilities, Credentials, SocketType } from '../../src/collector/raw-event.js';

class Bad extends Error {}

function malformed(reason: string): MalformedLine {
  return { kind: 'malformed', reason };
}

/** Decimal integer without a regex (hot path); NaN unless the whole field is [-]digits. */
function parseDecimal(s: string | undefined): number {
  if (s === undefined) return Number.NaN;
  const n = s.length;
  let i = s.charCodeAt(0) === 45 ? 1 : 0;
  if (i === n || n - i > 16) return Number.NaN;
  let v = 0;
  for (; i < n; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return Number.NaN;
    v = v * 10 + d;
  }
  return s.charCodeAt(0) === 45 ? -v : v;
}

function int(f: string[], i: number): number {
  const v = parseDecimal(f[i]);
  if (!Number.isSafeInteger(v))
    throw new Bad(`field ${i} is not an integer: ${JSON.stringify(f[i]?.slice(0, 30))}`);
  return v;
}

function uint(f: string[], i: number): number {
  const v = int(f, i);
  if (v < 0) throw new Bad(`field ${i} is negative: ${v}`);
  return v;
}

function big(f: string[], i: number): bigint {
  const s = f[i];
  if (s === undefined || s.length === 0 || s.length > 20 || !Number.isInteger(parseDecimal(s.slice(0, 16)))) {
    throw new Bad(`field ${i} is not an unsigned integer`);
  }
  if (s.charCodeAt(0) === 45) throw new Bad(`field ${i} is negative`);
  for (let k = 16; k < s.length; k++) {
    const d = s.charCodeAt(k) - 48;
    if (d < 0 || d > 9) throw new Bad(`field ${i} is not an unsigned integer`);
  }
  return BigInt(s);
}

/** bytes of `%016llx` little-endian words: each 16-digit group, byte-reversed */
function words(s: string, n: number): Uint8Array | undefined {
  if (s.length % 16 !== 0 || n > s.length / 2 || !/^[0-9a-fA-F]*$/.test(s)) return undefined;
  const out: number[] = [];
  for (let w = 0; w < s.length; w += 16) {
    for (let j = 7; j >= 0; j--) out.push(Number.parseInt(s.slice(w + 2 * j, w + 2 * j + 2), 16));
  }
  return new Uint8Array(out.slice(0, n));
}

function comm(f: string[], i: number): Uint8Array {
  const s = f[i] ?? '';
  const b = s.length === 32 ? words(s, 16) : undefined;
  if (b === undefined) throw new Bad(`field ${i} is not two hex words`);
  return b;
}

function chunk(f: string[], len: number, w = 5): Uint8Array {
  if (len === 0 || len > 200) throw new Bad(`chunk length ${len} is not 1 to 200`);
  const whole = len - (len % 8);
  const head = words(f[w] ?? '', whole);
  if (head === undefined) throw new Bad(`field ${w} is not hex words holding ${whole} bytes`);
  const tail = (f[w + 1] ?? '').length === 16 ? words(f[w + 1]!, len - whole) : undefined;
  if (tail === undefined) throw new Bad(`field ${w + 1} is not a hex tail word`);
  const out = new Uint8Array(len);
  out.set(head);
  out.set(tail, whole);
  return out;
}

function mask(f: string[], i: number): bigint {
  const s = f[i] ?? '';
  if (!/^[0-9a-f]{1,16}$/.test(s)) throw new Bad(`field ${i} is not a hex mask`);
  return BigInt(`0x${s}`);
}

function address(f: string[], i: number, name = 'connect'): string {
  const a = f[i] ?? '';
  if (!/^[0-9a-fA-F:.]+$/.test(a)) throw new Bad(`${name} address is not an IP address`);
  return a;
}

function port(f: string[], i: number, name: string): number {
  const v = uint(f, i);
  if (v > 65535) throw new Bad(`${name} port ${v} out of range`);
  return v;
}

function family(f: string[], name: string): 'ipv4' | 'ipv6' {
  const fam = uint(f, 9);
  if (fam !== 4 && fam !== 6) throw new Bad(`${name} family ${fam} is not 4 or 6`);
  return fam === 4 ? 'ipv4' : 'ipv6';
}

function proc(f: string[]): { ktimeNs: number; tid: number; pid: number; startNs: bigint } {
  return { ktimeNs: uint(f, 1), tid: uint(f, 2), pid: uint(f, 3), startNs: big(f, 4) };
}

function creds(f: string[]): Credentials {
  return { uid: uint(f, 5), gid: uint(f, 6), euid: uint(f, 7), egid: uint(f, 8) };
}

function caps(f: string[], i: number): Capabilities {
  return { capEffective: mask(f, i), capPermitted: mask(f, i + 1) };
}

function arity(f: string[], n: number, kind: string): void {
  if (f.length !== n) throw new Bad(`${kind} line has ${f.length} fields, expected ${n}`);
}

const SOCKET_TYPES: Record<number, SocketType> = { 1: 'stream', 2: 'dgram' };

// sock_type values from include/linux/net.h (SOCK_STREAM 1, SOCK_DGRAM 2)
function socketType(v: number): SocketType {
  return SOCKET_TYPES[v] ?? 'other';
}

/** Decodes a wait status (include/uapi/linux/wait.h): the exit status byte and the signal. */
export function decodeWaitStatus(status: number): { exitCode: number; signal?: number } {
  const sig = status & 0x7f;
  if (sig === 0) return { exitCode: (status >> 8) & 0xff };
  return { exitCode: (status >> 8) & 0xff, signal: sig };
}

function parseFields(f: string[]): Line {
  const kind = f[0];
  switch (kind) {
    case 'exec': {
      arity(f, 27, kind);
      const ttyMajor = int(f, 18);
      const envSeen = uint(f, 24);
      const envCount = uint(f, 25);
      if (envCount > envSeen)
        throw new Bad(`exec env count ${envCount} is above the variables seen, ${envSeen}`);
      return {
        kind: 'exec',
        ktimeNs: uint(f, 1),
        tid: uint(f, 2),
        pid: uint(f, 3),
        ppid: uint(f, 4),
        uid: uint(f, 5),
        gid: uint(f, 6),
        euid: uint(f, 7),
        egid: uint(f, 8),
        sid: int(f, 9),
        startNs: big(f, 10),
        parentStartNs: big(f, 11),
        cgroupId: big(f, 12),
        filenameBytes: uint(f, 13),
        argvTotalBytes: uint(f, 14),
        argvBytes: uint(f, 15),
        comm: comm(f, 16),
        argc: uint(f, 17),
        ttyMajor,
        ttyMinor: int(f, 19),
        capEffective: mask(f, 20),
        capPermitted: mask(f, 21),
        pidNs: uint(f, 22),
        mntNs: uint(f, 23),
        envSeen,
        envCount,
        cwdLines: uint(f, 26),
      };
    }
    case 'exec_env': {
      arity(f, 8, kind);
      const total = uint(f, 4);
      const len = uint(f, 5);
      if (len > total) throw new Bad(`exec_env length ${len} is above the total ${total}`);
      return {
        kind,
        ktimeNs: uint(f, 1),
        tid: uint(f, 2),
        index: uint(f, 3),
        totalBytes: total,
        bytes: chunk(f, len, 6),
      };
    }
    case 'exec_fn':
    case 'exec_arg':
      arity(f, 7, kind);
      return { kind, ktimeNs: uint(f, 1), tid: uint(f, 2), offset: uint(f, 3), bytes: chunk(f, uint(f, 4)) };
    case 'fork': {
      arity(f, 7, kind);
      const parentTid = uint(f, 2);
      const parentPid = uint(f, 3);
      return {
        kind: 'event',
        event: {
          kind: 'fork',
          ktimeNs: uint(f, 1),
          // 0: the child was created before the probes attached; the leader is the best guess
          parentTid: parentTid === 0 ? parentPid : parentTid,
          parentPid,
          parentStartNs: big(f, 4),
          childPid: uint(f, 5),
          childStartNs: big(f, 6),
        },
      };
    }
    case 'exit': {
      arity(f, 6, kind);
      return {
        kind: 'event',
        event: {
          kind: 'exit',
          ktimeNs: uint(f, 1),
          tid: uint(f, 2),
          pid: uint(f, 3),
          startNs: big(f, 4),
          ...decodeWaitStatus(int(f, 5)),
        },
      };
    }
    case 'connect':
    case 'tcpsyn': {
      const syn = kind === 'tcpsyn';
      arity(f, syn ? 17 : 19, kind);
      const fam = family(f, kind);
      const pf = syn ? 10 : 11;
      const sf = syn ? 12 : 14;
      const daddr = address(f, pf + 1);
      const dport = port(f, pf, kind);
      const saddr = address(f, sf + 1);
      const sport = port(f, sf, kind);
      const event = {
        kind: 'connect' as const,
        ...proc(f),
        ...creds(f),
        family: fam,
        socketType: syn ? ('stream' as const) : socketType(int(f, 10)),
        daddr,
        dport,
        ret: syn ? -115 : int(f, 13),
        saddr,
        sport,
        ...caps(f, sf + 2),
        ...(syn ? { source: 'inet_sock_set_state' as const } : {}),
      };
      return { kind: 'event-comm', event, comm: comm(f, syn ? 16 : 18) };
    }
    case 'accept': {
      arity(f, 17, kind);
      const fam = family(f, kind);
      return {
        kind: 'event-comm',
        event: {
          kind,
          ...proc(f),
          ...creds(f),
          ...caps(f, 14),
          family: fam,
          lport: port(f, 10, kind),
          laddr: address(f, 11, kind),
          rport: port(f, 12, kind),
          raddr: address(f, 13, kind),
        },
        comm: comm(f, 16),
      };
    }
    case 'disconnect': {
      arity(f, 19, kind);
      const fam = family(f, kind);
      return {
        kind: 'event-comm',
        event: {
          kind,
          ...proc(f),
          ...creds(f),
          ...caps(f, 16),
          family: fam,
          sport: port(f, 10, kind),
          saddr: address(f, 11, kind),
          dport: port(f, 12, kind),
          daddr: address(f, 13, kind),
          bytesSent: big(f, 14),
          bytesReceived: big(f, 15),
        },
        comm: comm(f, 18),
      };
    }
    case 'setuid':
    case 'setgid':
      arity(f, 12, kind);
      return {
        kind: 'event-comm',
        event: { kind, ...proc(f), ...creds(f), ...caps(f, 9) },
        comm: comm(f, 11),
      };
    case 'chdir':
      arity(f, 6, kind);
      return {
        kind,
        ktimeNs: uint(f, 1),
        tid: uint(f, 2),
        pid: uint(f, 3),
        startNs: big(f, 4),
        lines: uint(f, 5),
      };
    case 'setpgid':
      arity(f, 8, kind);
      return {
        kind: 'event',
        event: { kind, ...proc(f), targetPid: int(f, 5), pgid: int(f, 6), callerPgid: int(f, 7) },
      };
    case 'module': {
      arity(f, 16, kind);
      const len = uint(f, 13);
      if (len > 56) throw new Bad(`module name length ${len} is above 56`);
      const bytes = len === 0 ? new Uint8Array(0) : chunk(f, len, 14);
      const nul = bytes.indexOf(0);
      const name = Buffer.from(nul < 0 ? bytes : bytes.subarray(0, nul)).toString('utf8');
      return {
        kind: 'event-comm',
        event: { kind, ...proc(f), ...creds(f), ...caps(f, 10), taints: uint(f, 9), name },
        comm: comm(f, 12),
      };
    }
    case 'setsid':
      arity(f, 11, kind);
      return {
        kind: 'event-comm',
        event: {
          kind: 'setsid',
          ktimeNs: uint(f, 1),
          tid: uint(f, 2),
          pid: uint(f, 3),
          startNs: big(f, 4),
          uid: uint(f, 5),
          gid: uint(f, 6),
          euid: uint(f, 7),
          egid: uint(f, 8),
          ret: int(f, 9),
        },
        comm: comm(f, 10),
      };
    case 'hello': {
      // an optional trailing pid: bpftrace's, as the kernel numbers it
      if (f.length !== 5) arity(f, 4, kind);
      const hello = {
        kind: 'hello' as const,
        version: uint(f, 1),
        ktimeNs: uint(f, 2),
        argvBytes: uint(f, 3),
      };
      return f.length === 5 ? { ...hello, pid: uint(f, 4) } : hello;
    }
    case 'ready':
      // an optional trailing pid: the pinger's (eqld), as the kernel numbers it
      if (f.length === 3) return { kind, ktimeNs: uint(f, 1), pid: uint(f, 2) };
      arity(f, 2, kind);
      return { kind, ktimeNs: uint(f, 1) };
    case 'counters':
      arity(f, 2, kind);
      return { kind, ktimeNs: uint(f, 1) };
    default:
      return malformed(`unknown line type ${JSON.stringify(String(kind).slice(0, 20))}`);
  }
}

const ATTACHING = /^Attaching (\d+) probes?\.\.\.$/;
const LOST = /^Lost (\d+) events$/;
const COUNTER = /^@([A-Za-z_][A-Za-z0-9_]*): (-?\d+)$/;

/** Parses one line (without its trailing newline). Never throws. */
export function parseLine(line: string): Line {
  const c = line.charCodeAt(0);
  if (line.length === 0 || ((c === 32 || c === 9 || c === 13) && line.trim().length === 0))
    return { kind: 'blank' };
  // bpftrace's own notices start with an upper-case letter or '@'; events with lower case
  if (c >= 65 && c <= 90) {
    const a = ATTACHING.exec(line);
    if (a) return { kind: 'attaching', probes: Number(a[1]) };
    const l = LOST.exec(line);
    if (l) return { kind: 'lost', count: Number(l[1]) };
    return malformed('unrecognized bpftrace notice');
  }
  if (c === 64) {
    const m = COUNTER.exec(line);
    if (m) return { kind: 'counter', name: m[1]!, value: Number(m[2]) };
    return malformed('unrecognized map line');
  }
  try {
    return parseFields(line.split(' '));
  } catch (error) {
    if (error instanceof Bad) return malformed(error.message);
    return malformed(`unexpected parse failure: ${String(error)}`);
  }
}
