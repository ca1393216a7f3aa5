import { describe, expect, it } from 'vitest';
import {
  checkEnvVarSpec,
  EnvVarError,
  type EnvVarSpec,
  envMatchConditions,
  mergeEnvVarSpecs,
  parseEnvVarSpec,
} from './env-match.js';

/** The generated bpftrace tests run as JavaScript over a variable's bytes (what the kernel does). */
function kernelVerdict(specs: readonly EnvVarSpec[], variable: string): boolean {
  const c = envMatchConditions(specs);
  const toJs = (expr: string) =>
    expr
      .replace(/@envk\[(.*?)\] != 0/g, 'keys.has($1)')
      .replace(/0x[0-9a-f]+/g, (h) => `${h}n`)
      .replace(/\$w(\d?)/g, 'w$1');
  const keys = new Set(c.keys.map((l) => BigInt(/@envk\[(0x[0-9a-f]+)\]/.exec(l)![1]!)));
  const bytes = Buffer.alloc(40);
  Buffer.from(variable, 'latin1').copy(bytes);
  const w = [0, 1, 2, 3].map((k) => bytes.readBigUInt64LE(8 * k));
  const run = (expr: string) =>
    new Function('w', 'w1', 'w2', 'w3', 'keys', `return ${toJs(expr)};`)(...w, keys) as boolean;
  // the kernel side compares whole only what passes the prefilter
  return run(c.prefilter) && run(c.full);
}

describe('environment variables to capture', () => {
  const specs: EnvVarSpec[] = [
    { name: 'LD_PRELOAD', prefix: false },
    { name: 'http_proxy', prefix: false, caseInsensitive: true },
    { name: 'RUNNER_TRACKING_ID', prefix: true, caseInsensitive: true },
    { name: 'TZ', prefix: false },
  ];

  it.each([
    ['LD_PRELOAD=/x.so', true],
    ['LD_PRELOAD_X=1', false],
    ['ld_preload=/x.so', false],
    ['HTTP_PROXY=socks5h://h:1', true],
    ['http_proxy=x', true],
    ['Http_Proxy=x', true],
    ['http_proxyX=x', false],
    ['RUNNER_TRACKING_IDX=1', true],
    ['runner_tracking_id=1', true],
    ['RUNNER_TRACKING_I=1', false],
    ['TZ=UTC', true],
    ['TZX=1', false],
    ['tz=UTC', false],
    ['PATH=/bin', false],
    ['=', false],
  ])('%s is captured: %s', (variable, want) => {
    expect(kernelVerdict(specs, variable)).toBe(want);
  });

  it('folds only letters: `_` and `=` must match as they are', () => {
    expect(kernelVerdict([{ name: 'A_B', prefix: false, caseInsensitive: true }], 'a_b=1')).toBe(true);
    expect(kernelVerdict([{ name: 'A_B', prefix: false, caseInsensitive: true }], 'a\x7fb=1')).toBe(false);
  });

  it('reads NAME and NAME* entries and refuses names that are not variable names', () => {
    expect(parseEnvVarSpec('LD_PRELOAD')).toEqual({ name: 'LD_PRELOAD', prefix: false });
    expect(parseEnvVarSpec('RUNNER_*')).toEqual({ name: 'RUNNER_', prefix: true });
    for (const bad of ['', '1ABC', 'A-B', 'A=B', 'x'.repeat(32), 'A B']) {
      expect(() => parseEnvVarSpec(bad), bad).toThrow(EnvVarError);
    }
    expect(() => checkEnvVarSpec({ name: 'x'.repeat(31), prefix: false })).not.toThrow();
  });

  it('merges specs, leaving out those another covers', () => {
    expect(
      mergeEnvVarSpecs([
        { name: 'RUNNER_TRACKING_ID', prefix: false, caseInsensitive: true },
        { name: 'RUNNER_TRACKING_ID', prefix: true, caseInsensitive: true },
        { name: 'HISTFILE', prefix: false },
        { name: 'HISTFILE', prefix: false, caseInsensitive: true },
        { name: 'HISTFILE', prefix: false },
      ]),
    ).toEqual([
      { name: 'HISTFILE', prefix: false, caseInsensitive: true },
      { name: 'RUNNER_TRACKING_ID', prefix: true, caseInsensitive: true },
    ]);
  });
});
