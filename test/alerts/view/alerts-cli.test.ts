// `eqld alerts` as a command: which file it reads (FILE, else the config's output.alerts_file),
// its exit statuses, `| head`, and `-f` following a file through logrotate's rename and
// copytruncate, as a real child process stopped by SIGINT.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertRecord } from '../../../src/alerts/alert-record.js';
import { EQLD_MAIN } from '../../support/eqld-process.js';
import { hostileAlerts } from './fixtures.js';

let alerts: AlertRecord[];
let cleanup: () => void;
let dir: string;
let file: string;
const line = (i: number) => `${JSON.stringify(alerts[i]?.document)}\n`;
/** kibana.alert.uuid of fixture alert i ('-' padded like the table for a follow-up record) */
const uuidOf = (i: number): string | undefined =>
  (alerts[i]?.document as { kibana?: { alert?: { uuid?: string } } } | undefined)?.kibana?.alert?.uuid;

function eqld(args: string[], opts: { shell?: string } = {}) {
  const r = opts.shell
    ? spawnSync('/bin/sh', ['-c', opts.shell], { encoding: 'utf8', timeout: 30_000 })
    : spawnSync(process.execPath, [EQLD_MAIN, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  ({ alerts, cleanup } = await hostileAlerts());
  dir = mkdtempSync(join(tmpdir(), 'eqld-alerts-cli-'));
  file = join(dir, 'alerts.ndjson');
  writeFileSync(file, alerts.map((_, i) => line(i)).join(''));
});

afterAll(() => {
  cleanup?.();
  rmSync(dir, { recursive: true, force: true });
});

describe('eqld alerts (command)', () => {
  it('lists FILE as a plain table when stdout is a pipe', () => {
    const r = eqld(['alerts', file]);
    expect(r.status).toBe(0);
    const out = r.stdout.trimEnd().split('\n');
    expect(out[0]).toMatch(/^ID +TIME +SEVERITY +RULE +HOST +PROCESS +DESTINATION$/);
    expect(out).toHaveLength(alerts.length + 1);
    expect(r.stdout).not.toContain('\u001b');
  });

  it('reads the config’s output.alerts_file when no FILE is given', () => {
    const config = join(dir, 'eqld.toml');
    writeFileSync(config, `[output]\nalerts_file = ${JSON.stringify(file)}\n`);
    const r = eqld(['alerts', '--config', config, '--rule', 'Telemetry']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('eqld Telemetry Loss');
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(2);
  });

  it('exits 2 with the reason first when there is no file to read or a flag is bad', () => {
    const none = eqld(['alerts', '--config', '/dev/null']);
    expect(none.status).toBe(2);
    expect(none.stderr.split('\n')[0]).toBe(
      'eqld alerts: no alerts file: name one (eqld alerts FILE), or set output.alerts_file in /dev/null',
    );
    const since = eqld(['alerts', file, '--since', 'yesterday']);
    expect(since.status).toBe(2);
    expect(since.stderr.split('\n')[0]).toContain('Expected --since to be a duration like 15m');
    const id = eqld(['alerts', 'show', '\u001b[2J', file]);
    expect(id.status).toBe(2);
    expect(id.stderr.split('\n')[0]).toBe(
      'eqld alerts show: Expected an alert id (6 to 64 hex digits, as `eqld alerts` lists them), got `\\u001b[2J`',
    );
  });

  it('exits 1 naming the file it cannot read, and the id it cannot find', () => {
    const gone = eqld(['alerts', join(dir, 'nope.ndjson')]);
    expect(gone.status).toBe(1);
    expect(gone.stderr).toContain('no such file');
    expect(gone.stdout).toBe('');
    const unknown = eqld(['alerts', 'show', 'abcdef012345', file]);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('no alert with id `abcdef012345`');
  });

  it('draws the tree with `alerts show ID` and prints the document with --json', () => {
    const id = String(uuidOf(1));
    const tree = eqld(['alerts', 'show', id.slice(0, 12), file]);
    expect(tree.status).toBe(0);
    expect(tree.stdout).toContain('└─ /dev/shm/.x/nc  pid 300');
    expect(tree.stdout).not.toContain('\u001b');
    const json = eqld(['alerts', 'show', id, file, '--json']);
    expect(JSON.parse(json.stdout)).toEqual(alerts[1]?.document);
  });

  it('stops quietly when the reader of its output goes away (| head -1)', () => {
    const big = join(dir, 'big.ndjson');
    writeFileSync(big, line(0).repeat(20_000));
    const r = eqld([], { shell: `${process.execPath} ${EQLD_MAIN} alerts ${big} | head -1` });
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')[0]).toMatch(/^ID /);
  });
});

describe('eqld alerts -f', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    if (child?.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
  });

  it('prints alerts as they are appended, through a rename-rotation and a copytruncate, until SIGINT', async () => {
    const f = join(dir, 'follow.ndjson');
    writeFileSync(f, line(0));
    child = spawn(process.execPath, [EQLD_MAIN, 'alerts', '-f', f], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout?.on('data', (d) => {
      out += String(d);
    });
    child.stderr?.on('data', (d) => {
      err += String(d);
    });
    const rows = () => out.split('\n').filter((l) => /^[0-9a-f-]/.test(l) && !l.startsWith('ID'));
    const until = async (pred: () => boolean, what: string) => {
      const end = Date.now() + 10_000;
      while (!pred()) {
        if (Date.now() > end)
          throw new Error(`timed out waiting for ${what}\nstdout:\n${out}\nstderr:\n${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    await until(() => rows().length === 1, 'the first alert');
    // a line written in two parts is printed once, whole
    const half = line(1).length >> 1;
    appendFileSync(f, line(1).slice(0, half));
    await new Promise((r) => setTimeout(r, 400));
    appendFileSync(f, line(1).slice(half));
    await until(() => rows().length === 2, 'the appended alert');
    // logrotate's create mode: the file is renamed, a new one takes its place
    renameSync(f, `${f}.1`);
    appendFileSync(`${f}.1`, line(2)); // written before the writer reopened
    writeFileSync(f, line(3));
    await until(() => rows().length === 4, 'the alerts around the rotation');
    expect(err).toContain('was rotated; following the new file');
    // copytruncate: the same file is emptied and written again
    truncateSync(f, 0);
    await new Promise((r) => setTimeout(r, 400));
    appendFileSync(f, line(0));
    await until(() => rows().length === 5, 'the alert after the truncation');
    expect(err).toContain('was truncated; reading it from its start');
    const exited = new Promise<number | null>((r) => child?.once('exit', (code) => r(code)));
    process.kill(child.pid as number, 'SIGINT');
    expect(await exited).toBe(0);
    expect(rows().map((r) => r.slice(0, 12))).toEqual(
      [0, 1, 2, 3, 0].map((i) => uuidOf(i)?.slice(0, 12) ?? '-           '),
    );
  });
});
