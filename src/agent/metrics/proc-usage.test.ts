import { describe, expect, it } from 'vitest';
import { ownUsage, parseStatCpu, parseStatusRss, readProcessUsage } from './proc-usage.js';

describe('process usage from /proc', () => {
  it('reads utime and stime after a comm that holds spaces and parentheses', () => {
    const stat = '4242 (a) b (c) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 1 0 1234 1000 200';
    expect(parseStatCpu(stat)).toEqual({ userSeconds: 2.5, systemSeconds: 0.75 });
  });

  it('says undefined for a truncated stat line instead of reading garbage', () => {
    expect(parseStatCpu('4242 (x) S 1 2')).toBeUndefined();
  });

  it('reads VmRSS in bytes and has none for a zombie', () => {
    expect(parseStatusRss('Name:\tx\nVmRSS:\t    1234 kB\nThreads:\t1\n')).toBe(1234 * 1024);
    expect(parseStatusRss('Name:\tx\nState:\tZ (zombie)\n')).toBeUndefined();
  });

  it('reads a live process and says undefined for one that is gone', () => {
    const me = readProcessUsage(process.pid);
    expect(me?.rssBytes).toBeGreaterThan(1024 * 1024);
    expect(me?.userSeconds).toBeGreaterThan(0);
    expect(readProcessUsage(2 ** 22 + 1)).toBeUndefined();
    expect(ownUsage().rssBytes).toBeGreaterThan(0);
  });
});
