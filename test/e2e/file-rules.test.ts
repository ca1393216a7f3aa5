// End-to-end file rules on the real kernel: the built agent (`eqld run`) with six of Elastic's
// own Linux file rules, unchanged from the corpus, each of a different shape (creation by path
// and extension, creation of one exact path, a name pattern, a rename, a deletion, event.type
// "change"). Each attack is done as an attacker would, by a shell; each look-alike must raise
// nothing, which is checked only once a later positive alert has arrived (a dead pipeline
// fails). Everything under /etc and /var/log happens in a private mount namespace with a tmpfs
// over the target directory (unshare -m): the host's files are never touched.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type EqldProcess, startEqld } from '../support/eqld-process.js';
import { describeKernel } from '../support/kernel.js';
import { alertDocument, get, readAlertsFile, ruleNameOf } from './attack-kit.js';

const run = promisify(execFile);
/** the six rules, copied unchanged from Elastic's corpus (see its README) */
const FIXTURES = fileURLToPath(new URL('../fixtures/elastic-file-rules/', import.meta.url));

const RULES = {
  systemd: ['rules/linux/persistence_systemd_service_creation.toml', 'Systemd Service Created'],
  ldPreload: ['rules/linux/defense_evasion_dynamic_linker_file_creation.toml', 'Dynamic Linker Creation'],
  hiddenSo: [
    'rules/linux/defense_evasion_hidden_shared_object.toml',
    'Creation of Hidden Shared Object File',
  ],
  shadow: [
    'rules/linux/persistence_shadow_file_modification.toml',
    'Shadow File Modification by Unusual Process',
  ],
  logDeletion: ['rules/linux/defense_evasion_log_files_deleted.toml', 'System Log File Deletion'],
  sudoers: ['rules/cross-platform/privilege_escalation_sudoers_file_mod.toml', 'Sudoers File Activity'],
} as const;

/** Runs `script` in a private mount namespace where `dir` is an empty tmpfs; prints its shell's pid. */
async function inPrivateTmpfs(dir: string, script: string): Promise<number> {
  const { stdout } = await run('unshare', [
    '-m',
    'sh',
    '-c',
    `mount -t tmpfs tmpfs ${dir} && echo $$ && ${script}`,
  ]);
  return Number(stdout.trim().split('\n')[0]);
}

describeKernel('Elastic file rules end to end (real kernel)', () => {
  let dir: string;
  let eqld: EqldProcess;
  const alertsFile = () => join(dir, 'alerts.ndjson');

  const alertsOf = (rule: string) => readAlertsFile(alertsFile()).filter((a) => ruleNameOf(a) === rule);

  async function waitForAlert(
    rule: string,
    path: string,
    timeoutMs = 15_000,
  ): Promise<Record<string, unknown>> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const a = alertsOf(rule).find((x) => get(alertDocument(x), 'file.path') === path);
      if (a) return alertDocument(a);
      if (Date.now() > end) {
        const said = eqld
          .stderr()
          .split('\n')
          .filter((l) => !l.includes('"msg":"health"'))
          .join('\n');
        throw new Error(`no "${rule}" alert for ${path}; eqld stderr tail:\n${said.slice(-3000)}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'eqld-e2e-file-'));
    const rules = join(dir, 'rules');
    mkdirSync(rules);
    for (const [path] of Object.values(RULES)) {
      const file = path.split('/').pop()!;
      copyFileSync(join(FIXTURES, file), join(rules, file));
    }
    const config = join(dir, 'eqld.toml');
    writeFileSync(config, '# e2e file rules: defaults only\n');
    mkdirSync(join(dir, 'state'));
    eqld = await startEqld(
      [
        '--config',
        config,
        '--rules',
        rules,
        '--no-bundled-rules',
        '--no-syslog',
        '--alerts-file',
        alertsFile(),
        '--state-dir',
        join(dir, 'state'),
      ],
      { readyTimeoutMs: 180_000 },
    );
  });

  afterAll(async () => {
    await eqld?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('Systemd Service Created: a .service written into /etc/systemd/system, not a .timer', async () => {
    const [, name] = RULES.systemd;
    await inPrivateTmpfs('/etc/systemd/system', 'echo "[Unit]" > /etc/systemd/system/backdoor.timer');
    const pid = await inPrivateTmpfs(
      '/etc/systemd/system',
      'echo "[Unit]" > /etc/systemd/system/backdoor.service',
    );
    const doc = await waitForAlert(name, '/etc/systemd/system/backdoor.service');
    expect(get(doc, 'kibana.alert.original_event.action')).toBe('creation');
    expect(get(doc, 'file.extension')).toBe('service');
    expect(get(doc, 'process.pid')).toBe(pid);
    expect(alertsOf(name).filter((a) => get(alertDocument(a), 'file.name') === 'backdoor.timer')).toEqual([]);
  });

  it('Dynamic Linker Creation: /etc/ld.so.preload created, not /etc/ld.so.preload.bak', async () => {
    const [, name] = RULES.ldPreload;
    await inPrivateTmpfs('/etc', 'echo /tmp/x.so > /etc/ld.so.preload.bak');
    await inPrivateTmpfs('/etc', 'echo /tmp/x.so > /etc/ld.so.preload');
    const doc = await waitForAlert(name, '/etc/ld.so.preload');
    expect(get(doc, 'process.executable')).toMatch(/\/(dash|sh)$/);
    expect(alertsOf(name)).toHaveLength(1);
  });

  it('Creation of Hidden Shared Object File: .hook.so in a temp directory, not hook.so', async () => {
    const [, name] = RULES.hiddenSo;
    const d = mkdtempSync(join(tmpdir(), 'eqld-e2e-so-'));
    try {
      await run('sh', ['-c', `: > ${d}/hook.so && : > ${d}/.hook.so`]);
      await waitForAlert(name, join(d, '.hook.so'));
      expect(alertsOf(name).map((a) => get(alertDocument(a), 'file.name'))).toEqual(['.hook.so']);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  it('Shadow File Modification: a file renamed onto /etc/shadow, not the shadow+ of passwd tools', async () => {
    const [, name] = RULES.shadow;
    await inPrivateTmpfs('/etc', 'echo root::: > /etc/shadow+ && mv /etc/shadow+ /etc/shadow');
    await inPrivateTmpfs('/etc', 'echo root::: > /etc/.evil && mv /etc/.evil /etc/shadow');
    const doc = await waitForAlert(name, '/etc/shadow');
    expect(get(doc, 'event.type')).toEqual(['change']);
    expect(get(doc, 'file.Ext.original.path')).toBe('/etc/.evil');
    expect(get(doc, 'process.name')).toBe('mv');
    expect(alertsOf(name)).toHaveLength(1);
  });

  it('System Log File Deletion: /var/log/auth.log removed, not another log, not by gzip', async () => {
    const [, name] = RULES.logDeletion;
    await inPrivateTmpfs('/var/log', 'echo x > /var/log/other.log && rm /var/log/other.log');
    await inPrivateTmpfs('/var/log', 'echo x > /var/log/auth.log && gzip /var/log/auth.log');
    await inPrivateTmpfs('/var/log', 'echo x > /var/log/auth.log && rm -f /var/log/auth.log');
    const doc = await waitForAlert(name, '/var/log/auth.log');
    expect(get(doc, 'process.name')).toBe('rm');
    expect(alertsOf(name)).toHaveLength(1);
  });

  it('Sudoers File Activity: a sudoers.d entry renamed into place (event.type change), not /etc/sudo.conf', async () => {
    const [, name] = RULES.sudoers;
    await inPrivateTmpfs('/etc', 'echo x > /etc/sudo.conf');
    await inPrivateTmpfs(
      '/etc',
      'mkdir /etc/sudoers.d && echo "u ALL=(ALL) NOPASSWD:ALL" > /etc/.s && mv /etc/.s /etc/sudoers.d/u',
    );
    const doc = await waitForAlert(name, '/etc/sudoers.d/u');
    expect(get(doc, 'kibana.alert.original_event.action')).toBe('rename');
    expect(get(doc, 'event.type')).toEqual(['change']);
    expect(alertsOf(name).map((a) => get(alertDocument(a), 'file.path'))).toEqual(['/etc/sudoers.d/u']);
  });
});
