// Re-assembles one exec from its header line, its exec_fn/exec_arg chunk lines, its exec_env
// lines (one per captured environment variable, placed by index) and the fp/fn lines of its
// working directory's walk (printed before the header; the file program's walk lines).
// Lines of one exec come from one probe run on one CPU, but other CPUs' lines interleave,
// so pieces are keyed by (tid, kernel timestamp) and placed by byte offset, never by
// adjacency. An exec completes when every announced byte has arrived; one that does not
// complete within `maxAgeNs` of its header's arrival (a chunk was lost) is dropped and
// counted. Age counts from arrival, not the kernel timestamp: when bpftrace runs seconds
// behind, every header is old on arrival, yet its chunks are right behind it.
import { pathOfWalk } from './file-assembler.js';
import type { LongNameLine, WalkLine } from './file-line.js';
import type { BuiltPath } from './file-path.js';
import { decodeUtf8, escapeBytes, splitArgv, untilNul } from './hex.js';
import type { ExecChunkLine, ExecEnvLine, ExecHeaderLine } from './line.js';
import type { ExecEvent } from './raw-event.js';

interface Pending {
  key: string;
  header: ExecHeaderLine;
  arrivedNs: number;
  filename: Uint8Array;
  argv: Uint8Array;
  fnGot: number;
  argGot: number;
  /** captured environment variables by index, and how many have arrived */
  env: ExecEnvLine[] | undefined;
  envGot: number;
  /** the working directory's walk lines */
  cwd: (WalkLine | LongNameLine)[];
  /** chunks received, by kind and offset / CHUNK: a repeated chunk is ignored */
  fnSeen: Uint8Array;
  argSeen: Uint8Array;
}

const CHUNK = 200;

export interface AssemblerStats {
  /** execs dropped because a piece never arrived */
  incomplete: number;
  /** chunk lines with no header (the header was lost or arrived malformed) */
  orphanChunks: number;
  /** chunks outside the announced size, or repeated */
  badChunks: number;
}

export class ExecAssembler {
  private readonly pending = new Map<string, Pending>();
  private readonly orphans = new Map<
    string,
    { arrivedNs: number; ktimeNs: number; chunks: (ExecChunkLine | ExecEnvLine | WalkLine | LongNameLine)[] }
  >();
  readonly stats: AssemblerStats = { incomplete: 0, orphanChunks: 0, badChunks: 0 };
  /** the exec that had the latest header: its chunks follow it (same CPU, same probe run) */
  private last: Pending | undefined;

  constructor(
    private readonly resolveCgroup: (id: bigint) => string | undefined = () => undefined,
    private readonly maxAgeNs = 2_000_000_000,
    private readonly now: () => number = () => Number(process.hrtime.bigint()),
  ) {}

  /** Adds a header; returns the event if it needs no chunks (never in practice). */
  header(h: ExecHeaderLine): ExecEvent | undefined {
    const key = `${h.tid}:${h.ktimeNs}`;
    // one allocation for both byte areas
    const bytes = new Uint8Array(h.filenameBytes + h.argvBytes);
    const p: Pending = {
      key,
      header: h,
      arrivedNs: this.now(),
      filename: bytes.subarray(0, h.filenameBytes),
      argv: bytes.subarray(h.filenameBytes),
      fnGot: 0,
      argGot: 0,
      env: h.envCount > 0 ? new Array<ExecEnvLine>(h.envCount) : undefined,
      envGot: 0,
      cwd: [],
      fnSeen: new Uint8Array(Math.ceil(h.filenameBytes / CHUNK)),
      argSeen: new Uint8Array(Math.ceil(h.argvBytes / CHUNK)),
    };
    this.pending.set(key, p);
    this.last = p;
    // pieces that arrived before their header: the working directory's walk (printed first), and
    // chunks across a restart or loss
    const early = this.orphans.get(key);
    if (early) {
      this.orphans.delete(key);
      this.stats.orphanChunks -= early.chunks.length;
      for (const c of early.chunks) {
        const e = this.chunk(c);
        if (e) return e;
      }
    }
    return this.completeIfDone(key, p);
  }

  /** Adds a chunk. Its `bytes` are copied before this returns (they may be a reused buffer). */
  chunk(c: ExecChunkLine | ExecEnvLine | WalkLine | LongNameLine): ExecEvent | undefined {
    const last = this.last;
    const p =
      last !== undefined && last.header.tid === c.tid && last.header.ktimeNs === c.ktimeNs
        ? last
        : this.pending.get(`${c.tid}:${c.ktimeNs}`);
    if (!p) {
      const key = `${c.tid}:${c.ktimeNs}`;
      const entry = this.orphans.get(key) ?? { arrivedNs: this.now(), ktimeNs: c.ktimeNs, chunks: [] };
      entry.chunks.push(c.kind === 'fp' ? c : { ...c, bytes: c.bytes.slice() });
      this.orphans.set(key, entry);
      this.stats.orphanChunks++;
      return undefined;
    }
    if (c.kind === 'exec_env') return this.envLine(p, c);
    if (c.kind === 'fp' || c.kind === 'fn') {
      if (p.cwd.length >= p.header.cwdLines) {
        this.stats.badChunks++;
        return undefined;
      }
      p.cwd.push(c);
      return this.completeIfDone(p.key, p);
    }
    const isFn = c.kind === 'exec_fn';
    const target = isFn ? p.filename : p.argv;
    const seen = isFn ? p.fnSeen : p.argSeen;
    const idx = c.offset / CHUNK;
    if (
      !Number.isInteger(idx) ||
      seen[idx] !== 0 ||
      c.offset + c.bytes.length > target.length ||
      c.bytes.length === 0
    ) {
      this.stats.badChunks++;
      return undefined;
    }
    seen[idx] = 1;
    target.set(c.bytes, c.offset);
    if (c.kind === 'exec_fn') p.fnGot += c.bytes.length;
    else p.argGot += c.bytes.length;
    return this.completeIfDone(p.key, p);
  }

  private envLine(p: Pending, c: ExecEnvLine): ExecEvent | undefined {
    const env = p.env;
    if (env === undefined || c.index >= env.length || env[c.index] !== undefined) {
      this.stats.badChunks++;
      return undefined;
    }
    env[c.index] = { ...c, bytes: c.bytes.slice() };
    p.envGot++;
    return this.completeIfDone(p.key, p);
  }

  /**
   * The working directory a chdir/fchdir walked: its fp/fn lines came before the `chdir` line
   * (same probe run), keyed by (tid, ts). Undefined when they did not all arrive (counted).
   */
  closeWalk(
    tid: number,
    ktimeNs: number,
    lines: number,
  ): { cwd: string; cut: boolean; bytesEscaped: boolean } | undefined {
    const key = `${tid}:${ktimeNs}`;
    const pieces = this.orphans.get(key);
    this.orphans.delete(key);
    if (pieces) this.stats.orphanChunks -= pieces.chunks.length;
    const walk = (pieces?.chunks ?? []).filter(
      (c): c is WalkLine | LongNameLine => c.kind === 'fp' || c.kind === 'fn',
    );
    if (walk.length !== lines || lines === 0) {
      this.stats.incomplete++;
      return undefined;
    }
    const path = this.cwdOf(walk);
    if (path === undefined) return undefined;
    const d = decodeUtf8(path.bytes);
    return { cwd: d.text, cut: path.cut, bytesEscaped: d.escaped };
  }

  /** Drops pieces older than maxAgeNs before `nowNs` (monotonic); returns how many execs. */
  expire(nowNs: number): number {
    let dropped = 0;
    for (const [key, p] of this.pending) {
      if (nowNs - p.arrivedNs > this.maxAgeNs) {
        this.pending.delete(key);
        if (this.last === p) this.last = undefined;
        dropped++;
      }
    }
    for (const [key, entry] of this.orphans) {
      if (nowNs - entry.arrivedNs > this.maxAgeNs) this.orphans.delete(key);
    }
    this.stats.incomplete += dropped;
    return dropped;
  }

  /** whether expire() has anything to look at: an exec under way or chunks without a header */
  get holdsPieces(): boolean {
    return this.pending.size > 0 || this.orphans.size > 0;
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /** The kernel timestamp of the oldest exec (or walk) under way: its other lines may come with a
   *  later read, so events after it must wait for it (look-bound.ts). */
  oldestPendingNs(): number | undefined {
    let oldest: number | undefined;
    for (const p of this.pending.values()) {
      if (oldest === undefined || p.header.ktimeNs < oldest) oldest = p.header.ktimeNs;
    }
    for (const o of this.orphans.values()) {
      if (oldest === undefined || o.ktimeNs < oldest) oldest = o.ktimeNs;
    }
    return oldest;
  }

  private completeIfDone(key: string, p: Pending): ExecEvent | undefined {
    if (p.fnGot < p.filename.length || p.argGot < p.argv.length) return undefined;
    if (p.env !== undefined && p.envGot < p.env.length) return undefined;
    if (p.cwd.length < p.header.cwdLines) return undefined;
    this.pending.delete(key);
    if (this.last === p) this.last = undefined;
    const cwd = p.cwd.length > 0 ? this.cwdOf(p.cwd) : undefined;
    return buildExec(p.header, p.filename, p.argv, this.resolveCgroup, p.env, cwd);
  }

  /** The working directory's bytes from its walk lines; a walk that does not hold together is
   *  counted and gives none. */
  private cwdOf(lines: readonly (WalkLine | LongNameLine)[]): BuiltPath | undefined {
    const walks = lines.filter((l): l is WalkLine => l.kind === 'fp');
    const names = new Map<number, LongNameLine[]>();
    for (const l of lines) {
      if (l.kind !== 'fn') continue;
      const parts = names.get(l.step) ?? [];
      parts.push(l);
      names.set(l.step, parts);
    }
    const path = pathOfWalk(walks, names);
    if (path === undefined) this.stats.badChunks++;
    return path;
  }
}

export function buildExec(
  h: ExecHeaderLine,
  filenameBytes: Uint8Array,
  argvBytes: Uint8Array,
  resolveCgroup: (id: bigint) => string | undefined,
  env?: readonly ExecEnvLine[],
  cwd?: BuiltPath,
): ExecEvent {
  const truncated = h.argvTotalBytes > h.argvBytes;
  const fnBytes = untilNul(filenameBytes);
  const commBytes = untilNul(h.comm);
  const split = splitArgv(argvBytes, truncated);
  const fn = decodeUtf8(fnBytes);
  const cm = decodeUtf8(commBytes);
  const envs = env?.map((v) => decodeUtf8(v.bytes));
  const wd = cwd === undefined ? undefined : decodeUtf8(cwd.bytes);
  // one string that is not UTF-8 puts every string of the exec in the byte-escaped form, so a
  // reader of a marked event can take each `\xNN` in any of them for a byte (docs/ecs-mapping.md)
  const escaped =
    split.escaped ||
    fn.escaped ||
    cm.escaped ||
    (wd?.escaped ?? false) ||
    (envs?.some((d) => d.escaped) ?? false);
  const argv = escaped ? splitArgv(argvBytes, truncated, true).argv : split.argv;
  const filename = escaped ? escapeBytes(fnBytes) : fn.text;
  const comm = escaped ? escapeBytes(commBytes) : cm.text;
  const ev: ExecEvent = {
    kind: 'exec',
    ktimeNs: h.ktimeNs,
    pid: h.pid,
    tid: h.tid,
    startNs: h.startNs,
    ppid: h.ppid,
    parentStartNs: h.parentStartNs,
    uid: h.uid,
    gid: h.gid,
    euid: h.euid,
    egid: h.egid,
    comm,
    filename,
    argv,
    argvTruncated: truncated,
    capEffective: h.capEffective,
    capPermitted: h.capPermitted,
    pidNs: h.pidNs,
    mntNs: h.mntNs,
    cgroupId: h.cgroupId,
  };
  if (h.ttyMajor > 0) ev.tty = { major: h.ttyMajor, minor: h.ttyMinor };
  if (env !== undefined) {
    ev.envVars = env.map((v, i) => (escaped ? escapeBytes(v.bytes) : (envs?.[i]?.text ?? '')));
    if (env.some((v) => v.totalBytes > v.bytes.length)) ev.envTruncated = true;
  }
  // sid 0 is either a failed read or a task whose session is the kernel's (descendants of
  // kthreads, or of a PID 1 that never called setsid); either way there is no session
  // leader to name, so leave it unset and let the normalizer inherit the parent's
  if (h.sid > 0) ev.sid = h.sid;
  if (cwd !== undefined && wd !== undefined) {
    ev.cwd = escaped ? escapeBytes(cwd.bytes) : wd.text;
    if (cwd.cut) ev.cwdCut = true;
  }
  if (escaped) ev.bytesEscaped = true;
  // 0: the kernel's word was unreadable
  if (h.argc > 0) ev.argc = h.argc;
  const path = resolveCgroup(h.cgroupId);
  if (path !== undefined) ev.cgroupPath = path;
  return ev;
}
