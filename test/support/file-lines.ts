// Writes the file program's lines (bpf/FORMAT.md, "File events") the way bpf/eqld-file.bt.in
// prints them, for tests and benchmarks that feed the parser and assembler without a kernel:
// a walk of a directory as `fp` lines (and `fn` lines for long names), a user string as `fs`
// chunks at a given alignment, and the event lines.
import { commWords, hexWords } from './hex-words.js';

const STEPS = 6;
const MAX_LONG = 8;

const bytes = (s: string | Uint8Array): Uint8Array => (typeof s === 'string' ? Buffer.from(s, 'utf8') : s);

export interface Key {
  ts: number;
  tid: number;
}

/**
 * The `fp`/`fn` lines of a walk of `names` (root first, as a path reads), in slot `slot`.
 * `status`: how the walk ended (0 at the root, 2 elsewhere); `crossings`: step indexes (leaf
 * first) at which the walk crossed a mount instead of taking a name.
 */
export function walkLines(
  k: Key,
  slot: number,
  names: readonly (string | Uint8Array)[],
  opts: { status?: 0 | 2; crossings?: readonly number[]; maxLines?: number } = {},
): string[] {
  const leafFirst = [...names].reverse().map(bytes);
  const steps: (Uint8Array | undefined)[] = [];
  let n = 0;
  while (n < leafFirst.length) {
    if (opts.crossings?.includes(steps.length)) steps.push(undefined);
    else steps.push(leafFirst[n++]);
  }
  const maxLines = opts.maxLines ?? 17;
  const lines: string[] = [];
  const longNames: { step: number; name: Uint8Array }[] = [];
  const nLines = Math.min(Math.floor(steps.length / STEPS) + 1, maxLines);
  for (let line = 0; line < nLines; line++) {
    const part = steps.slice(line * STEPS, line * STEPS + STEPS);
    const last = line === nLines - 1;
    const complete = (line + 1) * STEPS > steps.length;
    const status = last && complete ? (opts.status ?? 0) : 1;
    const fields = [];
    for (let j = 0; j < STEPS; j++) {
      const name = part[j];
      if (name === undefined) {
        fields.push(`0 ${hexWords(new Uint8Array(0), 4)}`);
        continue;
      }
      if (name.length > 31) longNames.push({ step: line * STEPS + j, name });
      fields.push(`${name.length} ${hexWords(name.subarray(0, 32), 4)}`);
    }
    lines.push(`fp ${k.ts} ${k.tid} ${slot} ${line} ${status} ${fields.join(' ')}`);
  }
  for (const { step, name } of longNames.slice(0, MAX_LONG)) {
    for (let part = 0; part * 128 < name.length; part++) {
      // whole words, then the last len % 8 bytes in the tail word (hexWords in path-macros.ts)
      const p = name.subarray(part * 128, part * 128 + 128);
      const whole = p.length & ~7;
      lines.push(
        `fn ${k.ts} ${k.tid} ${slot} ${step} ${name.length} ${part} ${hexWords(p.subarray(0, whole), 16)} ${hexWords(p.subarray(whole), 1)}`,
      );
    }
  }
  return lines;
}

/** The `fs` lines of a user string placed `offset` (0-7) bytes past an 8-byte boundary. */
export function stringLines(k: Key, slot: number, s: string | Uint8Array, offset = 0): string[] {
  const b = bytes(s);
  const area = new Uint8Array(offset + b.length + 200);
  area.set(b, offset);
  const lines: string[] = [];
  for (let chunk = 0; chunk < Math.max(offset + b.length, 1); chunk += 200) {
    lines.push(
      `fs ${k.ts} ${k.tid} ${slot} ${offset} ${b.length} ${chunk} ${hexWords(area.subarray(chunk, chunk + 200), 25)}`,
    );
  }
  return lines;
}

export interface Actor {
  pid: number;
  start?: bigint;
  uid?: number;
  comm?: string;
}

function head(name: string, k: Key, a: Actor): string {
  const u = a.uid ?? 0;
  return `${name} ${k.ts} ${k.tid} ${a.pid} ${a.start ?? 1_000_000_000n} ${u} ${u} ${u} ${u} ${commWords(a.comm ?? 'sh')}`;
}

export function createLines(k: Key, a: Actor, path: readonly string[], mode = 0o100644): string[] {
  const pieces = walkLines(k, 0, path);
  return [...pieces, `${head('fcreate', k, a)} ${pieces.length} ${mode}`];
}

/** A deletion of `user` (as passed), relative to `base` (walked) unless absolute. */
export function deleteLines(k: Key, a: Actor, user: string, base?: readonly string[]): string[] {
  const pieces = [...(base ? walkLines(k, 0, base) : []), ...stringLines(k, 1, user)];
  return [...pieces, `${head('fdelete', k, a)} ${pieces.length}`];
}

export function renameLines(
  k: Key,
  a: Actor,
  from: { user: string; base?: readonly string[] },
  to: { user: string; base?: readonly string[] },
  flags = 0,
): string[] {
  const pieces = [
    ...(from.base ? walkLines(k, 0, from.base) : []),
    ...stringLines(k, 1, from.user),
    ...(to.base ? walkLines(k, 2, to.base) : []),
    ...stringLines(k, 3, to.user),
  ];
  return [...pieces, `${head('frename', k, a)} ${pieces.length} ${flags}`];
}
