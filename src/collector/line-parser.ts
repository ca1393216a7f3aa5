// parseLine: one bpftrace output line -> a typed `Line` (bpf/FORMAT.md). Pure and total:
// any input, however hostile or truncated, yields a value (`malformed` with a reason),
// never an exception. Re-assembly of multi-line execs is the assembler's job.
// Hot path (one call per kernel line): the line is scanned once for its field boundaries
// and fields are decoded in place (numbers, hex words) without splitting it into strings.
import { decodeHexWordsInto, decodeUtf8, untilNul } from './hex.js';
import type { Line } from './line.js';
import {
  arity,
  Bad,
  big,
  comm,
  endLine,
  fieldEnd,
  fieldStart,
  fieldsInLine,
  int,
  is,
  L,
  malformed,
  scan,
  text,
  uint,
} from './line-fields.js';
import { CHUNK_BYTES } from './program.js';
import type { Capabilities, ConnectEvent, Credentials, SocketType } from './raw-event.js';

/** A 64-bit bitmask printed `%llx` (no leading zeros): 1 to 16 hex digits. */
// the last capability masks read (text and value): a line carries two, and processes share a
// handful of sets, so most masks are one of the last few read
const MASK_MEMO = 4;
const maskText: string[] = new Array<string>(MASK_MEMO).fill('');
const maskValue: bigint[] = new Array<bigint>(MASK_MEMO).fill(0n);
let maskNext = 0;

function mask(i: number): bigint {
  const a = fieldStart[i]!;
  const b = fieldEnd[i]!;
  if (b === a || b - a > 16) throw new Bad(`field ${i} is not a hex mask`);
  for (let k = 0; k < MASK_MEMO; k++) {
    const t = maskText[k]!;
    if (t.length === b - a && L.startsWith(t, a)) return maskValue[k]!;
  }
  for (let k = a; k < b; k++) {
    const c = L.charCodeAt(k);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) throw new Bad(`field ${i} is not a hex mask`);
  }
  const text = L.slice(a, b);
  const value = BigInt(`0x${text}`);
  maskText[maskNext] = text;
  maskValue[maskNext] = value;
  maskNext = (maskNext + 1) % MASK_MEMO;
  return value;
}

// exec chunk bytes of parseLineTransient: decoded into this buffer, reused by the next call
// (a chunk is up to 200 bytes; a fresh Uint8Array of that size is an off-heap allocation
// that the garbage collector has to finalize, per line)
const SCRATCH = new Uint8Array(CHUNK_BYTES);
let transient = false;

/**
 * The `len` bytes of an exec chunk: the whole words in field `w`, the last `len % 8` bytes
 * in the tail word of field `w + 1` (see hexWordArgs in program.ts).
 */
function chunkBytes(len: number, w: number): Uint8Array {
  if (len === 0 || len > CHUNK_BYTES) throw new Bad(`chunk length ${len} is not 1 to ${CHUNK_BYTES}`);
  const out = transient ? SCRATCH.subarray(0, len) : new Uint8Array(len);
  const whole = len & ~7;
  const ws = fieldStart[w]!;
  const te = fieldEnd[w + 1]!;
  const ts = fieldStart[w + 1]!;
  if (!decodeHexWordsInto(L, ws, fieldEnd[w]!, whole, out)) {
    throw new Bad(`field ${w} is not hex words holding ${whole} bytes`);
  }
  // the tail word holds its bytes from the least significant one up
  if (te - ts !== 16 || !decodeHexWordsInto(L, ts, te, len - whole, out, whole)) {
    throw new Bad(`field ${w + 1} is not a hex tail word`);
  }
  return out;
}

/** An IP address as ntop prints it: [0-9a-fA-F:.]+ (`name` says whose, in the reason) */
function address(i: number, name = 'connect'): string {
  const s = L;
  const a = fieldStart[i]!;
  const b = fieldEnd[i]!;
  if (a === b) throw new Bad(`${name} address is not an IP address`);
  for (let k = a; k < b; k++) {
    const c = s.charCodeAt(k);
    // 0-9 . : A-F a-f
    if (!((c >= 48 && c <= 58) || c === 46 || (c >= 65 && c <= 70) || (c >= 97 && c <= 102)))
      throw new Bad(`${name} address is not an IP address`);
  }
  return s.slice(a, b);
}

const SOCKET_TYPES: Record<number, SocketType> = { 1: 'stream', 2: 'dgram' };

// sock_type values from include/linux/net.h (SOCK_STREAM 1, SOCK_DGRAM 2)
function socketType(v: number): SocketType {
  return SOCKET_TYPES[v] ?? 'other';
}

/**
 * Decodes a wait status (include/uapi/linux/wait.h): the exit status byte ((status >> 8) & 0xff,
 * 0 when the process was killed: what elastic/ebpf, Elastic Defend's source, reports) and the
 * signal that killed it.
 */
export function decodeWaitStatus(status: number): { exitCode: number; signal?: number } {
  const sig = status & 0x7f;
  if (sig === 0) return { exitCode: (status >> 8) & 0xff };
  return { exitCode: (status >> 8) & 0xff, signal: sig };
}

function parseExec(): Line {
  arity(27, 'exec');
  const ttyMajor = int(18);
  const envSeen = uint(24);
  const envCount = uint(25);
  if (envCount > envSeen) throw new Bad(`exec env count ${envCount} is above the variables seen, ${envSeen}`);
  return {
    kind: 'exec',
    ktimeNs: uint(1),
    tid: uint(2),
    pid: uint(3),
    ppid: uint(4),
    uid: uint(5),
    gid: uint(6),
    euid: uint(7),
    egid: uint(8),
    sid: int(9),
    startNs: big(10),
    parentStartNs: big(11),
    cgroupId: big(12),
    filenameBytes: uint(13),
    argvTotalBytes: uint(14),
    argvBytes: uint(15),
    comm: comm(16),
    argc: uint(17),
    ttyMajor,
    ttyMinor: int(19),
    capEffective: mask(20),
    capPermitted: mask(21),
    pidNs: uint(22),
    mntNs: uint(23),
    envSeen,
    envCount,
    cwdLines: uint(26),
  };
}

/** exec_env: one captured variable, `index total len words tail` (bpf/FORMAT.md) */
function parseEnv(): Line {
  arity(8, 'exec_env');
  const total = uint(4);
  const len = uint(5);
  if (len > total) throw new Bad(`exec_env length ${len} is above the total ${total}`);
  return {
    kind: 'exec_env',
    ktimeNs: uint(1),
    tid: uint(2),
    index: uint(3),
    totalBytes: total,
    bytes: chunkBytes(len, 6),
  };
}

function parseChunk(kind: 'exec_fn' | 'exec_arg'): Line {
  arity(7, kind);
  return { kind, ktimeNs: uint(1), tid: uint(2), offset: uint(3), bytes: chunkBytes(uint(4), 5) };
}

function parseFork(): Line {
  arity(7, 'fork');
  const parentTid = uint(2);
  const parentPid = uint(3);
  return {
    kind: 'event',
    event: {
      kind: 'fork',
      ktimeNs: uint(1),
      // 0: the child was created before the probes attached; the leader is the best guess
      parentTid: parentTid === 0 ? parentPid : parentTid,
      parentPid,
      parentStartNs: big(4),
      childPid: uint(5),
      childStartNs: big(6),
    },
  };
}

function parseExit(): Line {
  arity(6, 'exit');
  const ktimeNs = uint(1);
  const tid = uint(2);
  const pid = uint(3);
  const startNs = big(4);
  const status = int(5);
  const sig = status & 0x7f;
  // decodeWaitStatus inlined: the event's keys stay in the same order without a spread
  return {
    kind: 'event',
    event:
      sig === 0
        ? { kind: 'exit', ktimeNs, tid, pid, startNs, exitCode: (status >> 8) & 0xff }
        : { kind: 'exit', ktimeNs, tid, pid, startNs, exitCode: (status >> 8) & 0xff, signal: sig },
  };
}

function parseConnect(): Line {
  arity(19, 'connect');
  const event = connectEvent('connect', 11, 10, 13, 14);
  return { kind: 'event-comm', event, comm: comm(18) };
}

/** A SYN sent outside connect(2): a TCP connect attempt in progress (see bpf/FORMAT.md). */
function parseTcpSyn(): Line {
  arity(17, 'tcpsyn');
  const event = connectEvent('tcpsyn', 10, NONE, NONE, 12);
  event.source = 'inet_sock_set_state';
  return { kind: 'event-comm', event, comm: comm(16) };
}

/** A TCP port field: 0-65535. */
function port(i: number, name: string): number {
  const v = uint(i);
  if (v > 65535) throw new Bad(`${name} port ${v} out of range`);
  return v;
}

/** Fields 1-4: the process (ts tid pid start). */
function processFields(): { ktimeNs: number; tid: number; pid: number; startNs: bigint } {
  return { ktimeNs: uint(1), tid: uint(2), pid: uint(3), startNs: big(4) };
}

/** Fields 5-8: the credentials (uid gid euid egid). */
function credFields(): Credentials {
  return { uid: uint(5), gid: uint(6), euid: uint(7), egid: uint(8) };
}

/** Two fields from `i`: the effective and permitted capability masks. */
function capFields(i: number): Capabilities {
  return { capEffective: mask(i), capPermitted: mask(i + 1) };
}

function family(name: string): 'ipv4' | 'ipv6' {
  const fam = uint(9);
  if (fam !== 4 && fam !== 6) throw new Bad(`${name} family ${fam} is not 4 or 6`);
  return fam === 4 ? 'ipv4' : 'ipv6';
}

/** a field index that is not on the line (connectEvent's socket type and return value) */
const NONE = -1;

/** Fields 1-8 are the process and its credentials, 9 the family, then the port at `portField`
 *  and the address after it, the local port and address at `sourceField` and the capability
 *  masks after them. The socket type and return value are fields `typeField` and `retField`;
 *  a tcpsyn line has neither (NONE): a stream socket, a connect in progress (-EINPROGRESS).
 *  One object literal with every field, in the order events have always had (raw-event JSON):
 *  no spread of partial objects and no closures per line, as this runs for every connect of a
 *  storm. */
function connectEvent(
  name: string,
  portField: number,
  typeField: number,
  retField: number,
  sourceField: number,
): Omit<ConnectEvent, 'comm'> {
  const fam = family(name);
  const daddr = address(portField + 1);
  const dport = port(portField, name);
  const saddr = address(sourceField + 1);
  const sport = port(sourceField, name);
  return {
    kind: 'connect',
    ktimeNs: uint(1),
    tid: uint(2),
    pid: uint(3),
    startNs: big(4),
    uid: uint(5),
    gid: uint(6),
    euid: uint(7),
    egid: uint(8),
    family: fam,
    socketType: typeField === NONE ? 'stream' : socketType(int(typeField)),
    daddr,
    dport,
    ret: retField === NONE ? -115 : int(retField),
    saddr,
    sport,
    capEffective: mask(sourceField + 2),
    capPermitted: mask(sourceField + 3),
  };
}

function parseAccept(): Line {
  arity(17, 'accept');
  const fam = family('accept');
  return {
    kind: 'event-comm',
    event: {
      kind: 'accept',
      ...processFields(),
      ...credFields(),
      ...capFields(14),
      family: fam,
      lport: port(10, 'accept'),
      laddr: address(11, 'accept'),
      rport: port(12, 'accept'),
      raddr: address(13, 'accept'),
    },
    comm: comm(16),
  };
}

function parseDisconnect(): Line {
  arity(19, 'disconnect');
  const fam = family('disconnect');
  return {
    kind: 'event-comm',
    event: {
      kind: 'disconnect',
      ...processFields(),
      ...credFields(),
      ...capFields(16),
      family: fam,
      sport: port(10, 'disconnect'),
      saddr: address(11, 'disconnect'),
      dport: port(12, 'disconnect'),
      daddr: address(13, 'disconnect'),
      bytesSent: big(14),
      bytesReceived: big(15),
    },
    comm: comm(18),
  };
}

function parseCredChange(kind: 'setuid' | 'setgid'): Line {
  arity(12, kind);
  return {
    kind: 'event-comm',
    event: { kind, ...processFields(), ...credFields(), ...capFields(9) },
    comm: comm(11),
  };
}

function parseChdir(): Line {
  arity(6, 'chdir');
  return { kind: 'chdir', ktimeNs: uint(1), tid: uint(2), pid: uint(3), startNs: big(4), lines: uint(5) };
}

function parseSetpgid(): Line {
  arity(8, 'setpgid');
  return {
    kind: 'event',
    event: { kind: 'setpgid', ...processFields(), targetPid: int(5), pgid: int(6), callerPgid: int(7) },
  };
}

/** module: `... taints cap_eff cap_perm comm name_len name_words name_tail` */
function parseModule(): Line {
  arity(16, 'module');
  const len = uint(13);
  if (len > 56) throw new Bad(`module name length ${len} is above 56`);
  const name = len === 0 ? '' : decodeUtf8(untilNul(chunkBytes(len, 14))).text;
  return {
    kind: 'event-comm',
    event: { kind: 'module', ...processFields(), ...credFields(), ...capFields(10), taints: uint(9), name },
    comm: comm(12),
  };
}

function parseSetsid(): Line {
  arity(11, 'setsid');
  return {
    kind: 'event-comm',
    event: {
      kind: 'setsid',
      ktimeNs: uint(1),
      tid: uint(2),
      pid: uint(3),
      startNs: big(4),
      uid: uint(5),
      gid: uint(6),
      euid: uint(7),
      egid: uint(8),
      ret: int(9),
    },
    comm: comm(10),
  };
}

/** Dispatches on field 0 (the line type); the current line is already scanned. */
function parseFields(): Line {
  switch (L.charCodeAt(0)) {
    case 101: // e
      if (is('exec')) return parseExec();
      if (is('exec_arg')) return parseChunk('exec_arg');
      if (is('exec_fn')) return parseChunk('exec_fn');
      if (is('exec_env')) return parseEnv();
      if (is('exit')) return parseExit();
      break;
    case 102: // f
      if (is('fork')) return parseFork();
      break;
    case 99: // c
      if (is('connect')) return parseConnect();
      if (is('chdir')) return parseChdir();
      if (is('counters')) {
        arity(2, 'counters');
        return { kind: 'counters', ktimeNs: uint(1) };
      }
      break;
    case 115: // s
      if (is('setsid')) return parseSetsid();
      if (is('setuid')) return parseCredChange('setuid');
      if (is('setgid')) return parseCredChange('setgid');
      if (is('setpgid')) return parseSetpgid();
      break;
    case 97: // a
      if (is('accept')) return parseAccept();
      break;
    case 100: // d
      if (is('disconnect')) return parseDisconnect();
      break;
    case 109: // m
      if (is('module')) return parseModule();
      break;
    case 116: // t
      if (is('tcpsyn')) return parseTcpSyn();
      break;
    case 104: // h
      if (is('hello')) {
        // the trailing pid (bpftrace's, as the kernel numbers it) is absent from older programs
        const withPid = fieldsInLine() === 5;
        if (!withPid) arity(4, 'hello');
        const hello = { kind: 'hello' as const, version: uint(1), ktimeNs: uint(2), argvBytes: uint(3) };
        return withPid ? { ...hello, pid: uint(4) } : hello;
      }
      break;
    case 114: // r
      if (is('ready')) {
        // the trailing pid: the pinging process (eqld), as the kernel numbers it
        if (fieldsInLine() === 3) return { kind: 'ready', ktimeNs: uint(1), pid: uint(2) };
        arity(2, 'ready');
        return { kind: 'ready', ktimeNs: uint(1) };
      }
      break;
  }
  return malformed(`unknown line type ${JSON.stringify(text(0).slice(0, 20))}`);
}

const ATTACHING = /^Attaching (\d+) probes?\.\.\.$/;
const LOST = /^Lost (\d+) events$/;
const COUNTER = /^@([A-Za-z_][A-Za-z0-9_]*): (-?\d+)$/;

/** Parses one line (without its trailing newline). Never throws. */
export function parseLine(line: string): Line {
  transient = false;
  return parse(line);
}

/**
 * parseLine, except that the `bytes` of an exec_fn/exec_arg line are a view of a buffer
 * that the next call overwrites: the caller copies them (the exec assembler does) first.
 */
export function parseLineTransient(line: string): Line {
  transient = true;
  try {
    return parse(line);
  } finally {
    transient = false;
  }
}

function parse(line: string): Line {
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
    scan(line);
    return parseFields();
  } catch (error) {
    if (error instanceof Bad) return malformed(error.message);
    return malformed(`unexpected parse failure: ${String(error)}`);
  } finally {
    endLine();
  }
}
