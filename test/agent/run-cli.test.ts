// `eqld run` as an admin meets it: start-up failures with the reason and the documented exit
// status, then on the real kernel: ready line, SIGHUP reload, SIGUSR1 reopen, a telemetry-loss
// alert when bpftrace is killed, self-exclusion, and a clean SIGTERM that leaves no bpftrace.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EQLD_MAIN, type EqldProcess, startEqld } from '../support/eqld-process.js';
import { describeKernel } from '../support/kernel.js';
import { readCompleteNdjson } from '../support/ndjson.js';

function runSync(args: string[], pre: string[] = []) {
  const r = spawnSync(
    pre[0] ?? process.execPath,
    [...pre.slice(1), ...(pre.length ? [process.execPath] : []), EQLD_MAIN, ...args],
    {
      encoding: 'utf8',
      timeout: 30_000,
    },
  );
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until<T>(fn: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('eqld run: start-up failures', () => {
  it('exits 2 naming the key when the config has an unknown key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eqld-cfg-'));
    try {
      writeFileSync(join(dir, 'eqld.toml'), '[collector]\nargv_byte = 10\n');
      const r = runSync(['run', '--config', join(dir, 'eqld.toml')]);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain('unknown key `collector.argv_byte`');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits 2 on a bad flag value, naming the flag', () => {
    const r = runSync(['run', '--argv-bytes', 'lots', '--config', '/dev/null']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('Expected --argv-bytes to be an integer, got `"lots"`');
  });

  it('exits 2 with one sentence naming the flags when no alert destination is left', () => {
    const r = runSync(['run', '--config', '/dev/null', '--no-syslog']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      'eqld run: no alert destination: local syslog is off (--no-syslog) and none of --syslog-remote, --alerts-file or --stdout is set; name one, or pass --no-alerts for a telemetry-only run\n',
    );
  });

  it('exits 2 when an explicit --config file is missing', () => {
    const r = runSync(['run', '--config', '/nonexistent/eqld.toml']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('Cannot read config file /nonexistent/eqld.toml');
  });

  it.runIf(process.geteuid?.() === 0)(
    'fails at once without root, saying bpftrace needs effective uid 0',
    () => {
      const r = runSync(
        ['run', '--config', '/dev/null'],
        ['setpriv', '--reuid', '65534', '--regid', '65534', '--clear-groups'],
      );
      expect(r.status).toBe(3);
      expect(r.stderr).toContain('needs root (effective uid 0)');
    },
  );

  it('exits 3 naming the missing bpftrace binary', () => {
    if (process.geteuid?.() !== 0) return;
    const r = runSync(['run', '--config', '/dev/null', '--bpftrace', '/nonexistent/bpftrace']);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/bpftrace.*\/nonexistent\/bpftrace/);
  });
});

const EXTRA_RULE = `[metadata]
creation_date = "2026/11/25"
maturity = "production"
updated_date = "2026/11/25"

[rule]
author = ["eqld tests"]
description = "A local rule added at run time."
from = "now-9m"
index = ["logs-endpoint.events.process*"]
language = "eql"
license = "Apache-2.0"
name = "Local Test Rule"
risk_score = 21
rule_id = "00000000-0000-4000-8000-000000000001"
severity = "low"
type = "eql"
query = '''
process where event.type == "start" and process.name == "eqld-never-such-binary"
'''
`;
let dir: string;

describeKernel('eqld run on the real kernel', () => {
  let eqld: EqldProcess;
  let alerts: string;
  let config: string;
  let bpftracePid: number;
  let unrelated: ChildProcess | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'eqld-run-'));
    alerts = join(dir, 'alerts.ndjson');
    config = join(dir, 'eqld.toml');
    mkdirSync(join(dir, 'rules'));
    writeFileSync(config, rulesSection());
    // what a crash and a reboot leave behind: lock files naming a live unrelated process and a pid
    // that is now eqld's own; neither may keep the agent from starting
    unrelated = spawn('sleep', ['600'], { stdio: 'ignore' });
    mkdirSync(join(dir, 'state', 'spool', 'file'), { recursive: true });
    writeFileSync(join(dir, 'state', 'spool', 'file', 'lock'), String(unrelated.pid));
    writeFileSync(join(dir, 'state', 'eqld.lock'), String(unrelated.pid));
    eqld = await startEqld([
      '--config',
      config,
      '--no-syslog',
      '--alerts-file',
      alerts,
      '--events-file',
      join(dir, 'events.ndjson'),
      '--state-dir',
      join(dir, 'state'),
      '--health-interval',
      '1',
    ]);
    const ready = await eqld.waitForLog((l) => l.msg === 'eqld running', 60_000);
    bpftracePid = Number(ready.bpftracePid);
  }, 90_000);

  afterAll(async () => {
    unrelated?.kill('SIGKILL');
    if (eqld) await eqld.stop('SIGKILL', 1000).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('logs "eqld running" with the bundled rules loaded and bpftrace attached', () => {
    const ready = eqld.logs().find((l) => l.msg === 'eqld running');
    expect(ready?.rules).toBe(2);
    expect(alive(bpftracePid)).toBe(true);
    expect(eqld.processTree()).toContain(bpftracePid);
  });

  it('runs at nice -4 like auditd with its default priority_boost; the process program inherits it, the file program runs at nice 5', async () => {
    expect(niceOf(eqld.pid)).toBe(-4);
    expect(niceOf(bpftracePid)).toBe(-4);
    // the file program: the other bpftrace (perl, setpriv and nice exec it in place)
    const deadline = Date.now() + 30_000;
    let file: number | undefined;
    while (file === undefined && Date.now() < deadline) {
      file = eqld.processTree().find((p) => p !== bpftracePid && readComm(p) === 'bpftrace');
      if (file === undefined) await new Promise((r) => setTimeout(r, 100));
    }
    expect(file, 'the file program is running').toBeDefined();
    expect(niceOf(file as number)).toBe(5);
    expect(eqld.logs().find((l) => l.msg === 'scheduling priority raised')?.nice).toBe(-4);
  });

  it('started although its lock files named a live unrelated process (stale after a crash)', () => {
    expect(alive(unrelated?.pid as number)).toBe(true);
    expect(readFileSync(join(dir, 'state', 'eqld.lock'), 'utf8').trim()).toBe(String(eqld.pid));
    expect(readFileSync(join(dir, 'state', 'spool', 'file', 'lock'), 'utf8').trim()).toBe(String(eqld.pid));
  });

  it('refuses a second eqld on the same state directory with status 3, naming the running one', () => {
    const r = runSync([
      'run',
      '--config',
      '/dev/null',
      '--no-syslog',
      '--alerts-file',
      join(dir, 'second.ndjson'),
      '--state-dir',
      join(dir, 'state'),
    ]);
    expect(r.status).toBe(3);
    expect(r.stderr.split('\n')[0]).toBe(
      `eqld run: another eqld (pid ${eqld.pid}) is running with state directory ${join(dir, 'state')}; stop it or use another --state-dir`,
    );
    expect(alive(eqld.pid)).toBe(true);
  });

  it('logs periodic health lines with events per second by kind', async () => {
    spawnSync('/bin/true');
    const h = await eqld.waitForLog(
      (l) =>
        l.msg === 'health' &&
        typeof (l.health as { eventsPerSecond?: { exec?: number } })?.eventsPerSecond?.exec === 'number',
      10_000,
    );
    expect(h.health).toHaveProperty('lostKernelEvents');
    expect(h.health).toHaveProperty('rssBytes');
  });

  it('keeps its own processes out of the event stream', async () => {
    const marker = `eqld-self-test-${process.pid}`;
    spawnSync('/bin/echo', [marker]);
    const events = join(dir, 'events.ndjson');
    await until(
      () => (readFileSync(events, 'utf8').includes(marker) ? true : undefined),
      10_000,
      'the marker exec',
    );
    const docs = readCompleteNdjson<{ process?: { pid?: number } }>(events);
    const own = new Set([eqld.pid, bpftracePid]);
    expect(docs.filter((d) => own.has(d.process?.pid ?? -1))).toEqual([]);
  });

  it('reloads rules on SIGHUP, skipping a broken file and logging restart-only keys it did not apply', async () => {
    writeFileSync(join(dir, 'rules', 'extra.toml'), EXTRA_RULE);
    writeFileSync(join(dir, 'rules', 'broken.toml'), '[rule]\nname = "unterminated\n');
    writeFileSync(config, `${rulesSection()}[collector]\nargv_bytes = 2048\n`);
    const before = eqld.logs().length;
    eqld.child.kill('SIGHUP');
    const warn = await eqld.waitForLog((l) => l.msg === 'reload: these keys need a restart', 10_000);
    expect(warn.keys).toEqual(['collector.argv_bytes']);
    await eqld.waitForLog((l) => l.msg === 'reloaded', 10_000);
    const after = eqld.logs().slice(before);
    expect(after.find((l) => l.msg === 'rules loaded')).toMatchObject({ loaded: 3, errors: 1 });
    expect(after.find((l) => l.msg === 'rule file skipped')?.err).toContain('broken.toml');
    writeFileSync(config, '[collector]\nargv_bytes = "x"\n');
    eqld.child.kill('SIGHUP');
    await eqld.waitForLog((l) => l.msg === 'reload: config rejected, keeping the running one', 10_000);
    expect(alive(eqld.pid)).toBe(true);
  });

  it('reopens the alerts file on SIGUSR1 after logrotate moved it', async () => {
    const rotated = `${alerts}.1`;
    if (existsSync(alerts)) renameSync(alerts, rotated);
    eqld.child.kill('SIGUSR1');
    await eqld.waitForLog((l) => l.msg === 'reopened output files', 10_000);
    await until(() => (existsSync(alerts) ? true : undefined), 5000, 'a new alerts file');
  });

  it('raises a telemetry-loss alert when bpftrace is killed, and restarts it', async () => {
    process.kill(bpftracePid, 'SIGKILL');
    type Alert = { eqld?: { telemetry?: { kind?: string } }; kibana?: { alert?: { severity?: string } } };
    // the gap's alert: a storm in a test file beside this one can make the kernel drop records,
    // which raises telemetry-loss alerts of kind "lost" too
    const doc = await until(
      () => readCompleteNdjson<Alert>(alerts).find((d) => d.eqld?.telemetry?.kind === 'gap'),
      30_000,
      'the telemetry-loss alert of the gap',
    );
    expect(doc.kibana?.alert?.severity).toBe('high');
    const tree = await until(
      () => eqld.processTree().find((p) => p !== eqld.pid && p !== bpftracePid && readComm(p) === 'bpftrace'),
      30_000,
      'a restarted bpftrace',
    );
    bpftracePid = tree;
  });

  it('stops on SIGTERM with status 0 and leaves no bpftrace behind', async () => {
    const tree = eqld.processTree();
    const r = await eqld.stop('SIGTERM', 25_000);
    expect(r.code).toBe(0);
    await until(() => (tree.every((p) => !alive(p)) ? true : undefined), 5000, 'every eqld process to exit');
    expect(eqld.logs().some((l) => l.msg === 'stopped')).toBe(true);
  });
});

function rulesSection(): string {
  return `[rules]\npaths = [${JSON.stringify(join(dir, 'rules'))}]\n`;
}

/** field 19 of /proc/PID/stat (after the parenthesised comm) */
function niceOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

function readComm(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}
