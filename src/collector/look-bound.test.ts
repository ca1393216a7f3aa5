import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  decodeLook,
  LOOK_MARGIN_NS,
  LOOK_MIN_AGE_NS,
  LookFile,
  Looks,
  lateLook,
  lookCheck,
  releaseLimitNs,
} from './look-bound.js';
import { gridDelayMs } from './poll-schedule.js';
import { ReorderBuffer } from './reorder.js';

const MS = 1e6;
const words = (t: bigint, check = lookCheck(t), heavy = 0n): Buffer => {
  const b = Buffer.alloc(24);
  b.writeBigUInt64LE(t, 0);
  b.writeBigUInt64LE(check, 8);
  b.writeBigUInt64LE(heavy, 16);
  return b;
};

describe('the look file: a time and its check word', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('reads a look whose check word agrees, and none when it does not (a torn read) or none was published', () => {
    expect(decodeLook(words(123_456_789n))).toBe(123_456_789);
    expect(decodeLook(words(123_456_789n, lookCheck(123_456_788n)))).toBeUndefined();
    expect(decodeLook(words(0n))).toBeUndefined();
    // splitmix64's finalizer, as the shim computes it (a known value of the reference mix)
    expect(lookCheck(0n)).toBe(0xe220a8397b1dcdafn);
  });

  it('keeps the last good look over a torn or an older one', () => {
    dir = mkdtempSync(join(tmpdir(), 'eqld-look-'));
    const f = new LookFile(join(dir, 'p.look'));
    expect(f.read()).toBeUndefined();
    writeFileSync(f.path, words(5_000n * 1_000_000n));
    expect(f.read()).toBe(5_000 * MS);
    writeFileSync(f.path, words(6_000n * 1_000_000n, 7n)); // torn
    expect(f.read()).toBe(5_000 * MS);
    writeFileSync(f.path, words(4_000n * 1_000_000n)); // older: not a step back
    expect(f.read()).toBe(5_000 * MS);
    writeFileSync(f.path, words(6_000n * 1_000_000n));
    expect(f.read()).toBe(6_000 * MS);
    expect(f.heavy).toBe(false);
    // the shim reading off the grid for a storm says so with its look
    writeFileSync(f.path, words(7_000n * 1_000_000n, lookCheck(7_000n * 1_000_000n), 1n));
    expect(f.read()).toBe(7_000 * MS);
    expect(f.heavy).toBe(true);
    f.close();
  });
});

describe('releaseLimitNs: how far held events may go', () => {
  const now = 10_000 * MS;
  const window = 90 * MS;

  it('releases up to what the last look handed over, less the margin and the minimum age', () => {
    // a look 2 ms ago: everything stamped before it, less the margin, is in; but not younger
    // than the minimum age (a fork printed when its child first runs)
    expect(releaseLimitNs(now, [{ look: now - 2 * MS, windowNs: window }])).toBe(now - LOOK_MIN_AGE_NS);
    expect(releaseLimitNs(now, [{ look: now - 40 * MS, windowNs: window }])).toBe(
      now - 40 * MS - LOOK_MARGIN_NS,
    );
  });

  it('waits for the program that looked last longest ago', () => {
    const limit = releaseLimitNs(now, [
      { look: now - 20 * MS, windowNs: window },
      { look: now - 50 * MS, windowNs: window },
    ]);
    expect(limit).toBe(now - 50 * MS - LOOK_MARGIN_NS);
  });

  it('falls back to the window for a program with no look, or one whose look is older than its window', () => {
    expect(releaseLimitNs(now, [{ look: undefined, windowNs: window }])).toBe(now - window);
    expect(releaseLimitNs(now, [{ look: now - 500 * MS, windowNs: window }])).toBe(now - window);
    // the file program's shorter window: its stale look holds the others at most that long
    expect(
      releaseLimitNs(now, [
        { look: now - 20 * MS, windowNs: window },
        { look: now - 500 * MS, windowNs: 30 * MS },
      ]),
    ).toBe(now - 30 * MS);
  });

  it('holds back before an exec still being assembled, but not past the shortest window', () => {
    const progress = [{ look: now - 20 * MS, windowNs: window }];
    expect(releaseLimitNs(now, progress, now - 30 * MS)).toBe(now - 30 * MS - 1);
    expect(releaseLimitNs(now, progress, now - 10 * MS)).toBe(now - 20 * MS - LOOK_MARGIN_NS);
    expect(releaseLimitNs(now, progress, now - 2_000 * MS)).toBe(now - window);
  });
});

describe('polling on the looks’ grid', () => {
  it('polls the minimum age after the next grid instant', () => {
    const now = 1_000 * 60 * MS + 3 * MS; // 3 ms past an instant of a 60 ms grid
    expect(gridDelayMs(now, 60, 15, 1)).toBeCloseTo(12, 6);
    expect(gridDelayMs(now + 13 * MS, 60, 15, 1)).toBeCloseTo(59, 6);
    // at least `atLeastMs` away: an interval of two paces skips one look
    expect(gridDelayMs(now, 60, 15, 60)).toBeCloseTo(72, 6);
  });

  it('polls again shortly while a program has not looked since the grid instant, three times at most', () => {
    const looks = new Looks<{ running: boolean }>(60);
    const dir = mkdtempSync(join(tmpdir(), 'eqld-look-'));
    try {
      looks.add({ running: true }, join(dir, 'p.look'));
      const now = 1_000 * 60 * MS + 15 * MS;
      const late = [{ look: now - 20 * MS, windowNs: 90 * MS }];
      const onTime = [{ look: now - 14 * MS, windowNs: 90 * MS }];
      expect(lateLook(late, now, 60)).toBe(true);
      expect(lateLook(onTime, now, 60)).toBe(false);
      expect([1, 2, 3, 4].map(() => looks.retry(late, now))).toEqual([true, true, true, false]);
      expect(looks.retry(onTime, now)).toBe(false);
      expect(looks.retry(late, now)).toBe(true);
      expect(looks.nextDelayMs(60, 60, true, now)).toBe(3);
      expect(looks.nextDelayMs(60, 60, false, now)).toBeCloseTo(60, 6);
      // a busy pipe is read when it needs to be, off the grid
      expect(looks.nextDelayMs(5, 60, false, now)).toBe(5);
      // each running program's look, with the window its caller gives it (told whether its
      // shim reads off the grid); a program not running is left out
      const progress = looks.progress([{ running: true }, { running: false }], (_p, heavy) =>
        heavy ? 1 : 2,
      );
      expect(progress).toEqual([{ look: undefined, windowNs: 2 }]);
      looks.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ReorderBuffer.release with a limit', () => {
  it('releases in timestamp order up to the limit given, whatever the window', () => {
    const out: number[] = [];
    const r = new ReorderBuffer<{ ktimeNs: number }>(90 * MS, (e) => out.push(e.ktimeNs));
    for (const t of [30, 10, 20, 50]) r.push({ ktimeNs: t * MS });
    r.release(60 * MS, 30 * MS);
    expect(out).toEqual([10 * MS, 20 * MS, 30 * MS]);
    // an event older than what was released comes late: passed on at once and counted
    r.push({ ktimeNs: 25 * MS });
    expect(out.at(-1)).toBe(25 * MS);
    expect(r.late).toBe(1);
  });
});
