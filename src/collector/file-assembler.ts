// Re-assembles one file event from its piece lines (walk lines, long names, user-string chunks)
// and the event line that closes it (bpf/FORMAT.md, "File events"). The pieces of one event are
// printed by consecutive probe blocks of one syscall exit on one CPU, so they arrive before its
// event line, but other CPUs' lines interleave: pieces are keyed by (tid, kernel timestamp).
// The event line says how many pieces it had; an event whose pieces did not all arrive (a lost
// record) is dropped and counted, as are pieces whose event line never came.

import type { FileEventLine, LongNameLine, StringChunkLine, WalkLine } from './file-line.js';
import { type BuiltPath, joinUserPath, pathFromWalk } from './file-path.js';
import { decodeUtf8, escapeBytes, untilNul } from './hex.js';
import { NAME_PART_BYTES, STRING_CHUNK_BYTES, STRING_MAX_BYTES } from './path-macros.js';
import type { FileEvent } from './raw-event.js';

interface Pending {
  arrivedNs: number;
  ktimeNs: number;
  pieces: number;
  walks: Map<number, WalkLine[]>;
  names: Map<number, Map<number, LongNameLine[]>>;
  strings: Map<number, StringChunkLine[]>;
}

export interface FileAssemblerStats {
  /** events dropped because some of their pieces did not arrive */
  incomplete: number;
  /** pieces whose event line never came (dropped after maxAgeNs) */
  orphanPieces: number;
  /** events whose pieces were inconsistent (out of order, overlapping): dropped */
  inconsistent: number;
  /** events reported with a path cut short (too deep, outside the root, unreadable) */
  cutPaths: number;
}

class Inconsistent extends Error {}

export class FileAssembler {
  private readonly pending = new Map<string, Pending>();
  readonly stats: FileAssemblerStats = { incomplete: 0, orphanPieces: 0, inconsistent: 0, cutPaths: 0 };

  constructor(
    private readonly maxAgeNs = 2_000_000_000,
    private readonly now: () => number = () => Number(process.hrtime.bigint()),
  ) {}

  /** Adds a piece of an event under way. */
  piece(l: WalkLine | LongNameLine | StringChunkLine): void {
    const key = `${l.tid}:${l.ktimeNs}`;
    let p = this.pending.get(key);
    if (p === undefined) {
      p = {
        arrivedNs: this.now(),
        ktimeNs: l.ktimeNs,
        pieces: 0,
        walks: new Map(),
        names: new Map(),
        strings: new Map(),
      };
      this.pending.set(key, p);
    }
    p.pieces++;
    if (l.kind === 'fp') {
      const ws = p.walks.get(l.slot);
      if (ws) ws.push(l);
      else p.walks.set(l.slot, [l]);
    } else if (l.kind === 'fn') {
      let bySlot = p.names.get(l.slot);
      if (bySlot === undefined) {
        bySlot = new Map();
        p.names.set(l.slot, bySlot);
      }
      const parts = bySlot.get(l.step);
      if (parts) parts.push(l);
      else bySlot.set(l.step, [l]);
    } else {
      const cs = p.strings.get(l.slot);
      if (cs) cs.push(l);
      else p.strings.set(l.slot, [l]);
    }
  }

  /** Closes an event; undefined when it was dropped (counted). */
  event(l: FileEventLine): FileEvent | undefined {
    const key = `${l.tid}:${l.ktimeNs}`;
    const p = this.pending.get(key);
    this.pending.delete(key);
    if ((p?.pieces ?? 0) !== l.lines) {
      this.stats.incomplete++;
      return undefined;
    }
    const empty: Pending = {
      arrivedNs: 0,
      ktimeNs: l.ktimeNs,
      pieces: 0,
      walks: new Map(),
      names: new Map(),
      strings: new Map(),
    };
    try {
      return this.build(l, p ?? empty);
    } catch (error) {
      if (error instanceof Inconsistent) {
        this.stats.inconsistent++;
        return undefined;
      }
      throw error;
    }
  }

  /** Drops pieces that have waited more than maxAgeNs for their event line. */
  expire(nowNs = this.now()): void {
    for (const [key, p] of this.pending) {
      if (nowNs - p.arrivedNs > this.maxAgeNs) {
        this.pending.delete(key);
        this.stats.orphanPieces += p.pieces;
      }
    }
  }

  get size(): number {
    return this.pending.size;
  }

  /** The kernel timestamp of the oldest event whose pieces came without its event line yet. */
  oldestPendingNs(): number | undefined {
    let oldest: number | undefined;
    for (const p of this.pending.values()) if (oldest === undefined || p.ktimeNs < oldest) oldest = p.ktimeNs;
    return oldest;
  }

  private build(l: FileEventLine, p: Pending): FileEvent {
    const commBytes = untilNul(l.comm);
    let path: BuiltPath;
    let oldPath: BuiltPath | undefined;
    if (l.action === 'creation') {
      path = this.walk(p, 0) ?? { bytes: Uint8Array.of(0x2e), cut: true };
    } else if (l.action === 'deletion') {
      path = this.userPath(p, 0, 1);
    } else {
      oldPath = this.userPath(p, 0, 1);
      path = this.userPath(p, 2, 3);
    }
    // one string that is not UTF-8 puts all of the event's in the byte-escaped form (hex.ts
    // escapeBytes), as for an exec, so a reader can take every `\xNN` in them for a byte
    const escaped = [commBytes, path.bytes, ...(oldPath ? [oldPath.bytes] : [])].some(
      (b) => decodeUtf8(b).escaped,
    );
    const text = (b: Uint8Array): string => (escaped ? escapeBytes(b) : decodeUtf8(b).text);
    const e: FileEvent = {
      kind: 'file',
      action: l.action,
      ktimeNs: l.ktimeNs,
      pid: l.pid,
      tid: l.tid,
      startNs: l.startNs,
      uid: l.uid,
      gid: l.gid,
      euid: l.euid,
      egid: l.egid,
      comm: text(commBytes),
      path: text(path.bytes),
    };
    if (path.cut) e.pathCut = true;
    if (oldPath !== undefined) {
      e.oldPath = text(oldPath.bytes);
      if (oldPath.cut) e.oldPathCut = true;
    }
    if (path.cut || oldPath?.cut) this.stats.cutPaths++;
    if (l.mode !== undefined) e.mode = l.mode;
    if (l.flags !== undefined) e.renameFlags = l.flags;
    if (escaped) e.bytesEscaped = true;
    return e;
  }

  /** The path of a user string (slot `strSlot`), relative to the walk in `walkSlot` if any. */
  private userPath(p: Pending, walkSlot: number, strSlot: number): BuiltPath {
    const s = this.string(p, strSlot);
    if (s === undefined) throw new Inconsistent('no path string');
    return joinUserPath(this.walk(p, walkSlot), s.bytes, s.cut);
  }

  private walk(p: Pending, slot: number): BuiltPath | undefined {
    const lines = p.walks.get(slot);
    if (lines === undefined) return undefined;
    const built = pathOfWalk(lines, p.names.get(slot));
    if (built === undefined) throw new Inconsistent('walk lines out of sequence or after their end');
    return built;
  }

  private string(p: Pending, slot: number): { bytes: Uint8Array; cut: boolean } | undefined {
    const chunks = p.strings.get(slot);
    if (chunks === undefined) return undefined;
    const first = chunks[0]!;
    const { offset, len } = first;
    const out = new Uint8Array(len);
    const need = Math.ceil((offset + len) / STRING_CHUNK_BYTES);
    if (chunks.length !== Math.max(need, 1)) throw new Inconsistent('string chunks missing');
    const seen = new Set<number>();
    for (const c of chunks) {
      if (c.offset !== offset || c.len !== len || seen.has(c.chunk)) {
        throw new Inconsistent('string chunks disagree');
      }
      seen.add(c.chunk);
      // the chunk's bytes start at aligned offset chunk + from: string offset chunk + from - offset
      if (c.bytes.length > 0) out.set(c.bytes, c.chunk + c.from - offset);
    }
    return { bytes: out, cut: len >= STRING_MAX_BYTES };
  }
}

/**
 * The path of one walk: its `fp` lines (any order) and the `fn` parts of its long names by step.
 * Undefined when the lines are inconsistent (a missing or repeated line, a line after the end).
 * Also used for the working directory of an exec (exec-assembler.ts).
 */
export function pathOfWalk(
  lines: WalkLine[],
  longNames: ReadonlyMap<number, readonly LongNameLine[]> | undefined,
): BuiltPath | undefined {
  lines.sort((a, b) => a.seq - b.seq);
  const names: Uint8Array[] = [];
  let missingLongName = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.seq !== i) return undefined;
    if (i < lines.length - 1 && line.status !== 1) return undefined;
    line.steps.forEach((step, j) => {
      if (step.len === 0) return;
      if (step.len <= 31) {
        names.push(step.head.subarray(0, step.len));
        return;
      }
      const parts = longNames?.get(line.seq * line.steps.length + j);
      const name = parts === undefined ? undefined : longName(parts, step.len);
      if (name === undefined) {
        // more long names than the kernel side keeps per walk: the first 32 bytes are known
        missingLongName = true;
        names.push(step.head);
      } else names.push(name);
    });
  }
  const last = lines[lines.length - 1];
  if (last === undefined) return undefined;
  return pathFromWalk(names, last.status === 0 && !missingLongName);
}

/** A long name from its `fn` parts, or undefined if a part is missing or they disagree. */
function longName(parts: readonly LongNameLine[], len: number): Uint8Array | undefined {
  const out = new Uint8Array(len);
  let got = 0;
  for (const part of parts) {
    if (part.len !== len) return undefined;
    out.set(part.bytes, part.part * NAME_PART_BYTES);
    got += part.bytes.length;
  }
  return got === len ? out : undefined;
}
