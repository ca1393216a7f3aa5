// The pacing shim (src/collector/native/bpftrace-pace.c) on its own: preloaded into a
// python3 that calls epoll_wait (select.epoll) on a pipe, it must space out the calls that
// follow a return with events, and leave alone those after a timeout, with timeout 0, or
// when no pace is set.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PACE_SHIM } from '../../src/collector/pace-shim.js';

// prints the seconds N epoll_wait calls took: on a pipe that always has data ("ready") or
// one that never has ("idle", each call times out after 10 ms), or with data and timeout 0 ("nowait")
const PROBE = `
import os, select, sys, time
mode, n = sys.argv[1], int(sys.argv[2])
r, w = os.pipe()
if mode != "idle": os.write(w, b"x")
ep = select.epoll()
ep.register(r, select.EPOLLIN)
timeout = 0 if mode == "nowait" else 0.01
ep.poll(timeout)
t = time.monotonic()
for _ in range(n): ep.poll(timeout)
print(time.monotonic() - t)
`;

function seconds(mode: 'ready' | 'idle' | 'nowait', env: Record<string, string>): number {
  const r = spawnSync('python3', ['-c', PROBE, mode, '10'], {
    env: { ...process.env, LD_PRELOAD: DEFAULT_PACE_SHIM, ...env },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`probe failed: ${r.stderr}`);
  return Number(r.stdout.trim());
}

const built = existsSync(DEFAULT_PACE_SHIM);
if (!built)
  process.stderr.write(`SKIPPED: ${DEFAULT_PACE_SHIM} is not built (no C compiler at npm run build)\n`);

describe.skipIf(!built)('bpftrace pacing shim', () => {
  it('spaces epoll_wait calls that follow a return with events by the pace, on its grid', () => {
    // 10 calls after a first one that returned events: each waits for the next instant of the
    // 50 ms grid, so the first waits part of a pace and the nine others a whole one
    const s = seconds('ready', { EQLD_BPFTRACE_PACE_MS: '50' });
    expect(s).toBeGreaterThanOrEqual(0.445);
    expect(s).toBeLessThan(0.6);
  });

  it('passes every call straight through without a pace, or with pace 0', () => {
    expect(seconds('ready', {})).toBeLessThan(0.2);
    expect(seconds('ready', { EQLD_BPFTRACE_PACE_MS: '0' })).toBeLessThan(0.2);
  });

  it('does not delay a call after a timeout, nor a call with timeout 0', () => {
    // 10 timeouts of 10 ms: ~0.1 s, not 10 x 50 ms
    expect(seconds('idle', { EQLD_BPFTRACE_PACE_MS: '50' })).toBeLessThan(0.4);
    expect(seconds('nowait', { EQLD_BPFTRACE_PACE_MS: '50' })).toBeLessThan(0.2);
  });
});
