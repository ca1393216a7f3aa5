import { describe, expect, it } from 'vitest';
import { TokenBucket } from './rate-cap.js';
import { Suppressor } from './suppression.js';

const terms = (v: string) => [{ field: 'process.entity_id', value: v }];

describe('Suppressor', () => {
  it('lets the first alert of a key through and counts duplicates until the window closes', () => {
    const s = new Suppressor();
    expect(s.admit('r', terms('A'), 1000, 60_000, 'id1')).toBe(true);
    expect(s.admit('r', terms('A'), 2000, 60_000, 'id2')).toBe(false);
    expect(s.admit('r', terms('A'), 3000, 60_000, 'id3')).toBe(false);
    expect(s.admit('r', terms('B'), 3000, 60_000, 'id4')).toBe(true);
    expect(s.admit('other', terms('A'), 3000, 60_000, 'id5')).toBe(true);
    expect(s.advance(60_999)).toEqual([]);
    const closed = s.advance(61_000);
    expect(closed).toHaveLength(1);
    expect(closed[0]).toMatchObject({
      ruleId: 'r',
      firstAlertId: 'id1',
      count: 2,
      startMs: 1000,
      lastSeenMs: 3000,
    });
    expect(s.admit('r', terms('A'), 61_500, 60_000, 'id6')).toBe(true);
  });

  it('names the end of the first window whose follow-up is due, not of windows with nothing held', () => {
    const s = new Suppressor();
    s.admit('r', terms('A'), 1000, 60_000, 'id1');
    expect(s.nextEndMs()).toBe(Number.POSITIVE_INFINITY); // closing it gives no follow-up
    s.admit('r', terms('B'), 2000, 10_000, 'id2');
    s.admit('r', terms('B'), 2500, 10_000, 'id3');
    s.admit('r', terms('A'), 3000, 60_000, 'id4');
    expect(s.nextEndMs()).toBe(12_000);
    expect(s.advance(12_000)).toHaveLength(1);
    expect(s.nextEndMs()).toBe(61_000);
  });

  it('passes everything when the window is 0', () => {
    const s = new Suppressor();
    expect(s.admit('r', terms('A'), 1, 0, 'a')).toBe(true);
    expect(s.admit('r', terms('A'), 2, 0, 'b')).toBe(true);
  });

  it('flushRule closes only that rule and reports counted windows', () => {
    const s = new Suppressor();
    s.admit('r', terms('A'), 0, 1000, 'a');
    s.admit('r', terms('A'), 1, 1000, 'b');
    s.admit('q', terms('A'), 0, 1000, 'c');
    s.admit('q', terms('A'), 1, 1000, 'd');
    expect(s.flushRule('r').map((w) => w.ruleId)).toEqual(['r']);
    expect(s.size).toBe(1);
  });
});

describe('TokenBucket', () => {
  it('allows a burst, then refills with event time', () => {
    const b = new TokenBucket({ burst: 2, perMinute: 60 });
    expect([b.take(0), b.take(0), b.take(0)]).toEqual([true, true, false]);
    expect(b.take(500)).toBe(false);
    expect(b.take(1000)).toBe(true);
    expect(b.take(1000)).toBe(false);
  });
  it('never exceeds the burst after a long quiet period', () => {
    const b = new TokenBucket({ burst: 2, perMinute: 60 });
    b.take(0);
    expect([b.take(3_600_000), b.take(3_600_000), b.take(3_600_000)]).toEqual([true, true, false]);
  });
});
