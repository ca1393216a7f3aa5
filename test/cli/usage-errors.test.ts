// Usage errors of every subcommand, as an admin or a systemd unit meets them: exit status 2, the
// reason on the first line naming the command, then at most one pointer to --help; nothing on
// stdout and never the help text (docs/operations.md, "exit status").
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { EQLD_MAIN } from '../support/eqld-process.js';

function eqld(args: string[]) {
  const r = spawnSync(process.execPath, [EQLD_MAIN, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, lines: r.stderr.split('\n').filter((l) => l !== '') };
}

// [args, first line]
const CASES: [string[], string][] = [
  [[], 'eqld: Name a command (run, doctor, collect, events, query, replay, rules, alerts).'],
  [['bogus'], 'eqld: Unknown argument: bogus'],
  [['run', '--frobnicate'], 'eqld run: Unknown argument: frobnicate'],
  [
    ['run', '--syslog-facility', 'foo'],
    'eqld run: Invalid value: --syslog-facility got "foo"; expected one of "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"',
  ],
  [
    ['run', '--log-level', 'loud'],
    'eqld run: Invalid value: --log-level got "loud"; expected one of "fatal", "error", "warn", "info", "debug", "trace"',
  ],
  [['run', '--config'], 'eqld run: Not enough arguments following: config'],
  [
    ['run', '--config', '/dev/null', '--argv-bytes', 'lots'],
    'eqld run: Expected --argv-bytes to be an integer, got `"lots"`',
  ],
  [['doctor', '--x'], 'eqld doctor: Unknown argument: x'],
  [['collect', '--duration', 'abc'], 'eqld collect: Expected --duration to be a number >= 0.001, got `NaN`'],
  [
    ['collect', '--argv-bytes', '3'],
    'eqld collect: Expected --argv-bytes to be an integer >= 64 and <= 8192, got `3`',
  ],
  [['events', '--duration', '-3'], 'eqld events: Expected --duration to be a number >= 0.001, got `-3`'],
  [
    ['events', '--log-level', 'loud'],
    'eqld events: Invalid value: --log-level got "loud"; expected one of "fatal", "error", "warn", "info", "debug", "trace"',
  ],
  [['query'], 'eqld query: Not enough non-option arguments: got 0, need at least 1'],
  [['query', 'any where true', 'a.ndjson', 'extra'], 'eqld query: Unknown argument: extra'],
  [['replay'], 'eqld replay: Not enough non-option arguments: got 0, need at least 1'],
  [['replay', '-', '--tuning'], 'eqld replay: Not enough arguments following: tuning'],
  [['rules'], 'eqld rules: Not enough non-option arguments: got 0, need at least 1'],
  [['rules', 'check', '--strict-ish'], 'eqld rules check: Unknown argument: strict-ish'],
];

describe('usage errors', () => {
  it.each(CASES)('eqld %j exits 2 with the reason first', (args, first) => {
    const r = eqld(args);
    expect(r.status).toBe(2);
    expect(r.lines[0]).toBe(first);
    expect(r.lines.length).toBeLessThanOrEqual(2);
    if (r.lines.length === 2) expect(r.lines[1]).toMatch(/^See `eqld( [a-z]+)* --help`\.$/);
    expect(r.stdout).toBe('');
  });

  it('still prints the full help when asked', () => {
    const r = spawnSync(process.execPath, [EQLD_MAIN, 'run', '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('--no-alerts');
  });
});
