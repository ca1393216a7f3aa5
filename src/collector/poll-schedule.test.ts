import { describe, expect, it } from 'vitest';
import { nextPoll, REFILL_BYTES } from './poll-schedule.js';

describe('nextPoll: when the collector reads the pipes again', () => {
  it('waits the whole interval on a host that is not busy (100 execs/s: ~4 KB per 40 ms poll)', () => {
    expect(nextPoll(0, 4_000, 40, 40).delayMs).toBe(40);
  });

  it('comes before the busiest pipe would hold REFILL_BYTES at the rate just seen', () => {
    const p = nextPoll(0, 100 * 1024, 40, 40); // 2.5 KiB per ms
    expect(p.delayMs).toBeCloseTo(REFILL_BYTES / ((100 * 1024) / 40), 6);
    expect(p.delayMs).toBeLessThan(7);
  });

  it('does not take a poll that fell between two of bpftrace’s bursts for the end of a storm', () => {
    const storm = nextPoll(0, 100 * 1024, 40, 40);
    const between = nextPoll(storm.fillRate, 0, storm.delayMs, 40);
    // the rate halves: the next poll comes within twice the storm's delay, not 40 ms away
    expect(between.delayMs).toBeCloseTo(2 * storm.delayMs, 6);
    expect(between.delayMs).toBeLessThan(40);
  });

  it('returns to the interval a few polls after the storm ended', () => {
    let p = nextPoll(0, 100 * 1024, 40, 40);
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      p = nextPoll(p.fillRate, 0, p.delayMs, 40);
      delays.push(p.delayMs);
    }
    expect(delays.at(-1)).toBe(40);
    // each empty poll doubles the wait until the interval caps it
    for (let i = 1; i < delays.length; i++) expect(delays[i]).toBeGreaterThanOrEqual(delays[i - 1] as number);
  });

  it('waits the interval when nothing was ever read', () => {
    expect(nextPoll(0, 0, 40, 40)).toEqual({ fillRate: 0, delayMs: 40 });
  });
});
