// `eqld replay -` and `eqld query 'Q' -` read standard input as a stream: from a fast pipe, from a
// slow one whose writer waits before writing (once EAGAIN with readFileSync(0)), and a large input
// whose results start coming out before the input ends. Progress goes to stderr only when it is a
// terminal (a real pty, python's pty module).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EQLD_MAIN } from '../support/eqld-process.js';

const FIXTURE = 'test/fixtures/replay/ssh-netcon-fire-nc.ndjson';
let dir: string;
let big: string;
const BIG_EVENTS = 120_000;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'eqld-stdin-'));
  big = join(dir, 'big.ndjson');
  const lines: string[] = [];
  for (let i = 0; i < BIG_EVENTS; i++)
    lines.push(
      JSON.stringify({
        '@timestamp': 1_700_000_000_000 + i,
        event: { category: ['process'], type: ['start'], action: 'exec', sequence: i },
        process: { pid: i, name: i % 1000 === 7 ? 'nc' : 'true', entity_id: `e${i}` },
      }),
    );
  writeFileSync(big, `${lines.join('\n')}\n`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sh = (cmd: string) =>
  spawnSync('bash', ['-c', cmd], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
const eqld = `${JSON.stringify(process.execPath)} ${JSON.stringify(EQLD_MAIN)}`;

describe('standard input', () => {
  it('eqld replay - gives the same alerts from a fast pipe and a slow one as from the file', () => {
    const fromFile = sh(`${eqld} replay ${FIXTURE}`);
    expect(fromFile.status).toBe(0);
    expect(fromFile.stdout.trim().split('\n')).toHaveLength(1);
    const fast = sh(`cat ${FIXTURE} | ${eqld} replay -`);
    const slow = sh(`(sleep 1; head -n 2 ${FIXTURE}; sleep 0.5; tail -n +3 ${FIXTURE}) | ${eqld} replay -`);
    for (const r of [fast, slow]) {
      expect(r.stderr).not.toMatch(/ENOENT|EAGAIN/);
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(fromFile.stdout);
    }
  });

  it("eqld query 'Q' - reads a fast and a slow pipe whole", () => {
    const q = `'sequence by process.entity_id [process where true] [network where true]'`;
    const fromFile = sh(`${eqld} query ${q} ${FIXTURE}`);
    expect(fromFile.stdout.trim().split('\n')).toHaveLength(1);
    const fast = sh(`cat ${FIXTURE} | ${eqld} query ${q} -`);
    const slow = sh(`(sleep 1; cat ${FIXTURE}) | ${eqld} query ${q} -`);
    for (const r of [fast, slow]) {
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(fromFile.stdout);
    }
  });

  it('streams a large input from a pipe: every event counted, in order', () => {
    const r = sh(`cat ${big} | ${eqld} query 'process where process.name == "nc"' -`);
    expect(r.status).toBe(0);
    const pids = r.stdout
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { process: { pid: number } }).process.pid);
    expect(pids).toHaveLength(BIG_EVENTS / 1000);
    expect(pids).toEqual([...pids].sort((a, b) => a - b));
  });

  it('prints results while the input is still coming, holding only the sort window', async () => {
    const child = spawn(
      process.execPath,
      [EQLD_MAIN, 'query', 'any where true', '-', '--sort-window', '10'],
      {
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const lines = readFileSync(big, 'utf8').split('\n').slice(0, 1000);
    child.stdin.write(`${lines.join('\n')}\n`);
    const until = Date.now() + 20_000;
    while (out.split('\n').length < 990 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    // 990 results out while stdin is still open: the input was not read whole first
    expect(out.split('\n').length).toBeGreaterThanOrEqual(990);
    child.stdin.end();
    const code = await new Promise((r) => child.once('exit', r));
    expect(code).toBe(0);
    expect(out.trim().split('\n')).toHaveLength(1000);
  });

  it('refuses input out of order by more than the sort window, naming the line, with status 2', () => {
    const r = sh(`tac ${FIXTURE} | ${eqld} query 'any where true' - --sort-window 1`);
    expect(r.status).toBe(2);
    expect(r.stderr.split('\n')[0]).toMatch(
      /^eqld query: line 3: this event sorts before events already evaluated/,
    );
  });

  it('names a missing file in one line with status 2', () => {
    const r = sh(`${eqld} replay ${join(dir, 'nope.ndjson')}`);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      `eqld replay: cannot read ${join(dir, 'nope.ndjson')}: ENOENT: no such file or directory, open '${join(dir, 'nope.ndjson')}'\n`,
    );
  });
});

/** runs `cmd` with stderr on a pty (stdout to a pipe); returns what the terminal got */
function onPty(cmd: string): { terminal: string; stdout: string; status: number } {
  const py = [
    'import os, pty, subprocess, sys',
    'm, s = pty.openpty()',
    'p = subprocess.Popen(["bash", "-c", sys.argv[1]], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=s)',
    'os.close(s)',
    'buf = b""',
    'while True:',
    '    try:',
    '        d = os.read(m, 4096)',
    '    except OSError:',
    '        break',
    '    if not d:',
    '        break',
    '    buf += d',
    'out = p.stdout.read()',
    'p.wait()',
    'sys.stdout.buffer.write(str(p.returncode).encode() + b"\\n" + str(len(out)).encode() + b"\\n" + buf)',
  ].join('\n');
  const r = spawnSync('python3', ['-c', py, cmd], { encoding: 'utf8', timeout: 60_000 });
  const [status, outLen, ...rest] = r.stdout.split('\n');
  return { status: Number(status), stdout: outLen ?? '', terminal: rest.join('\n') };
}

describe('progress', () => {
  it('shows events read, events/s and results so far on a terminal, then erases its line', () => {
    // the pipe pauses after 3,000 lines: a slow writer still shows its count while it waits
    const cmd = `(head -n 3000 ${big}; sleep 3; tail -n +3001 ${big}) | ${eqld} query 'process where process.name == "nc"' -`;
    const r = onPty(cmd);
    expect(r.status).toBe(0);
    expect(r.terminal).toMatch(
      /\r\x1b\[2Keqld query: [\d,]+ events read, [\d,]+ events\/s, \d+ matches so far/,
    );
    expect(r.terminal).toContain('eqld query: 3,000 events read');
    expect(r.terminal.endsWith('\r\x1b[2K')).toBe(true);
    const replay = onPty(`(cat ${FIXTURE}; sleep 8) | ${eqld} replay -`);
    expect(replay.terminal).toMatch(/eqld replay: 3 events read, [\d,]+ events\/s, 0 alerts so far/);
  });

  it('writes nothing to stderr when it is not a terminal', () => {
    const r = sh(
      `(head -n 3000 ${big}; sleep 1.5; tail -n +3001 ${big}) | ${eqld} query 'process where process.name == "nc"' -`,
    );
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
  });
});
