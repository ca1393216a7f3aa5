// Lost kernel events on a shared machine: other work can flood bpftrace's perf buffers, and eqld
// then reports lost kernel events (and raises its telemetry-loss alert). A test case whose
// trigger may have been among them is run again instead of failing — or, for a look-alike,
// instead of passing vacuously. Needs eqld started with a short --health-interval (1 s).
import type { EqldProcess } from '../support/eqld-process.js';

function health(l: Record<string, unknown>): Record<string, unknown> | undefined {
  const h = l.health;
  return h !== null && typeof h === 'object' ? (h as Record<string, unknown>) : undefined;
}

/** the latest lost-kernel-event count eqld logged, if any */
export function lostSoFar(eqld: EqldProcess): number | undefined {
  return eqld
    .logs()
    .map((l) => health(l)?.lostKernelEvents)
    .filter((n): n is number => typeof n === 'number')
    .at(-1);
}

/** eqld's lost-kernel-event count from the first health line logged after `afterMs` */
export async function lostAfter(eqld: EqldProcess, afterMs: number): Promise<number> {
  const line = await eqld.waitForLog(
    (l) => typeof l.time === 'number' && l.time > afterMs && typeof health(l)?.lostKernelEvents === 'number',
    10_000,
  );
  return health(line)?.lostKernelEvents as number;
}

/**
 * Runs one case; re-runs it (at most three attempts, each printed) when eqld reported lost kernel
 * events during it and it failed (an attack) or passed (a look-alike, which would be vacuous).
 * A failure without reported loss is thrown at once.
 */
export async function lossAware(
  eqld: EqldProcess,
  kind: 'attack' | 'look-alike',
  fn: () => Promise<void>,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const before = lostSoFar(eqld) ?? 0;
    let failure: unknown;
    try {
      await fn();
    } catch (err) {
      failure = err;
    }
    if (failure === undefined && kind === 'attack') return;
    const after = await lostAfter(eqld, Date.now());
    if (after === before) {
      if (failure !== undefined) throw failure;
      return;
    }
    process.stderr.write(
      `e2e: eqld lost ${after - before} kernel events during this ${kind} (attempt ${attempt}); ${attempt < 3 ? 'running it again' : 'giving up'}\n`,
    );
    if (attempt >= 3) {
      throw failure ?? new Error(`eqld kept losing kernel events (${after - before} in the last attempt)`);
    }
  }
}
