// parseFileLine: one line of the file program (bpf/FORMAT.md, "File events") -> a typed
// FileLine, or what parseLine makes of anything else (bpftrace's notices, hello, ready,
// counters). Pure and total like parseLine: hostile or truncated input yields `malformed`
// with a reason, never an exception. Re-assembly is the file assembler's job.

import type { FileLine, WalkStep } from './file-line.js';
import { decodeHexBytesInto, decodeHexWordsInto } from './hex.js';
import type { Line } from './line.js';
import {
  arity,
  Bad,
  big,
  comm,
  endLine,
  fieldEnd,
  fieldStart,
  is,
  L,
  malformed,
  scan,
  uint,
} from './line-fields.js';
import { parseLine } from './line-parser.js';
import {
  NAME_MAX,
  NAME_PART_BYTES,
  STEPS_PER_LINE,
  STRING_CHUNK_BYTES,
  STRING_CHUNKS,
  STRING_MAX_BYTES,
  WALK_LINES,
} from './path-macros.js';

/** bytes of a name inside an `fp` step (four words, read whole: see path-macros.ts) */
const STEP_HEAD_BYTES = 32;

function slot(i: number): number {
  const v = uint(i);
  if (v > 3) throw new Bad(`slot ${v} is not 0-3`);
  return v;
}

const NO_BYTES = new Uint8Array(0);

function parseWalk(): FileLine {
  arity(6 + 2 * STEPS_PER_LINE, 'fp');
  const seq = uint(4);
  if (seq >= WALK_LINES) throw new Bad(`fp line ${seq} is past the walk's ${WALK_LINES} lines`);
  const status = uint(5);
  if (status > 2) throw new Bad(`fp status ${status} is not 0-2`);
  const steps: WalkStep[] = [];
  for (let j = 0; j < STEPS_PER_LINE; j++) {
    const len = uint(6 + 2 * j);
    if (len > NAME_MAX) throw new Bad(`name length ${len} is above NAME_MAX`);
    // only the name's own bytes (the kernel cleared the rest); a mount crossing has none
    const n = Math.min(len, STEP_HEAD_BYTES);
    const head = n === 0 ? NO_BYTES : new Uint8Array(n);
    const w = 7 + 2 * j;
    if (
      fieldEnd[w]! - fieldStart[w]! !== STEP_HEAD_BYTES * 2 ||
      !decodeHexBytesInto(L, fieldStart[w]!, fieldEnd[w]!, 0, n, head)
    ) {
      throw new Bad(`field ${w} is not 4 hex words (name head)`);
    }
    steps.push({ len, head });
  }
  return { kind: 'fp', ktimeNs: uint(1), tid: uint(2), slot: slot(3), seq, status, steps };
}

function parseLongName(): FileLine {
  arity(9, 'fn');
  const step = uint(4);
  if (step >= WALK_LINES * STEPS_PER_LINE) throw new Bad(`fn step ${step} is past the walk`);
  const len = uint(5);
  if (len <= 31 || len > NAME_MAX) throw new Bad(`fn name length ${len} is not 32-${NAME_MAX}`);
  const part = uint(6);
  if (part > 1) throw new Bad(`fn part ${part} is not 0 or 1`);
  const n = Math.min(len - part * NAME_PART_BYTES, NAME_PART_BYTES);
  if (n <= 0) throw new Bad(`fn part ${part} of a ${len}-byte name`);
  // the part's whole words in field 7 (16 words, zero past them), its last n % 8 bytes in the
  // tail word of field 8 (hexWords in path-macros.ts, as exec chunks)
  const whole = n & ~7;
  const bytes = new Uint8Array(n);
  if (
    fieldEnd[7]! - fieldStart[7]! !== 256 ||
    !decodeHexWordsInto(L, fieldStart[7]!, fieldEnd[7]!, whole, bytes)
  ) {
    throw new Bad('field 7 is not 16 hex words (name part)');
  }
  if (
    fieldEnd[8]! - fieldStart[8]! !== 16 ||
    !decodeHexWordsInto(L, fieldStart[8]!, fieldEnd[8]!, n - whole, bytes, whole)
  ) {
    throw new Bad('field 8 is not a hex tail word');
  }
  return { kind: 'fn', ktimeNs: uint(1), tid: uint(2), slot: slot(3), step, len, part, bytes };
}

function parseStringChunk(): FileLine {
  arity(8, 'fs');
  const offset = uint(4);
  if (offset > 7) throw new Bad(`fs offset ${offset} is not 0-7`);
  const len = uint(5);
  if (len > STRING_MAX_BYTES) throw new Bad(`fs length ${len} is above ${STRING_MAX_BYTES}`);
  const chunk = uint(6);
  if (chunk % STRING_CHUNK_BYTES !== 0 || chunk >= STRING_CHUNKS * STRING_CHUNK_BYTES) {
    throw new Bad(`fs chunk offset ${chunk} is not a multiple of ${STRING_CHUNK_BYTES} within the string`);
  }
  // the string's bytes in this chunk: aligned offsets [max(chunk, offset), min(chunk + 200, offset + len))
  const from = Math.max(offset - chunk, 0);
  const to = Math.max(Math.min(STRING_CHUNK_BYTES, offset + len - chunk), from);
  const bytes = to === from ? NO_BYTES : new Uint8Array(to - from);
  if (
    fieldEnd[7]! - fieldStart[7]! !== STRING_CHUNK_BYTES * 2 ||
    !decodeHexBytesInto(L, fieldStart[7]!, fieldEnd[7]!, from, to, bytes)
  ) {
    throw new Bad('field 7 is not 25 hex words (string chunk)');
  }
  return { kind: 'fs', ktimeNs: uint(1), tid: uint(2), slot: slot(3), offset, len, chunk, from, bytes };
}

function parseEvent(action: 'creation' | 'rename' | 'deletion', name: string, n: number): FileLine {
  arity(n, name);
  const e: FileLine = {
    kind: 'file-event',
    action,
    ktimeNs: uint(1),
    tid: uint(2),
    pid: uint(3),
    startNs: big(4),
    uid: uint(5),
    gid: uint(6),
    euid: uint(7),
    egid: uint(8),
    comm: comm(9),
    lines: uint(10),
  };
  if (action === 'creation') e.mode = uint(11);
  else if (action === 'rename') e.flags = uint(11);
  return e;
}

function parseFields(): FileLine | undefined {
  if (is('fp')) return parseWalk();
  if (is('fn')) return parseLongName();
  if (is('fs')) return parseStringChunk();
  if (is('fcreate')) return parseEvent('creation', 'fcreate', 12);
  if (is('frename')) return parseEvent('rename', 'frename', 12);
  if (is('fdelete')) return parseEvent('deletion', 'fdelete', 11);
  return undefined;
}

/** Parses one line of the file program (without its newline). Never throws. */
export function parseFileLine(line: string): FileLine | Line {
  // every file line starts with 'f' and a second letter none of the other lines has after it
  if (line.charCodeAt(0) !== 102 || line.startsWith('fork')) return parseLine(line);
  try {
    scan(line);
    return parseFields() ?? parseLine(line);
  } catch (error) {
    if (error instanceof Bad) return malformed(error.message);
    return malformed(`unexpected parse failure: ${String(error)}`);
  } finally {
    endLine();
  }
}
