// The run record, <state_dir>/run.json: until when the last eqld on this state directory was known
// to be running, and whether it stopped cleanly. A run that ended any other way (SIGKILL, a crash,
// the OOM killer, a power loss) watched nothing from its last mark until the next run attached its
// probes; the next start reports that span as a telemetry gap, as it does when bpftrace stops.
// The record is rewritten whole (a temporary file renamed over it) at start, every MARK_MS and at
// a clean stop; the state directory's lock (agent.ts) makes its writer the only eqld there.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const RUN_RECORD_FILE = 'run.json';
/** how often a running agent marks itself alive: the gap's start is at most this early */
export const MARK_MS = 5_000;

export interface RunRecord {
  pid: number;
  bootId: string;
  startedMs: number;
  /** the last time this run was known to be running */
  aliveMs: number;
  /** set by a clean stop */
  stoppedMs?: number;
}

export interface UnwatchedSpan {
  fromMs: number;
  toMs: number;
  reason: string;
}

function isRecord(v: unknown): v is RunRecord {
  const r = v as Partial<RunRecord> | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    Number.isInteger(r.pid) &&
    typeof r.bootId === 'string' &&
    Number.isFinite(r.startedMs) &&
    Number.isFinite(r.aliveMs) &&
    (r.stoppedMs === undefined || Number.isFinite(r.stoppedMs))
  );
}

/** The previous run's record; `unreadable` names why a present file could not be used. */
export function readRunRecord(stateDir: string): { record?: RunRecord; unreadable?: string } {
  let text: string;
  try {
    text = readFileSync(join(stateDir, RUN_RECORD_FILE), 'utf8');
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? {} : { unreadable: (err as Error).message };
  }
  try {
    const v: unknown = JSON.parse(text);
    return isRecord(v) ? { record: v } : { unreadable: 'not a run record' };
  } catch (err) {
    return { unreadable: (err as Error).message };
  }
}

/** The span no eqld watched, when the previous run did not stop cleanly. Pure. */
export function unwatchedSince(
  previous: RunRecord | undefined,
  attachedMs: number,
  bootId: string,
): UnwatchedSpan | undefined {
  if (previous === undefined || previous.stoppedMs !== undefined) return undefined;
  const rebooted = previous.bootId !== bootId ? '; the host has restarted since' : '';
  return {
    fromMs: Math.min(previous.aliveMs, attachedMs),
    toMs: attachedMs,
    reason: `eqld was not running: its previous run (pid ${previous.pid}) ended without a clean stop (killed, crashed or the host went down)${rebooted}`,
  };
}

/** Keeps this run's record: started, marked alive every MARK_MS, stopped. */
export class RunRecorder {
  private readonly path: string;
  private readonly record: RunRecord;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    stateDir: string,
    bootId: string,
    /** a write that failed (the agent goes on; the next start may then report a gap too early) */
    private readonly onError: (err: Error) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.path = join(stateDir, RUN_RECORD_FILE);
    const t = now();
    this.record = { pid: process.pid, bootId, startedMs: t, aliveMs: t };
  }

  /** Writes the record and marks it alive until stopped() (the timer keeps no process alive). */
  start(markMs = MARK_MS): void {
    this.write();
    this.timer = setInterval(() => this.mark(), markMs);
    this.timer.unref();
  }

  mark(): void {
    this.record.aliveMs = this.now();
    this.write();
  }

  /** The clean stop: the next start reports no gap. */
  stopped(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const t = this.now();
    this.record.aliveMs = t;
    this.record.stoppedMs = t;
    this.write();
  }

  private write(): void {
    const tmp = `${this.path}.tmp`;
    try {
      writeFileSync(tmp, `${JSON.stringify(this.record)}\n`, { mode: 0o600 });
      renameSync(tmp, this.path);
    } catch (err) {
      this.onError(err as Error);
    }
  }
}
