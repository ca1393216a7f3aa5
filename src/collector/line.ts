// One parsed bpftrace output line (bpf/FORMAT.md): either a complete kernel event, a piece
// of a multi-line exec, or one of bpftrace's own notices. The boundary type between
// `parseLine` and the exec assembler; nothing here does I/O.
import type { ConnectEvent, ExitEvent, ForkEvent, SetsidEvent } from './raw-event.js';

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
  /** argc as the kernel has it (the argument count, also of a cut argv); 0 if unreadable */
  argc: number;
}

export interface ExecChunkLine {
  kind: 'exec_fn' | 'exec_arg';
  ktimeNs: number;
  tid: number;
  offset: number;
  bytes: Uint8Array;
}

/** `connect`/`setsid` lines carry comm as bytes; the assembler decodes them. */
export type SimpleEventLine =
  | { kind: 'event'; event: ForkEvent | ExitEvent }
  | { kind: 'event-comm'; event: Omit<ConnectEvent, 'comm'> | Omit<SetsidEvent, 'comm'>; comm: Uint8Array };

export type NoticeLine =
  | { kind: 'hello'; version: number; ktimeNs: number; argvBytes: number }
  | { kind: 'attaching'; probes: number }
  | { kind: 'lost'; count: number }
  | { kind: 'counter'; name: string; value: number }
  | { kind: 'counters'; ktimeNs: number }
  | { kind: 'ready'; ktimeNs: number }
  | { kind: 'blank' };

export interface MalformedLine {
  kind: 'malformed';
  reason: string;
}

export type Line = ExecHeaderLine | ExecChunkLine | SimpleEventLine | NoticeLine | MalformedLine;
