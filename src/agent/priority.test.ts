import { describe, expect, it } from 'vitest';
import { applyPriorityBoost, type PriorityOps } from './priority.js';

function fakeOps(initial: number, refuse?: string): PriorityOps & { nice: number } {
  const ops = {
    nice: initial,
    get: () => ops.nice,
    set: (n: number) => {
      if (refuse) throw new Error(refuse);
      ops.nice = n;
    },
  };
  return ops;
}

describe('applyPriorityBoost', () => {
  it('sets nice to -boost from the default priority, as auditd does with priority_boost', () => {
    const ops = fakeOps(0);
    expect(applyPriorityBoost(4, ops)).toEqual({ kind: 'raised', from: 0, to: -4 });
    expect(ops.nice).toBe(-4);
  });

  it('also raises a lowered priority (started under nice 10)', () => {
    const ops = fakeOps(10);
    expect(applyPriorityBoost(4, ops)).toEqual({ kind: 'raised', from: 10, to: -4 });
  });

  it('never lowers a priority the operator already raised further', () => {
    const ops = fakeOps(-10);
    expect(applyPriorityBoost(4, ops)).toEqual({ kind: 'unchanged', nice: -10, reason: 'already higher' });
    expect(ops.nice).toBe(-10);
  });

  it('leaves the priority alone with boost 0', () => {
    const ops = fakeOps(5);
    expect(applyPriorityBoost(0, ops)).toEqual({ kind: 'unchanged', nice: 5, reason: 'boost 0' });
    expect(ops.nice).toBe(5);
  });

  it('reports a refusal (no CAP_SYS_NICE) instead of throwing', () => {
    const ops = fakeOps(0, 'EACCES: permission denied');
    expect(applyPriorityBoost(4, ops)).toEqual({
      kind: 'failed',
      nice: 0,
      wanted: -4,
      error: 'EACCES: permission denied',
    });
  });
});
