// Lost kernel events on a shared machine: CI runs two test files at once, and the other one may
// flood the host (an exec storm, a file storm). The kernel side then drops records, counted:
// bpftrace's perf buffers overflow ("Lost N events"), or the file program's per-second budget is
// spent (@file_dropped, printed with its `counters` line every 5 s). A real-kernel test whose
// input may have been among them is run again rather than failed — and a look-alike that passed
// while records were lost is run again rather than passed vacuously. A failure with no loss
// counted fails.
//
// Whether records were lost is known only once the programs have been read past the failure: a
// storm starves the file program's bpftrace (nice 5), and its counts can come many seconds late.
// So the count is read after both programs' next `counters` line (kernel time after the failure).
import { setTimeout as sleep } from 'node:timers/promises';
import type { Collector } from '../../src/collector/index.js';

export interface LossProbe {
  /** kernel records lost or dropped so far */
  lost(): number;
  /** whether every loss up to kernel time `ns` (CLOCK_MONOTONIC) has been read */
  caughtUp(ns: number): boolean;
}

/** a collector's losses: both programs' perf-buffer losses and the file program's budget drops */
const collectorLost = (c: Pick<Collector, 'stats'>): number => {
  const s = c.stats();
  return s.lost + (s.file ? s.file.lost + s.file.dropped : 0);
};

export const collectorLossProbe = (c: Pick<Collector, 'stats'>): LossProbe => ({
  lost: () => collectorLost(c),
  caughtUp: (ns) => {
    const s = c.stats();
    return s.countersKtimeNs >= ns && (s.file === undefined || s.file.countersKtimeNs >= ns);
  },
});

/** CLOCK_MONOTONIC, as bpftrace's nsecs */
const nowNs = (): number => Number(process.hrtime.bigint());

export interface RetryOnLossOptions {
  /** a pass is vacuous when records were lost during it (a check that something did NOT happen);
   *  the count is read at once after a pass, which is right for perf-buffer losses (reported as
   *  bpftrace reads the buffers, before the records after them), not for the file budget */
  passNeedsNoLoss?: boolean;
  /** the longest wait for the programs to be read past a moment, and for a storm to end */
  maxWaitMs?: number;
  attempts?: number;
  /** ms between looks at the probe */
  pollMs?: number;
  /** where the retries are told (stderr) */
  log?: (line: string) => void;
}

/** Waits until the programs have been read past kernel time `ns` (at most `maxWaitMs`). */
async function readPast(probe: LossProbe, ns: number, maxWaitMs: number, pollMs: number): Promise<void> {
  const end = Date.now() + maxWaitMs;
  while (!probe.caughtUp(ns) && Date.now() < end) await sleep(pollMs);
  await sleep(pollMs); // the counter lines after the `counters` line, if read in a later chunk
}

/** Waits until a whole counters interval passed with no loss (the storm is over), at most `maxWaitMs`. */
async function untilNoLoss(probe: LossProbe, maxWaitMs: number, pollMs: number): Promise<void> {
  const end = Date.now() + maxWaitMs;
  while (Date.now() < end) {
    const before = probe.lost();
    const since = nowNs();
    await sleep(pollMs);
    await readPast(probe, since, end - Date.now(), pollMs);
    if (probe.lost() === before) return;
  }
}

/**
 * Runs `body`; when it fails (or passes, with passNeedsNoLoss) and records were lost meanwhile,
 * waits until the loss stops and runs it again (printed), at most `attempts` times in all.
 */
export async function retryOnLoss(
  what: string,
  probe: LossProbe,
  body: (attempt: number) => Promise<void>,
  opts: RetryOnLossOptions = {},
): Promise<void> {
  const attempts = opts.attempts ?? 3;
  const maxWaitMs = opts.maxWaitMs ?? 40_000;
  const pollMs = opts.pollMs ?? 250;
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  for (let attempt = 1; ; attempt++) {
    const before = probe.lost();
    let failure: unknown;
    try {
      await body(attempt);
    } catch (err) {
      failure = err;
    }
    if (failure === undefined && !opts.passNeedsNoLoss) return;
    if (failure !== undefined) await readPast(probe, nowNs(), maxWaitMs, pollMs);
    const lost = probe.lost() - before;
    if (lost === 0) {
      if (failure === undefined) return;
      log(`NO LOSS during ${what} (${probe.lost()} records lost so far in all): its failure stands`);
      throw failure;
    }
    if (attempt >= attempts) {
      throw new Error(`${what}: kernel records lost in each of ${attempts} attempts (${lost} in the last)`, {
        cause: failure,
      });
    }
    log(
      `RETRY ${attempt}: ${lost} kernel records lost during ${what} (it ${failure === undefined ? 'passed, vacuously' : 'failed'}); running it again`,
    );
    await untilNoLoss(probe, maxWaitMs, pollMs);
  }
}
