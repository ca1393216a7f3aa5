import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Periodic } from './periodic.js';

describe('Periodic: a job that rides the polls', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const make = (periodMs: number, idleDelayMs?: (sinceLastRunMs: number) => number) => {
    const runs: number[] = [];
    const p = new Periodic(() => runs.push(Date.now()), periodMs, {
      now: () => Date.now(),
      ...(idleDelayMs ? { idleDelayMs } : {}),
    });
    return { p, runs };
  };

  it('runs at the first poll at or after it is due, with no timer of its own while polls come', () => {
    const { p, runs } = make(200);
    const t0 = Date.now();
    p.start();
    expect(vi.getTimerCount()).toBe(1); // its own, until the first poll
    for (let t = 40; t <= 2000; t += 40) {
      vi.advanceTimersByTime(40);
      p.onPoll();
      expect(vi.getTimerCount()).toBe(0);
    }
    expect(runs.map((r) => r - t0)).toEqual([200, 400, 600, 800, 1000, 1200, 1400, 1600, 1800, 2000]);
    p.stop();
  });

  it('runs from its own timer, when due, once polling stopped (a quiet host)', () => {
    const { p, runs } = make(200);
    const t0 = Date.now();
    p.start();
    vi.advanceTimersByTime(120);
    p.onPoll();
    vi.advanceTimersByTime(40);
    p.onPoll();
    p.onPollsStopped(); // at 160: due at 200
    vi.advanceTimersByTime(640);
    expect(runs.map((r) => r - t0)).toEqual([200, 400, 600, 800]);
    // polls again: the timer goes, the poll runs it when due
    vi.advanceTimersByTime(100);
    p.onPoll();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(100);
    p.onPoll();
    expect(runs.map((r) => r - t0)).toEqual([200, 400, 600, 800, 1000]);
    p.stop();
  });

  it('on a quiet host waits as long as its idle delay says, and arms no timer when it says never', () => {
    let due = 1000;
    const { p, runs } = make(200, (since) => Math.max(200 - since, Math.min(1000 - since, due)));
    const t0 = Date.now();
    p.start();
    vi.advanceTimersByTime(3000);
    expect(runs.map((r) => r - t0)).toEqual([1000, 2000, 3000]);
    // something due sooner (asked at each arming): the timer comes then, never within the period
    due = 300;
    vi.advanceTimersByTime(1000); // armed at 3000 for 4000; the run at 4000 arms for 4300
    due = 50; // the run at 4300 arms for 4500: the period is the floor
    vi.advanceTimersByTime(500);
    expect(runs.map((r) => r - t0)).toEqual([1000, 2000, 3000, 4000, 4300, 4500]);
    // while polls come the period holds, whatever the idle delay
    for (let t = 0; t < 400; t += 40) {
      vi.advanceTimersByTime(40);
      p.onPoll();
    }
    expect(runs.filter((r) => r - t0 > 4500).length).toBe(2);
    p.stop();

    const { p: q, runs: never } = make(200, () => Number.POSITIVE_INFINITY);
    q.start();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(5000);
    expect(never).toEqual([]);
    q.onPoll(); // a poll still runs it when due
    expect(never).toHaveLength(1);
    q.onPollsStopped();
    expect(vi.getTimerCount()).toBe(0);
    q.stop();

    // an idle delay that is not a number falls back to the period (setTimeout would take 1 ms)
    const { p: r, runs: nan } = make(200, () => Number.NaN);
    r.start();
    vi.advanceTimersByTime(1000);
    expect(nan).toHaveLength(5);
    r.stop();
  });

  it('does nothing before start or after stop', () => {
    const { p, runs } = make(200);
    vi.advanceTimersByTime(250);
    p.onPoll();
    p.onPollsStopped();
    vi.advanceTimersByTime(1000);
    expect(runs).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
    p.start();
    vi.advanceTimersByTime(150);
    p.onPoll();
    expect(runs).toHaveLength(0);
    vi.advanceTimersByTime(50);
    p.onPoll();
    expect(runs).toHaveLength(1);
    p.stop();
    p.onPollsStopped();
    vi.advanceTimersByTime(5000);
    p.onPoll();
    expect(runs).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('counts a new period from the change', () => {
    const { p, runs } = make(1000);
    const t0 = Date.now();
    p.start();
    vi.advanceTimersByTime(500);
    p.setPeriod(200);
    vi.advanceTimersByTime(700);
    expect(runs.map((r) => r - t0)).toEqual([700, 900, 1100]);
    p.stop();
  });

  it('runs again from its own timer after a job that threw', () => {
    let n = 0;
    const p = new Periodic(
      () => {
        n++;
        throw new Error('job failed');
      },
      100,
      { now: () => Date.now() },
    );
    p.start();
    expect(() => vi.advanceTimersByTime(100)).toThrow('job failed');
    expect(() => vi.advanceTimersByTime(100)).toThrow('job failed');
    expect(n).toBe(2);
    p.stop();
  });
});
