import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/config-error.js';
import { resolveConfig, restartOnlyChanges } from '../../src/config/resolve-config.js';
import { CONFIG_KEYS } from '../../src/config/schema.js';

const SHIPPED = readFileSync(new URL('../../config/eqld.toml', import.meta.url), 'utf8');

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('resolveConfig', () => {
  it('gives the schema defaults when there is no file and no flag', () => {
    const c = resolveConfig();
    expect(c.collector.argvBytes).toBe(1024);
    expect(c.syslog).toMatchObject({ local: true, socket: '/dev/log', facility: 'authpriv' });
    expect(c.output.fileMode).toBe(0o600);
    expect(c.rules).toEqual({ paths: [], bundled: true, tuningFile: undefined });
    expect(c.tuning.defaults.suppression.windowMs).toBe(300_000);
  });

  it('reads the shipped config/eqld.toml without error and with its documented values', () => {
    const c = resolveConfig({ fileText: SHIPPED, filePath: 'config/eqld.toml' });
    expect(c.rules.paths).toEqual(['/etc/eqld/rules']);
    expect(c.output.alertsFile).toBe('/var/log/eqld/alerts.ndjson');
    expect(c.health.lostEventsThreshold).toBe(1);
  });

  it('documents every key of the schema in the shipped config and in no other form', () => {
    for (const k of CONFIG_KEYS) {
      const [section, name] = k.key.split('.');
      const inSection = SHIPPED.split(/^\[/m).find((s) => s.startsWith(`${section}]`)) ?? '';
      expect(inSection, `${k.key} in config/eqld.toml`).toMatch(new RegExp(`^#? ?${name} =`, 'm'));
      expect(inSection, `--${k.flag} named beside ${k.key}`).toContain(`--${k.flag}`);
    }
  });

  it('lists every key and its flag in docs/operations.md', () => {
    const docs = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');
    for (const k of CONFIG_KEYS) {
      expect(docs, k.key).toContain(`| \`${k.key}\` | \`--${k.flag}\``);
    }
  });

  it('lets a flag win over the file and the file over the default', () => {
    const c = resolveConfig({
      fileText: '[collector]\nargv_bytes = 2048\n[log]\nlevel = "debug"\n',
      flags: { 'argv-bytes': 4096 },
    });
    expect(c.collector.argvBytes).toBe(4096);
    expect(c.log.level).toBe('debug');
  });

  it('accepts numbers given as flag strings and a single --rules as a list', () => {
    const c = resolveConfig({ flags: { 'health-interval': '5', rules: '/tmp/r' } });
    expect(c.health.intervalS).toBe(5);
    expect(c.rules.paths).toEqual(['/tmp/r']);
  });

  it('rejects an unknown key naming it and the file', () => {
    const e = errorOf(() =>
      resolveConfig({ fileText: '[collector]\nargv_byte = 1\n', filePath: '/etc/x.toml' }),
    );
    expect(e.message).toBe('/etc/x.toml: unknown key `collector.argv_byte` (see eqld run --help)');
    expect(e.key).toBe('collector.argv_byte');
  });

  it('rejects an unknown section and a bare top-level key', () => {
    expect(errorOf(() => resolveConfig({ fileText: '[colector]\nx = 1\n' })).key).toBe('colector.x');
    expect(errorOf(() => resolveConfig({ fileText: 'level = "info"\n' })).key).toBe('level');
  });

  it('rejects bad values with what was expected and what came', () => {
    const e = errorOf(() => resolveConfig({ fileText: '[collector]\nargv_bytes = -1\n', filePath: 'f' }));
    expect(e.message).toBe('Expected `collector.argv_bytes` in f to be an integer >= 64, got `-1`');
    expect(errorOf(() => resolveConfig({ flags: { 'argv-bytes': 'lots' } })).message).toBe(
      'Expected --argv-bytes to be an integer, got `"lots"`',
    );
    expect(errorOf(() => resolveConfig({ flags: { 'log-level': 'loud' } })).message).toContain(
      'one of fatal, error, warn, info, debug, trace',
    );
    expect(errorOf(() => resolveConfig({ fileText: '[output]\nfile_mode = "0666"\n' })).key).toBe(
      'output.file_mode',
    );
    expect(errorOf(() => resolveConfig({ fileText: '[syslog]\nlocal = "yes"\n' })).key).toBe('syslog.local');
  });

  it('reports a TOML syntax error with its position', () => {
    const e = errorOf(() => resolveConfig({ fileText: '[log]\nlevel = \n', filePath: 'bad.toml' }));
    expect(e.message).toMatch(/^bad\.toml \(line 2, column \d+\): not valid TOML/);
  });

  it('checks the remote syslog URL and the redaction patterns', () => {
    for (const ok of ['tcp://127.0.0.1:514', 'udp://logs:514', 'tls://[::1]:6514']) {
      expect(resolveConfig({ flags: { 'syslog-remote': ok } }).syslog.remote).toBe(ok);
    }
    for (const bad of ['http://x:1', 'tcp://x', 'tcp://x:70000', 'tcp://x:1/path']) {
      expect(errorOf(() => resolveConfig({ flags: { 'syslog-remote': bad } })).key).toBe('syslog.remote');
    }
    expect(errorOf(() => resolveConfig({ flags: { redact: ['(unclosed'] } })).key).toBe('output.redact');
  });

  it('refuses a config that delivers alerts nowhere, unless --no-alerts says so', () => {
    const none = errorOf(() => resolveConfig({ flags: { syslog: false } }));
    expect(none.key).toBe('output.alerts');
    expect(none.message).toBe(
      'no alert destination: local syslog is off (--no-syslog) and none of --syslog-remote, --alerts-file or --stdout is set; name one, or pass --no-alerts for a telemetry-only run',
    );
    const inFile = errorOf(() =>
      resolveConfig({ fileText: '[syslog]\nlocal = false\n', filePath: 'eqld.toml' }),
    );
    expect(inFile.key).toBe('output.alerts');
    for (const dest of [
      { stdout: true },
      { 'alerts-file': '/x.ndjson' },
      { 'syslog-remote': 'tcp://127.0.0.1:1' },
    ]) {
      expect(resolveConfig({ flags: { syslog: false, ...dest } }).output.alerts).toBe(true);
    }
    const telemetry = resolveConfig({ flags: { syslog: false, alerts: false, 'events-file': '/e.ndjson' } });
    expect(telemetry.output.alerts).toBe(false);
    // --no-alerts alone drops the default local syslog too
    expect(resolveConfig({ flags: { alerts: false } }).output.alerts).toBe(false);
    const both = errorOf(() => resolveConfig({ flags: { alerts: false, stdout: true } }));
    expect(both.message).toBe(
      'output.alerts is off (--no-alerts) but output.stdout would receive alerts; drop one or the other',
    );
  });

  it('takes tuning from the [tuning] table, or from the tuning file when one is named', () => {
    const table = resolveConfig({ fileText: '[tuning.rules.abc]\nenabled = false\n' });
    expect(table.tuning.rules.get('abc')).toEqual({ enabled: false });
    const file = resolveConfig({
      fileText: '[tuning.rules.abc]\nenabled = false\n',
      tuningJson: '{"rules": {"def": {"enabled": false}}}',
    });
    expect(file.tuning.rules.has('abc')).toBe(false);
    expect(file.tuning.rules.get('def')).toEqual({ enabled: false });
    expect(errorOf(() => resolveConfig({ tuningJson: '{' })).key).toBe('rules.tuning_file');
    expect(errorOf(() => resolveConfig({ fileText: '[tuning.rules.x]\nenabled = 3\n' })).key).toBe('tuning');
  });
});

describe('restartOnlyChanges', () => {
  it('names changed keys that SIGHUP cannot apply and ignores live ones', () => {
    const a = resolveConfig();
    const b = resolveConfig({ flags: { 'argv-bytes': 2048, 'log-level': 'debug', rules: ['/x'] } });
    expect(restartOnlyChanges(a, b)).toEqual(['collector.argv_bytes']);
    expect(restartOnlyChanges(a, resolveConfig())).toEqual([]);
  });
});
