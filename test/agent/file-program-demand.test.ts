// `eqld run` starts the file program only when something takes its events (src/agent/
// file-program.ts): not for the bundled rules alone, yes for a rule that takes file events. A
// reload that brings such a rule asks for a restart. Real kernel, the built agent.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type EqldProcess, startEqld } from '../support/eqld-process.js';
import { describeKernel } from '../support/kernel.js';

const FILE_RULE = fileURLToPath(
  new URL('../fixtures/elastic-file-rules/persistence_systemd_service_creation.toml', import.meta.url),
);

const comm = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
};
const bpftraces = (e: EqldProcess) => e.processTree().filter((p) => p !== e.pid && comm(p) === 'bpftrace');
const attached = (e: EqldProcess) => e.logs().filter((l) => l.msg === 'bpftrace attached').length;

describeKernel('the file program runs only when something takes its events (real kernel)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'eqld-file-demand-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = (name: string, rules: string) =>
    startEqld([
      '--config',
      '/dev/null',
      '--no-syslog',
      '--alerts-file',
      join(dir, `${name}.alerts.ndjson`),
      '--state-dir',
      join(dir, `${name}.state`),
      '--rules',
      rules,
    ]);

  it('is not started for the bundled rules alone; a reload bringing a file rule asks for a restart', async () => {
    const rules = join(dir, 'rules-later');
    mkdirSync(rules);
    const eqld = await run('bundled', rules);
    try {
      expect(eqld.logs().some((l) => String(l.msg).startsWith('file events off'))).toBe(true);
      // what would have been the file program's attach time, at nice 5
      await new Promise((r) => setTimeout(r, 3000));
      expect(attached(eqld)).toBe(1);
      expect(bpftraces(eqld)).toHaveLength(1);
      copyFileSync(FILE_RULE, join(rules, 'systemd.toml'));
      eqld.child.kill('SIGHUP');
      await eqld.waitForLog((l) => String(l.msg).startsWith('reload: the rules take file events'), 15_000);
      await eqld.waitForLog((l) => l.msg === 'reloaded', 15_000);
      expect(bpftraces(eqld)).toHaveLength(1);
    } finally {
      await eqld.stop();
    }
  }, 90_000);

  it('is started with a rule that takes file events', async () => {
    const rules = join(dir, 'rules-file');
    mkdirSync(rules);
    copyFileSync(FILE_RULE, join(rules, 'systemd.toml'));
    const eqld = await run('file', rules);
    try {
      // the file program compiles at nice 5 and may attach after "eqld running"
      const deadline = Date.now() + 60_000;
      while (attached(eqld) < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(attached(eqld)).toBe(2);
      expect(bpftraces(eqld)).toHaveLength(2);
      expect(eqld.logs().some((l) => String(l.msg).startsWith('file events off'))).toBe(false);
    } finally {
      await eqld.stop();
    }
  }, 90_000);
});
