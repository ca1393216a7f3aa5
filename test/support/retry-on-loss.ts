// Lost kernel events on a shared machine: CI runs two test files at once, and the other one may
// flood the host (an exec storm, a file storm). The kernel side then drops records, counted:
// bpftrace's perf buffers overflow ("Lost N events"), or the file program's per-second budget is
// spent (@file_dropped, printed every 5 s). A real-kernel test whose input may have been among
// them is run again rather than failed — and a look-alike that passed while records were lost
// is run again rather than passed vacuously. A failure with no loss counted fails at once.
import { setTimeout as sleep } from 'node:timers/promises';

export interface RetryOnLossOptions {
  /** a pass is vacuous when records were lost during it (a check that something did NOT happen);
   *  the count is read at once after a pass, which is right for perf-buffer losses (reported as
   *  bpftrace reads the buffers, before the records after them), not for a 5 s counter */
  passNeedsNoLoss?: boolean;
  /** after a failure, how long the loss count must stay unchanged before it is read: longer
   *  than the programs' 5 s counters interval, so a drop already made has been printed */
  quietMs?: number;
  /** the longest wait for that quiet (a storm that goes on and on) */
  maxWaitMs?: number;
  attempts?: number;
}

/** Waits until `lostSoFar()` has not changed for `quietMs` (at most `maxWaitMs`). */
export async function waitForNoLoss(
  lostSoFar: () => number,
  quietMs: number,
  maxWaitMs: number,
): Promise<void> {
  const end = Date.now() + maxWaitMs;
  let last = lostSoFar();
  let since = Date.now();
  while (Date.now() < end && Date.now() - since < quietMs) {
    await sleep(250);
    const now = lostSoFar();
    if (now !== last) {
      last = now;
      since = Date.now();
    }
  }
}

/**
 * Runs `body`; when it fails (or passes, with passNeedsNoLoss) and `lostSoFar()` grew meanwhile,
 * waits for the loss to stop and runs it again (printed), at most `attempts` times in all.
 */
export async function retryOnLoss(
  what: string,
  lostSoFar: () => number,
  body: (attempt: number) => Promise<void>,
  opts: RetryOnLossOptions = {},
): Promise<void> {
  const attempts = opts.attempts ?? 3;
  const quietMs = opts.quietMs ?? 6_000;
  const maxWaitMs = opts.maxWaitMs ?? 45_000;
  for (let attempt = 1; ; attempt++) {
    const before = lostSoFar();
    let failure: unknown;
    try {
      await body(attempt);
    } catch (err) {
      failure = err;
    }
    if (failure === undefined && !opts.passNeedsNoLoss) return;
    if (failure !== undefined) await waitForNoLoss(lostSoFar, quietMs, maxWaitMs);
    const lost = lostSoFar() - before;
    if (lost === 0) {
      if (failure !== undefined) throw failure;
      return;
    }
    if (attempt >= attempts) {
      throw new Error(`${what}: kernel records lost in each of ${attempts} attempts (${lost} in the last)`, {
        cause: failure,
      });
    }
    process.stderr.write(
      `RETRY ${attempt}: ${lost} kernel records lost during ${what} (it ${failure === undefined ? 'passed, vacuously' : 'failed'}); running it again\n`,
    );
    if (failure === undefined) await waitForNoLoss(lostSoFar, quietMs, maxWaitMs);
  }
}
