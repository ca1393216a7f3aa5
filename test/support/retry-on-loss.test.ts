import { describe, expect, it } from 'vitest';
import { retryOnLoss } from './retry-on-loss.js';

const fast = { quietMs: 30, maxWaitMs: 500 };

describe('retryOnLoss (the real-kernel tests under a storm next door)', () => {
  it('throws a failure at once when no record was lost', async () => {
    let runs = 0;
    const body = async () => {
      runs++;
      throw new Error('wrong field');
    };
    await expect(retryOnLoss('t', () => 0, body, fast)).rejects.toThrow('wrong field');
    expect(runs).toBe(1);
  });

  it('runs a failed case again when records were lost during it, and passes when a later attempt does', async () => {
    let lost = 0;
    let runs = 0;
    await retryOnLoss(
      't',
      () => lost,
      async () => {
        runs++;
        if (runs === 1) {
          lost += 5;
          throw new Error('event missing');
        }
      },
      fast,
    );
    expect(runs).toBe(2);
  });

  it('counts a loss reported after the failure, once the count has settled', async () => {
    let lost = 0;
    let runs = 0;
    await retryOnLoss(
      't',
      () => lost,
      async () => {
        runs++;
        if (runs === 1) {
          setTimeout(() => (lost += 1), 10); // the counters line comes a moment later
          throw new Error('event missing');
        }
      },
      fast,
    );
    expect(runs).toBe(2);
  });

  it('gives up after three attempts that all lost records, with the last failure as the cause', async () => {
    let lost = 0;
    let runs = 0;
    const err = await retryOnLoss(
      'the storm',
      () => lost,
      async () => {
        runs++;
        lost++;
        throw new Error('event missing');
      },
      fast,
    ).catch((e: unknown) => e as Error);
    expect(runs).toBe(3);
    expect(err.message).toMatch(/the storm: kernel records lost in each of 3 attempts/);
    expect((err.cause as Error).message).toBe('event missing');
  });

  it('runs a passing look-alike again when records were lost during it (its pass proves nothing)', async () => {
    let lost = 0;
    let runs = 0;
    await retryOnLoss(
      't',
      () => lost,
      async () => {
        runs++;
        if (runs === 1) lost += 2;
      },
      { ...fast, passNeedsNoLoss: true },
    );
    expect(runs).toBe(2);
  });

  it('passes at once when nothing was lost, without waiting', async () => {
    const t0 = Date.now();
    await retryOnLoss(
      't',
      () => 0,
      async () => {},
      { quietMs: 5_000, passNeedsNoLoss: true },
    );
    expect(Date.now() - t0).toBeLessThan(1_000);
  });
});
