// install.sh → eqld doctor → uninstall.sh in a scratch root (--root), the way an admin runs them
// on a host, minus apt-get and systemctl. Needs root (the scripts refuse otherwise) and a built
// dist/ (npm test builds first).
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kernelAvailability } from '../support/kernel.js';

const REPO = new URL('../..', import.meta.url).pathname;
const isRoot = process.geteuid?.() === 0;
const describeRoot = isRoot ? describe : describe.skip;
if (!isRoot) process.stderr.write('SKIPPED (install.sh needs root): packaging tests\n');

function sh(script: string, ...args: string[]): string {
  return execFileSync('bash', [join(REPO, 'scripts', script), ...args], {
    encoding: 'utf8',
    timeout: 180_000,
  });
}

describeRoot('scripts/install.sh and uninstall.sh in a scratch root', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'eqld-root-'));
    sh('install.sh', '--root', root, '--no-start');
  }, 240_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('puts the agent under /opt/eqld with a relative /usr/local/bin/eqld link, the unit, config and rules', () => {
    const link = join(root, 'usr/local/bin/eqld');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe('../../../opt/eqld/dist/cli/main.js');
    for (const f of [
      'opt/eqld/dist/cli/main.js',
      // the bpftrace pacing shim (built by npm run build with the C compiler bootstrap installs)
      'opt/eqld/dist/collector/native/bpftrace-pace.so',
      'opt/eqld/bpf',
      'opt/eqld/rules/persistence_ssh_netcon.toml',
      'opt/eqld/node_modules/yargs',
      'etc/systemd/system/eqld.service',
      'etc/eqld/eqld.toml',
      'etc/eqld/rules',
      'etc/logrotate.d/eqld',
      'var/lib/eqld',
      'var/log/eqld',
    ]) {
      expect(existsSync(join(root, f)), f).toBe(true);
    }
    // production modules only
    expect(existsSync(join(root, 'opt/eqld/node_modules/vitest'))).toBe(false);
    expect(readFileSync(join(root, 'etc/eqld/eqld.toml'), 'utf8')).toBe(
      readFileSync(join(REPO, 'config/eqld.toml'), 'utf8'),
    );
  });

  it('runs: the installed eqld answers --help and doctor checks this host', () => {
    const eqld = join(root, 'usr/local/bin/eqld');
    expect(execFileSync(eqld, ['--help'], { encoding: 'utf8' })).toContain('eqld <command>');
    const doctor = spawnSync(eqld, ['doctor'], { encoding: 'utf8', timeout: 60_000 });
    const out = `${doctor.stdout}${doctor.stderr}`;
    expect(out).toMatch(/bpftrace/i);
    // doctor's verdict must agree with the test suite's own probe of this kernel
    expect(doctor.status === 0, out).toBe(kernelAvailability().ok);
  });

  it('passes systemd-analyze verify with the installed paths', () => {
    const unit = readFileSync(join(root, 'etc/systemd/system/eqld.service'), 'utf8');
    const dir = mkdtempSync(join(tmpdir(), 'eqld-unit-'));
    try {
      // verify checks that ExecStart exists: point it at the scratch root's link
      writeFileSync(
        join(dir, 'eqld.service'),
        unit.replace('ExecStart=/usr/local/bin/eqld', `ExecStart=${join(root, 'usr/local/bin/eqld')}`),
      );
      const r = spawnSync('systemd-analyze', ['verify', join(dir, 'eqld.service')], { encoding: 'utf8' });
      expect(`${r.stdout}${r.stderr}`.trim()).toBe('');
      expect(r.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is idempotent and never overwrites a config the admin changed', () => {
    const conf = join(root, 'etc/eqld/eqld.toml');
    sh('install.sh', '--root', root, '--no-start');
    expect(existsSync(`${conf}.dist`)).toBe(false);
    const mine = `${readFileSync(conf, 'utf8')}\n# local change\n`;
    writeFileSync(conf, mine);
    const out = sh('install.sh', '--root', root, '--no-start');
    expect(out).toContain('kept your');
    expect(readFileSync(conf, 'utf8')).toBe(mine);
    expect(readFileSync(`${conf}.dist`, 'utf8')).toBe(readFileSync(join(REPO, 'config/eqld.toml'), 'utf8'));
  }, 240_000);

  it('uninstalls the agent but keeps config, spool and logs unless --purge', () => {
    sh('uninstall.sh', '--root', root);
    expect(existsSync(join(root, 'opt/eqld'))).toBe(false);
    expect(existsSync(join(root, 'usr/local/bin/eqld'))).toBe(false);
    expect(existsSync(join(root, 'etc/systemd/system/eqld.service'))).toBe(false);
    expect(existsSync(join(root, 'etc/logrotate.d/eqld'))).toBe(false);
    expect(existsSync(join(root, 'etc/eqld/eqld.toml'))).toBe(true);
    expect(existsSync(join(root, 'var/lib/eqld'))).toBe(true);
    sh('uninstall.sh', '--root', root, '--purge');
    expect(existsSync(join(root, 'etc/eqld'))).toBe(false);
    expect(existsSync(join(root, 'var/lib/eqld'))).toBe(false);
  });

  it('rejects an unknown option with a message naming it', () => {
    const r = spawnSync('bash', [join(REPO, 'scripts/install.sh'), '--bogus'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown option --bogus');
  });
});
