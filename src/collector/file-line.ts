// One parsed line of the file program (bpf/eqld-file.bt.in, bpf/FORMAT.md "File events"):
// a piece of a path (a walk line, a long name, a chunk of a user string) or the event line that
// closes an event. The boundary type between parseFileLine and the file assembler; no I/O.
import type { FileAction } from './raw-event.js';

/** One step of a dentry walk: a name (len > 0) or a mount crossing (len 0). */
export interface WalkStep {
  len: number;
  /** the name's first bytes, up to 32 (a name of more than 31 bytes comes whole in `fn` lines) */
  head: Uint8Array;
}

/** `fp`: six steps of a walk of slot `slot`, leaf first; `status` after them. */
export interface WalkLine {
  kind: 'fp';
  ktimeNs: number;
  tid: number;
  slot: number;
  seq: number;
  /** 1: the walk goes on in the next line; 0: it reached the task's root; 2: it stopped elsewhere */
  status: number;
  steps: WalkStep[];
}

/** `fn`: part `part` (128 bytes each) of the long name at walk step `step` of slot `slot`. */
export interface LongNameLine {
  kind: 'fn';
  ktimeNs: number;
  tid: number;
  slot: number;
  step: number;
  len: number;
  part: number;
  bytes: Uint8Array;
}

/** `fs`: 200 bytes of a user string's aligned area, from aligned offset `chunk`. */
export interface StringChunkLine {
  kind: 'fs';
  ktimeNs: number;
  tid: number;
  slot: number;
  /** the string's offset in its first aligned word (0-7) */
  offset: number;
  /** the string's length; STRING_MAX_BYTES (4096) when no NUL was found within the bound */
  len: number;
  chunk: number;
  /** the string's bytes this chunk holds: those at aligned offsets [chunk + from, chunk + from + length) */
  from: number;
  bytes: Uint8Array;
}

/** `fcreate`/`frename`/`fdelete`: the event, after `lines` piece lines. */
export interface FileEventLine {
  kind: 'file-event';
  action: FileAction;
  ktimeNs: number;
  tid: number;
  pid: number;
  startNs: bigint;
  uid: number;
  gid: number;
  euid: number;
  egid: number;
  comm: Uint8Array;
  lines: number;
  /** fcreate: st_mode */
  mode?: number;
  /** frename: renameat2 flags */
  flags?: number;
}

export type FileLine = WalkLine | LongNameLine | StringChunkLine | FileEventLine;
