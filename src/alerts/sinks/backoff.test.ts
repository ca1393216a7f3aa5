import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.js';

describe('Backoff', () => {
  it('doubles from 100 ms to a 30 s ceiling and starts over after reset', () => {
    const b = new Backoff(100, 30_000, () => 0.5); // no jitter at the midpoint
    const seq = Array.from({ length: 12 }, () => b.next());
    expect(seq.slice(0, 5)).toEqual([100, 200, 400, 800, 1600]);
    expect(seq.at(-1)).toBe(30_000);
    b.reset();
    expect(b.next()).toBe(100);
  });

  it('jitters each delay within plus or minus 20 percent', () => {
    expect(new Backoff(1000, 30_000, () => 0).next()).toBe(800);
    expect(new Backoff(1000, 30_000, () => 0.999999).next()).toBe(1200);
  });
});
