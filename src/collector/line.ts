// One parsed bpftrace output line (bpf/FORMAT.md): either a complete kernel event, a piece
// of a multi-line exec, or one of bpftrace's own notices. The boundary type between
// `parseLine` and the exec assembler; nothing here does I/O.
import type {
  AcceptEvent,
  ConnectEvent,
  CredChangeEvent,
  DisconnectEvent,
  ExitEvent,
  ForkEvent,
  ModuleEvent,
  SetpgidEvent,
  SetsidEvent,
} from './raw-event.js';

export interface ExecHeaderLine {
  kind: 'exec';
  ktimeNs: number;
  tid: number;
  pid: number;
  ppid: number;
  uid: number;
  gid: number;
  euid: number;
  egid: number;
  sid: number;
  startNs: bigint;
  parentStartNs: bigint;
  cgroupId: bigint;
  /** filename bytes that follow in exec_fn lines (including the NUL) */
  filenameBytes: number;
  /** size of the task's whole argv area */
  argvTotalBytes: number;
  /** argv bytes that follow in exec_arg lines (min(total, bound)) */
  argvBytes: number;
  comm: Uint8Array;
  /** argc at the new image's mm->start_stack */
  argc: number;
  /** controlling terminal device; major 0 = none */
  ttyMajor: number;
  ttyMinor: number;
  capEffective: bigint;
  capPermitted: bigint;
  pidNs: number;
  mntNs: number;
  /** environment variables examined, and captured (exec_env lines that follow) */
  envSeen: number;
  envCount: number;
  /** `fp`/`fn` lines of the working directory's walk (printed before this header) */
  cwdLines: number;
}

/** One captured environment variable of an exec ("NAME=value", cut at 200 bytes). */
export interface ExecEnvLine {
  kind: 'exec_env';
  ktimeNs: number;
  tid: number;
  index: number;
  /** the variable's whole length; above bytes.length when it was cut */
  totalBytes: number;
  bytes: Uint8Array;
}

export interface ExecChunkLine {
  kind: 'exec_fn' | 'exec_arg';
  ktimeNs: number;
  tid: number;
  offset: number;
  bytes: Uint8Array;
}

/** Lines of events that carry comm have it as bytes; the decoder decodes them. */
export type SimpleEventLine =
  | { kind: 'event'; event: ForkEvent | ExitEvent | SetpgidEvent }
  | {
      kind: 'event-comm';
      event:
        | Omit<ConnectEvent, 'comm'>
        | Omit<AcceptEvent, 'comm'>
        | Omit<DisconnectEvent, 'comm'>
        | Omit<SetsidEvent, 'comm'>
        | Omit<CredChangeEvent, 'comm'>
        | Omit<ModuleEvent, 'comm'>;
      comm: Uint8Array;
    };

/** `chdir`: a working-directory change whose walk took `lines` fp/fn lines before it. */
export interface ChdirLine {
  kind: 'chdir';
  ktimeNs: number;
  tid: number;
  pid: number;
  startNs: bigint;
  lines: number;
}

export type NoticeLine =
  /** pid: bpftrace's own, as the kernel numbers it (absent from programs before it was added) */
  | { kind: 'hello'; version: number; ktimeNs: number; argvBytes: number; pid?: number }
  | { kind: 'attaching'; probes: number }
  | { kind: 'lost'; count: number }
  | { kind: 'counter'; name: string; value: number }
  | { kind: 'counters'; ktimeNs: number }
  /** pid: the process that pinged (eqld), as the kernel numbers it */
  | { kind: 'ready'; ktimeNs: number; pid?: number }
  | { kind: 'blank' };

export interface MalformedLine {
  kind: 'malformed';
  reason: string;
}

export type Line =
  | ExecHeaderLine
  | ExecChunkLine
  | ExecEnvLine
  | ChdirLine
  | SimpleEventLine
  | NoticeLine
  | MalformedLine;
