// When the collector polls next (collector.ts schedulePoll): after the poll interval on a host
// that is not busy, sooner when the rate the pipes fill at would put REFILL_BYTES in one before
// then (so that bpftrace does not block on a full pipe, and a storm's events wait less).

/** the next poll comes before the pipe (64 KiB) is expected to hold this much */
export const REFILL_BYTES = 16 * 1024;

export interface PollPace {
  /** bytes per ms the busiest pipe filled at, as recently seen */
  fillRate: number;
  /** ms until the next poll */
  delayMs: number;
}

/**
 * The rate seen decays by half per poll rather than dropping to what the last poll read:
 * bpftrace writes in bursts (its pace), and under a storm a poll between two bursts reads
 * nothing; taking that for the rate put the next poll a whole interval away (connect-storm
 * latency p50 +20 ms with 40 ms polls, docs/collector.md).
 */
export function nextPoll(
  prevFillRate: number,
  busiestBytes: number,
  sinceMs: number,
  intervalMs: number,
): PollPace {
  const fillRate = Math.max(busiestBytes / sinceMs, prevFillRate / 2);
  const fillMs = fillRate > 0 ? REFILL_BYTES / fillRate : Number.POSITIVE_INFINITY;
  return { fillRate, delayMs: Math.min(intervalMs, fillMs) };
}

/**
 * With the pacing shim's looks on a grid of `gridMs` (CLOCK_MONOTONIC, bpftrace-pace.c), a poll
 * is best `offsetMs` after a look: the lines of that look are written and its time published by
 * then, so the poll releases everything up to it. The delay to the first such instant at least
 * `atLeastMs` from now.
 */
export function gridDelayMs(nowNs: number, gridMs: number, offsetMs: number, atLeastMs: number): number {
  const grid = gridMs * 1e6;
  const earliest = nowNs + atLeastMs * 1e6;
  const at = Math.ceil((earliest - offsetMs * 1e6) / grid) * grid + offsetMs * 1e6;
  return (at - nowNs) / 1e6;
}
