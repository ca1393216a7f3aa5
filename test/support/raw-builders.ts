// Synthetic RawEvent injector: builders for exec/fork/exit/connect/accept/disconnect/setsid/
// setuid/setgid/setpgid/module/lost/gap with sane
// defaults, so the normalizer and the rule engine can be driven without a kernel (as Falco's
// test-input engine does). Start times are given in clock ticks and turned into start_boottime ns
// somewhere inside that tick, the way the kernel reports them.
import type {
  AcceptEvent,
  ConnectEvent,
  CredChangeEvent,
  DisconnectEvent,
  ExecEvent,
  ExitEvent,
  ForkEvent,
  GapEvent,
  LostEvent,
  ModuleEvent,
  SetpgidEvent,
  SetsidEvent,
} from '../../src/collector/raw-event.js';

/** ns per clock tick at USER_HZ 100 */
export const TICK_NS = 10_000_000n;

/** start_boottime (ns) for a process started `ticks` ticks after boot; `within` ns into that tick */
export function startNsOf(ticks: number, within = 4_321_987n): bigint {
  return BigInt(ticks) * TICK_NS + within;
}

const ROOT = { uid: 0, gid: 0, euid: 0, egid: 0 };

export interface ExecInput extends Partial<Omit<ExecEvent, 'kind'>> {
  pid: number;
  ppid: number;
  startTicks: number;
  parentStartTicks: number;
  filename: string;
}

export function exec(i: ExecInput): ExecEvent {
  const { startTicks, parentStartTicks, ...rest } = i;
  return {
    kind: 'exec',
    ktimeNs: 1_000_000_000,
    tid: i.pid,
    startNs: startNsOf(startTicks),
    parentStartNs: startNsOf(parentStartTicks),
    comm: i.filename.split('/').pop()?.slice(0, 15) ?? '',
    argv: [i.filename],
    argvTruncated: false,
    ...ROOT,
    ...rest,
  };
}

export interface ForkInput extends Partial<Omit<ForkEvent, 'kind'>> {
  parentPid: number;
  parentStartTicks: number;
  childPid: number;
  childStartTicks: number;
}

export function fork(i: ForkInput): ForkEvent {
  const { parentStartTicks, childStartTicks, ...rest } = i;
  return {
    kind: 'fork',
    ktimeNs: 1_000_000_000,
    parentTid: i.parentPid,
    parentStartNs: startNsOf(parentStartTicks),
    childStartNs: startNsOf(childStartTicks),
    ...rest,
  };
}

export interface ExitInput extends Partial<Omit<ExitEvent, 'kind'>> {
  pid: number;
  startTicks: number;
}

export function exit(i: ExitInput): ExitEvent {
  const { startTicks, ...rest } = i;
  return {
    kind: 'exit',
    ktimeNs: 1_000_000_000,
    tid: i.pid,
    startNs: startNsOf(startTicks),
    exitCode: 0,
    ...rest,
  };
}

export interface ConnectInput extends Partial<Omit<ConnectEvent, 'kind'>> {
  pid: number;
  startTicks: number;
  daddr: string;
  dport: number;
}

export function connect(i: ConnectInput): ConnectEvent {
  const { startTicks, ...rest } = i;
  return {
    kind: 'connect',
    ktimeNs: 1_000_000_000,
    tid: i.pid,
    startNs: startNsOf(startTicks),
    family: i.daddr.includes(':') ? 'ipv6' : 'ipv4',
    socketType: 'stream',
    ret: 0,
    comm: 'test',
    ...ROOT,
    ...rest,
  };
}

export interface SetsidInput extends Partial<Omit<SetsidEvent, 'kind'>> {
  pid: number;
  startTicks: number;
}

export function setsid(i: SetsidInput): SetsidEvent {
  const { startTicks, ...rest } = i;
  return {
    kind: 'setsid',
    ktimeNs: 1_000_000_000,
    tid: i.pid,
    startNs: startNsOf(startTicks),
    ret: i.pid,
    comm: 'test',
    ...ROOT,
    ...rest,
  };
}

/** every capability of a 6.x kernel (bits 0-40), as root has them */
export const ALL_CAPS = (1n << 41n) - 1n;

export interface AcceptInput extends Partial<Omit<AcceptEvent, 'kind'>> {
  pid: number;
  startTicks: number;
  laddr: string;
  lport: number;
  raddr: string;
  rport: number;
}

export function accept(i: AcceptInput): AcceptEvent {
  const { startTicks, ...rest } = i;
  return {
    kind: 'accept',
    ktimeNs: 1_000_000_000,
    tid: i.pid,
    startNs: startNsOf(startTicks),
    family: i.laddr.includes(':') ? 'ipv6' : 'ipv4',
    comm: 'test',
    capEffective: ALL_CAPS,
    capPermitted: ALL_CAPS,
    ...ROOT,
    ...rest,
  };
}

export interface DisconnectInput extends Partial<Omit<DisconnectEvent, 'kind'>> {
  pid: number;
  startTicks: number;
  saddr: string;
  sport: number;
  daddr: string;
  dport: number;
}

export function disconnect(i: DisconnectInput): DisconnectEvent {
  const { startTicks, ...rest } = i;
  return {
    kind: 'disconnect',
    ktimeNs: 1_000_000_000,
    tid: i.pid,
    startNs: startNsOf(startTicks),
    family: i.saddr.includes(':') ? 'ipv6' : 'ipv4',
    bytesSent: 100n,
    bytesReceived: 200n,
    comm: 'test',
    capEffective: ALL_CAPS,
    capPermitted: ALL_CAPS,
    ...ROOT,
    ...rest,
  };
}

export interface CredChangeInput extends Partial<Omit<CredChangeEvent, 'kind'>> {
  pid: number;
  startTicks: number;
}

/** a setuid/setgid line: `kind` says which family changed; the ids are the new ones */
export function credChange(kind: 'setuid' | 'setgid', i: CredChangeInput): CredChangeEvent {
  const { startTicks, ...rest } = i;
  return {
    kind,
    ktimeNs: 1_000_000_000,
    tid: i.pid,
    startNs: startNsOf(startTicks),
    comm: 'test',
    capEffective: ALL_CAPS,
    capPermitted: ALL_CAPS,
    ...ROOT,
    ...rest,
  };
}

export interface SetpgidInput extends Partial<Omit<SetpgidEvent, 'kind'>> {
  pid: number;
  startTicks: number;
  callerPgid: number;
}

export function setpgid(i: SetpgidInput): SetpgidEvent {
  const { startTicks, ...rest } = i;
  return {
    kind: 'setpgid',
    ktimeNs: 1_000_000_000,
    tid: i.pid,
    startNs: startNsOf(startTicks),
    targetPid: 0,
    pgid: 0,
    ...rest,
  };
}

export interface ModuleInput extends Partial<Omit<ModuleEvent, 'kind'>> {
  pid: number;
  startTicks: number;
  name: string;
}

export function moduleLoad(i: ModuleInput): ModuleEvent {
  const { startTicks, ...rest } = i;
  return {
    kind: 'module',
    ktimeNs: 1_000_000_000,
    tid: i.pid,
    startNs: startNsOf(startTicks),
    taints: 0,
    comm: 'insmod',
    capEffective: ALL_CAPS,
    capPermitted: ALL_CAPS,
    ...ROOT,
    ...rest,
  };
}

export function lost(count: number, ktimeNs = 1_000_000_000): LostEvent {
  return { kind: 'lost', ktimeNs, count };
}

export function gap(fromNs: number, toNs: number, reason = 'bpftrace restarted'): GapEvent {
  return { kind: 'gap', ktimeNs: toNs, fromNs, toNs, reason };
}

/** JSON reviver/replacer pair for RawEvent fixtures: bigint fields are written as "123n". */
const BIGINT_KEYS = new Set([
  'startNs',
  'parentStartNs',
  'childStartNs',
  'cgroupId',
  'capEffective',
  'capPermitted',
  'bytesSent',
  'bytesReceived',
]);

export function reviveRaw(key: string, value: unknown): unknown {
  if (BIGINT_KEYS.has(key) && typeof value === 'string' && /^\d+n$/.test(value))
    return BigInt(value.slice(0, -1));
  return value;
}

export function replaceRaw(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? `${value}n` : value;
}
