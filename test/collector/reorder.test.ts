import { describe, expect, it } from 'vitest';
import type { RawEvent } from '../../src/collector/raw-event.js';
import { ReorderBuffer } from '../../src/collector/reorder.js';

const ev = (ktimeNs: number): RawEvent => ({ kind: 'lost', ktimeNs, count: 1 });

describe('ReorderBuffer', () => {
  it('releases events in kernel-timestamp order once the window has passed', () => {
    const out: number[] = [];
    const r = new ReorderBuffer(10, (e) => out.push(e.ktimeNs));
    for (const t of [105, 101, 103, 102, 110]) r.push(ev(t));
    r.release(112);
    expect(out).toEqual([101, 102]);
    r.release(120);
    expect(out).toEqual([101, 102, 103, 105, 110]);
  });

  it('passes an event older than what was already released through at once and counts it late', () => {
    const out: number[] = [];
    const r = new ReorderBuffer(10, (e) => out.push(e.ktimeNs));
    r.push(ev(100));
    r.release(200);
    r.push(ev(50));
    expect(out).toEqual([100, 50]);
    expect(r.late).toBe(1);
  });

  it('orders 10k shuffled events exactly', () => {
    const out: number[] = [];
    const r = new ReorderBuffer(0, (e) => out.push(e.ktimeNs));
    const ts = Array.from({ length: 10_000 }, (_, i) => i * 7);
    for (let i = ts.length - 1; i > 0; i--) {
      const j = (i * 7919) % (i + 1);
      [ts[i], ts[j]] = [ts[j]!, ts[i]!];
    }
    for (const t of ts) r.push(ev(t));
    r.flush();
    expect(out).toEqual([...out].sort((a, b) => a - b));
    expect(out).toHaveLength(10_000);
  });
});

describe('ReorderBuffer adaptive window', () => {
  it('widens the window after a late event so the same skew is then reordered, and narrows it again', () => {
    const ms = 1e6;
    const out: number[] = [];
    const r = new ReorderBuffer(10 * ms, (e) => out.push(e.ktimeNs / ms), 1000 * ms);
    r.push(ev(100 * ms));
    r.release(200 * ms);
    r.push(ev(60 * ms)); // 40 ms late
    expect(r.late).toBe(1);
    expect(r.windowNs).toBe(90 * ms);
    // the same 40 ms skew again: now held and ordered
    r.push(ev(300 * ms));
    r.release(330 * ms);
    r.push(ev(260 * ms));
    r.release(500 * ms);
    expect(out.slice(2)).toEqual([260, 300]);
    expect(r.late).toBe(1);
    // each second without late events halves the widening; under 1 ms it is dropped
    r.release(1200 * ms);
    expect(r.windowNs).toBe(50 * ms);
    for (let t = 2300; t < 10_000; t += 1100) r.release(t * ms);
    expect(r.windowNs).toBe(10 * ms);
  });
});

describe('ReorderBuffer with a source whose lateness is its own (the file program)', () => {
  it('passes its late event through at once without widening the window or counting it late', () => {
    const ms = 1e6;
    const out: number[] = [];
    const r = new ReorderBuffer(10 * ms, (e) => out.push(e.ktimeNs / ms), 1000 * ms);
    r.push(ev(100 * ms));
    r.release(200 * ms);
    expect(r.push(ev(60 * ms), false)).toBe(false); // 40 ms late, from the file program
    expect(out).toEqual([100, 60]);
    expect(r.late).toBe(0);
    expect(r.windowNs).toBe(10 * ms);
    // an event in time is held and ordered as any other
    expect(r.push(ev(205 * ms), false)).toBe(true);
    r.push(ev(203 * ms));
    r.release(300 * ms);
    expect(out.slice(2)).toEqual([203, 205]);
  });
});
