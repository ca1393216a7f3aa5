import { describe, expect, it } from 'vitest';
import { Reservoir } from './reservoir.js';

describe('Reservoir: percentiles of the last samples', () => {
  it('is all zeros when empty', () => {
    expect(new Reservoir(8).summary()).toEqual({ p50: 0, p99: 0, max: 0 });
  });

  it('orders samples numerically (not as strings), negatives and fractions included', () => {
    const r = new Reservoir(16);
    for (const v of [100, 9, -3, 20.5, 1000, 2]) r.add(v);
    // sorted: -3 2 9 20.5 100 1000
    expect(r.summary()).toEqual({ p50: 20.5, p99: 1000, max: 1000 });
  });

  it('keeps only the last `size` samples once full', () => {
    const r = new Reservoir(4);
    for (let v = 1; v <= 10; v++) r.add(v * 10); // keeps 70 80 90 100
    expect(r.summary()).toEqual({ p50: 90, p99: 100, max: 100 });
    r.reset();
    r.add(5);
    expect(r.summary()).toEqual({ p50: 5, p99: 5, max: 5 });
  });
});
