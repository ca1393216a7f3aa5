// How far events can be released in order: up to what every bpftrace has certainly handed over.
//
// The pacing shim (native/bpftrace-pace.c) reads bpftrace's per-CPU perf buffers itself, on a
// grid of the pace, and publishes in a small file the time of every look that saw all the
// buffers, once the lines of that look's read are written to the pipe. A record is in its buffer
// at most LOOK_MARGIN_NS after the timestamp its probe took, so a look at T has handed over every
// record stamped before T - LOOK_MARGIN_NS: read the look file, then drain the pipe, and every
// event older than that is in, whatever the CPUs' buffers and the scheduler did. The collector
// releases up to the oldest such bound of its programs, held back by any event still being
// assembled (an exec whose chunks straddle two looks), and at least what the fallback reorder
// window would release (a program that stopped looking: stalled, restarting, no shim).
import { closeSync, openSync, readSync, writeFileSync } from 'node:fs';
import { gridDelayMs } from './poll-schedule.js';

/** the most a record's timestamp precedes its record in the buffer: the probe's own run, which
 *  for the longest (an exec's header after its working directory's walk) is tens of µs */
export const LOOK_MARGIN_NS = 500_000;
/**
 * Some events are stamped in one probe and printed by a later one: a fork at the parent's clone,
 * printed when the child first runs; a connect at its call, printed when it returns. Their record
 * reaches the buffer later than the margin allows, so the release also leaves events this young
 * (the collector polls this long after the grid instant, so it costs no wait there): a child that
 * runs within it, a connect that returns within it, is still in order, and so is a record whose
 * probe's vCPU the hypervisor stopped for less (seen on the shared test VM at 1,000 execs/s:
 * execs and exits 4-24 ms late with 8 ms). Later ones are late (counted, passed on at once), as
 * with a plain window.
 */
export const LOOK_MIN_AGE_NS = 15_000_000;
/** the look file: the look time, its check word and the storm flag, little-endian u64 */
const LOOK_FILE_BYTES = 24;
const MASK = (1n << 64n) - 1n;

/** splitmix64's finalizer: the shim's look_check */
export function lookCheck(t: bigint): bigint {
  let z = (t + 0x9e3779b97f4a7c15n) & MASK;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK;
  return z ^ (z >> 31n);
}

/** The look time in two words as the file holds them, or undefined when they do not agree (a
 *  read torn by a write, or nothing published yet). */
export function decodeLook(words: Buffer): number | undefined {
  const t = words.readBigUInt64LE(0);
  if (t === 0n || words.readBigUInt64LE(8) !== lookCheck(t)) return undefined;
  return Number(t);
}

/** One program's look file: created zeroed (0600) for its shim to publish in, read each poll. It
 *  is never truncated while a bpftrace maps it (a mapped page past the end of a file is SIGBUS). */
export class LookFile {
  private fd: number | undefined;
  private readonly buf = Buffer.alloc(LOOK_FILE_BYTES);
  /** the latest look read; kept when a read is torn */
  private last: number | undefined;
  /** whether the shim said, with its latest look, that it reads off the grid for a storm */
  heavy = false;

  constructor(readonly path: string) {
    writeFileSync(path, Buffer.alloc(LOOK_FILE_BYTES), { mode: 0o600 });
    this.fd = openSync(path, 'r');
  }

  /** The latest published look (CLOCK_MONOTONIC ns), or undefined if none was yet. */
  read(): number | undefined {
    if (this.fd === undefined) return undefined;
    if (readSync(this.fd, this.buf, 0, LOOK_FILE_BYTES, 0) === LOOK_FILE_BYTES) {
      const t = decodeLook(this.buf);
      if (t !== undefined && (this.last === undefined || t > this.last)) {
        this.last = t;
        this.heavy = this.buf.readBigUInt64LE(16) !== 0n;
      }
    }
    return this.last;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** one running program: its latest look (undefined: none, or no shim) and how long at most its
 *  events are waited for when it does not look (its fallback reorder window), ns */
export interface ProgramProgress {
  look: number | undefined;
  windowNs: number;
}

/**
 * The timestamp up to which held events may be released: what every running program has handed
 * over by its last look, or, for one whose look is older than its window (or that has none),
 * what its window releases; kept below any event still being assembled, but not past the
 * shortest window.
 */
export function releaseLimitNs(
  nowNs: number,
  programs: readonly ProgramProgress[],
  oldestPendingNs?: number,
): number {
  let limit = nowNs - LOOK_MIN_AGE_NS;
  let floor = limit;
  for (const p of programs) {
    const byWindow = nowNs - p.windowNs;
    limit = Math.min(limit, p.look === undefined ? byWindow : Math.max(p.look - LOOK_MARGIN_NS, byWindow));
    floor = Math.min(floor, byWindow);
  }
  if (oldestPendingNs !== undefined && oldestPendingNs <= limit) limit = Math.max(oldestPendingNs - 1, floor);
  return limit;
}

/** Whether a program's last look is before the latest instant of the grid of `paceMs`: it has
 *  not looked (or not published its look) since. */
export function lateLook(programs: readonly ProgramProgress[], nowNs: number, paceMs: number): boolean {
  const grid = paceMs * 1e6;
  const slot = Math.floor(nowNs / grid) * grid;
  return programs.some((p) => p.look !== undefined && p.look < slot);
}

/** a program whose looks are followed (a BpftraceRunner): only a running one's count */
export interface LookingProgram {
  readonly running: boolean;
}

/** A poll after a late look comes this soon, at most this many times in a row. */
const RETRY_MS = 3;
const RETRIES = 3;

/**
 * The collector's side of the looks: each program's look file, what a poll may release, and when
 * the next poll comes (just after the programs' next look, or shortly when one is late).
 */
export class Looks<P extends LookingProgram> {
  private readonly files = new Map<P, LookFile>();
  private retries = 0;

  constructor(private readonly paceMs: number) {}

  get active(): boolean {
    return this.files.size > 0;
  }

  /** Follows `program`'s looks in the file at `path` (its shim's EQLD_BPFTRACE_LOOK_FILE). */
  add(program: P, path: string): void {
    this.files.set(program, new LookFile(path));
  }

  /**
   * Each running program's last look and window; read before its pipe is. `windowNsOf` gets
   * whether the program's shim reads off the grid for a storm: a look then lags its events by a
   * whole read of a storm's lines and the pace after it, and the plain window, whose premise
   * (reads at most a 20 ms pace apart) holds there, releases sooner (at 35k connects/s the
   * root rule's p99 went from 58 to 130 ms by looks alone).
   */
  progress(programs: readonly P[], windowNsOf: (p: P, heavy: boolean) => number): ProgramProgress[] {
    const out: ProgramProgress[] = [];
    for (const p of programs) {
      if (!p.running) continue;
      const f = this.files.get(p);
      const look = f?.read();
      out.push({ look, windowNs: windowNsOf(p, f?.heavy ?? false) });
    }
    return out;
  }

  /** Whether to poll again shortly: a program has not looked since the grid instant (busy, or
   *  its read still being written), counted so that a stuck one costs RETRIES polls, not more. */
  retry(progress: readonly ProgramProgress[], nowNs: number): boolean {
    const late = this.active && this.retries < RETRIES && lateLook(progress, nowNs, this.paceMs);
    this.retries = late ? this.retries + 1 : 0;
    return late;
  }

  /** The next poll's delay: `delayMs` when sooner than the interval (a busy pipe), else just
   *  after the next look at least the interval less a pace from now; RETRY_MS after a late look. */
  nextDelayMs(delayMs: number, intervalMs: number, retry: boolean, nowNs: number): number {
    if (!this.active || delayMs < intervalMs) return delayMs;
    if (retry) return RETRY_MS;
    return gridDelayMs(nowNs, this.paceMs, LOOK_MIN_AGE_NS / 1e6, Math.max(intervalMs - this.paceMs, 1));
  }

  close(): void {
    for (const f of this.files.values()) f.close();
    this.files.clear();
  }
}
