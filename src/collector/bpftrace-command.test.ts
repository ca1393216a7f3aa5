import { describe, expect, it } from 'vitest';
import { bpftraceCommand, bpftraceEnv } from './bpftrace-command.js';

describe('bpftraceCommand', () => {
  const base = { bpftracePath: '/usr/bin/bpftrace', programPath: '/run/p.bt' };

  it('runs bpftrace directly without wrappers when they are off', () => {
    expect(bpftraceCommand({ ...base, niceness: 0, pdeathsig: false, pipeBytes: 0 })).toEqual([
      '/usr/bin/bpftrace',
      ['/run/p.bt'],
    ]);
  });

  it('puts nice innermost, then setpriv, then the pipe-enlarging perl, each exec-ing the next', () => {
    const [cmd, args] = bpftraceCommand({ ...base, niceness: 9, pdeathsig: true, pipeBytes: 4096 });
    expect(cmd).toBe('/usr/bin/perl');
    const tail = args.slice(args.indexOf('--') + 1);
    expect(tail).toEqual([
      '4096',
      'setpriv',
      '--pdeathsig',
      'KILL',
      '--',
      '/usr/bin/nice',
      '-n',
      '9',
      '/usr/bin/bpftrace',
      '/run/p.bt',
    ]);
  });

  it('adds no nice wrapper for an increment of 0 or less (eqld already at or below the wanted priority)', () => {
    expect(bpftraceCommand({ ...base, niceness: -2, pdeathsig: false, pipeBytes: 0 })[1]).toEqual([
      '/run/p.bt',
    ]);
  });
});

describe('bpftraceEnv', () => {
  it('sets string size and perf buffer pages, and no preload when unpaced', () => {
    expect(bpftraceEnv({ paceMs: 0, paceShim: '', perfBufferPages: 64 })).toEqual({
      BPFTRACE_STRLEN: '200',
      BPFTRACE_PERF_RB_PAGES: '64',
    });
  });

  it('preloads the pacing shim ahead of an inherited LD_PRELOAD', () => {
    const env = bpftraceEnv({ paceMs: 20, paceShim: '/opt/eqld/pace.so', inheritedPreload: '/lib/x.so' });
    expect(env.LD_PRELOAD).toBe('/opt/eqld/pace.so /lib/x.so');
    expect(env.EQLD_BPFTRACE_PACE_MS).toBe('20');
  });
});
