import { describe, expect, it } from 'vitest';
import { compileQuery } from '../eql/index.js';
import { envVarOfPattern, envVarsOfRules } from './env-vars.js';

const of = (q: string) => envVarsOfRules([{ compiled: compileQuery(q) }]);

describe('environment variables the rules read', () => {
  it('takes the name of each process.env_vars pattern, with the comparison’s case and prefix', () => {
    expect(
      of(
        'process where process.env_vars like~ ("http_proxy=socks5h://*", "RUNNER_TRACKING_ID*") and not process.env_vars == "LD_LIBRARY_PATH=/x"',
      ),
    ).toEqual([
      { name: 'http_proxy', prefix: false, caseInsensitive: true },
      { name: 'RUNNER_TRACKING_ID', prefix: true, caseInsensitive: true },
      { name: 'LD_LIBRARY_PATH', prefix: false, caseInsensitive: false },
    ]);
  });

  it('skips leading wildcards and reads every step of a sequence', () => {
    expect(
      of(
        'sequence [process where process.env_vars : "*GLIBC_TUNABLES=glibc.*"] [process where process.env_vars in ("HISTFILE=/dev/null")]',
      ),
    ).toEqual([
      { name: 'GLIBC_TUNABLES', prefix: false, caseInsensitive: true },
      { name: 'HISTFILE', prefix: false, caseInsensitive: false },
    ]);
  });

  it('reads no name from a pattern that does not start with one', () => {
    expect(envVarOfPattern('*=x', true)).toBeUndefined();
    expect(envVarOfPattern('NAME', false)).toBeUndefined();
    expect(envVarOfPattern('A-B=1', false)).toBeUndefined();
    expect(envVarOfPattern('A?=1', true)).toEqual({ name: 'A', prefix: true });
    expect(of('process where process.name == "LD_PRELOAD=x"')).toEqual([]);
  });
});
