import { describe, expect, it } from 'vitest';
import { type LossProbe, retryOnLoss } from './retry-on-loss.js';

const told: string[] = [];
const fast = { pollMs: 5, maxWaitMs: 2_000, log: (line: string) => told.push(line) };
const nowNs = () => Number(process.hrtime.bigint());

/** a probe whose programs print their counts `lagMs` after the kernel time they cover */
function fakeProbe(lagMs = 0): LossProbe & { lose(n: number): void } {
  let lost = 0;
  return {
    lost: () => lost,
    caughtUp: (ns) => nowNs() - lagMs * 1e6 >= ns,
    lose(n: number) {
      if (lagMs === 0) lost += n;
      else setTimeout(() => (lost += n), lagMs / 2);
    },
  };
}

describe('retryOnLoss (the real-kernel tests under a storm next door)', () => {
  it('throws a failure when no record was lost', async () => {
    let runs = 0;
    const body = async () => {
      runs++;
      throw new Error('wrong field');
    };
    told.length = 0;
    await expect(retryOnLoss('t', fakeProbe(), body, fast)).rejects.toThrow('wrong field');
    expect(runs).toBe(1);
    expect(told).toEqual(['NO LOSS during t (0 records lost so far in all): its failure stands']);
  });

  /** runs a case that fails once, losing records in that attempt through `probe`; its attempts */
  async function failingOnceWithLoss(probe: ReturnType<typeof fakeProbe>): Promise<number> {
    let runs = 0;
    const body = async () => {
      runs++;
      if (runs === 1) {
        probe.lose(1);
        throw new Error('event missing');
      }
    };
    await retryOnLoss('t', probe, body, fast);
    return runs;
  }

  it('runs a failed case again when records were lost during it, and passes when a later attempt does', async () => {
    expect(await failingOnceWithLoss(fakeProbe())).toBe(2);
  });

  it('reads the count only once the programs were read past the failure: a loss counted late is seen', async () => {
    // the drop is printed 30 ms after the failure, the programs caught up 60 ms after it
    expect(await failingOnceWithLoss(fakeProbe(60))).toBe(2);
  });

  it('gives up after three attempts that all lost records, with the last failure as the cause', async () => {
    const probe = fakeProbe();
    let runs = 0;
    const body = async () => {
      runs++;
      probe.lose(1);
      throw new Error('event missing');
    };
    told.length = 0;
    const err = (await retryOnLoss('the storm', probe, body, fast).catch((e: unknown) => e)) as Error;
    expect(runs).toBe(3);
    expect(told).toEqual([
      'RETRY 1: 1 kernel records lost during the storm (it failed); running it again',
      'RETRY 2: 1 kernel records lost during the storm (it failed); running it again',
    ]);
    expect(err.message).toMatch(/the storm: kernel records lost in each of 3 attempts/);
    expect((err.cause as Error).message).toBe('event missing');
  });

  it('runs a passing look-alike again when records were lost during it (its pass proves nothing)', async () => {
    const probe = fakeProbe();
    let runs = 0;
    const body = async () => {
      runs++;
      if (runs === 1) probe.lose(2);
    };
    await retryOnLoss('t', probe, body, { ...fast, passNeedsNoLoss: true });
    expect(runs).toBe(2);
  });

  it('waits for the storm to end before running again: a whole counting interval with no loss', async () => {
    const probe = fakeProbe();
    let storming = true;
    const storm = setInterval(() => storming && probe.lose(1), 2);
    setTimeout(() => (storming = false), 150);
    let secondRunAt = 0;
    let runs = 0;
    const start = Date.now();
    const body = async () => {
      runs++;
      if (runs === 1) throw new Error('event missing');
      secondRunAt = Date.now() - start;
    };
    try {
      await retryOnLoss('t', probe, body, fast);
    } finally {
      clearInterval(storm);
    }
    expect(runs).toBe(2);
    expect(secondRunAt).toBeGreaterThanOrEqual(150);
  });
});
