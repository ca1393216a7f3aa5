import { describe, expect, it } from 'vitest';
import { ci95, costs, mean, type Slot, t975 } from '../../bench/paired-stats.js';

describe("the paired bench's statistics", () => {
  it("gives Student's t quantiles as the tables do", () => {
    expect(t975(39)).toBeCloseTo(2.0227, 3);
    expect(t975(10)).toBeCloseTo(2.2281, 2);
    expect(t975(5)).toBeCloseTo(2.5706, 1);
    expect(t975(1e6)).toBeCloseTo(1.96, 3);
  });

  it('gives the t interval of the mean for uncorrelated figures', () => {
    // alternating signs: negative lag-1 autocovariance, so the plain variance is used
    const xs = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? 10 : -10));
    expect(mean(xs)).toBe(0);
    const sd = Math.sqrt((40 * 100) / 39);
    expect(ci95(xs)).toBeCloseTo((t975(39) * sd) / Math.sqrt(40), 9);
  });

  it('widens the interval when neighbours move together', () => {
    let seed = 12345;
    const iid = Array.from({ length: 200 }, () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31 - 0.5;
    });
    // each value twice in a row: the same spread, but half as much independent information
    const paired = iid.flatMap((x) => [x, x]);
    const plain = t975(paired.length - 1) * Math.sqrt(variance(paired) / paired.length);
    expect(ci95(paired)).toBeGreaterThan(plain * 1.3);
  });

  it('has no interval from fewer than two figures', () => {
    expect(ci95([5])).toBe(Number.POSITIVE_INFINITY);
  });
});

describe("the paired bench's costs per exec", () => {
  // 100 execs/s, 200 execs per slot, 2.5 s from one slot's start to the next; eqld stands at
  // 4 ms/s of CPU with nothing to do, auditd at nothing
  const slot = (
    state: Slot['state'],
    loadUs: number,
    eqldMs: number,
    auditdMs: number,
    bpfMs: number,
  ): Slot => ({
    state,
    execs: 200,
    loadUs,
    wallS: 2.5,
    ownNs: { eqld: eqldMs * 1e6, auditd: auditdMs * 1e6 },
    bpfNs: bpfMs * 1e6,
  });
  const slots = [
    slot('off', 1000, 10, 0, 1),
    slot('eqld', 1050, 40, 0, 6), // 30 ms of work, 150 µs per exec
    slot('off', 1000, 12, 0, 1), // 2 ms of eqld's work spilled into it
    slot('auditd', 1060, 10, 50, 1),
    slot('off', 1000, 10, 0, 1),
  ];

  it("takes the load against the off slots around, and eqld's closed gate back", () => {
    const c = costs(slots, 100);
    expect(c.eqld[0]?.onLoad).toBeCloseTo(1050 - 1000 + 5, 9);
    expect(c.auditd[0]?.onLoad).toBeCloseTo(60, 9);
  });

  it("counts the agent's spill into the next off slot, and its standing rate only in gross", () => {
    const c = costs(slots, 100);
    expect(c.eqld[0]?.ownNet).toBeCloseTo((30e6 + 2e6) / 1e3 / 200, 9);
    expect(c.eqld[0]?.net).toBeCloseTo(55 + 160, 9);
    expect(c.eqld[0]?.gross).toBeCloseTo(55 + 160 + 40, 9); // 4 ms/s at 100 execs/s
    expect(c.auditd[0]?.ownNet).toBeCloseTo(250, 9);
    expect(c.auditd[0]?.gross).toBeCloseTo(310, 9);
  });

  it('refuses slots that do not alternate with off slots', () => {
    expect(() => costs([slots[0], slots[1], slots[3]] as Slot[], 100)).toThrow(/out of order/);
  });
});

function variance(xs: number[]): number {
  const m = mean(xs);
  return xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1);
}
