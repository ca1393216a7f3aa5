// `eqld alerts show` in a real terminal: tmux (Debian's) runs it in a pane of a private server
// (its own socket in a temp dir, stopped by PID), and the captured pane is checked. In the
// terminal the tree is in colour; piped through cat it is plain; and in both the hostile command
// line did nothing to the terminal: the screen was not cleared, the window title not changed, the
// text not recoloured or overwritten, the escapes shown as text.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EQLD_MAIN } from '../../support/eqld-process.js';
import { hostileAlerts, SEQUENCE_RULE_ID } from './fixtures.js';

const TMUX = '/usr/bin/tmux';
const why = existsSync(TMUX)
  ? undefined
  : `${TMUX} missing (apt-get install tmux; scripts/bootstrap.sh does)`;
if (why) process.stderr.write(`SKIPPED (${why}): eqld alerts show in a real terminal\n`);

let dir: string;
let socket: string;
let file: string;
let id: string;
let serverPid: number | undefined;
let cleanup: () => void = () => undefined;

function tmux(...args: string[]): string {
  const r = spawnSync(TMUX, ['-S', socket, '-f', '/dev/null', ...args], {
    encoding: 'utf8',
    timeout: 15_000,
  });
  if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** runs `command` in a new 200x60 window and returns the pane when the command has finished */
async function runInPane(
  name: string,
  command: string,
): Promise<{ text: string; styled: string; title: string }> {
  tmux('new-window', '-d', '-n', name, `${command}; echo "<<done $?>>"; sleep 600`);
  const end = Date.now() + 20_000;
  for (;;) {
    const text = tmux('capture-pane', '-p', '-J', '-t', `eqld:${name}`);
    if (text.includes('<<done ')) {
      return {
        text,
        styled: tmux('capture-pane', '-p', '-e', '-J', '-t', `eqld:${name}`),
        title: tmux('display-message', '-p', '-t', `eqld:${name}`, '#{pane_title}').trim(),
      };
    }
    if (Date.now() > end) throw new Error(`no end of \`${command}\` in the pane:\n${text}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(why !== undefined)('eqld alerts show in tmux', () => {
  beforeAll(async () => {
    const f = await hostileAlerts();
    cleanup = f.cleanup;
    dir = mkdtempSync(join(tmpdir(), 'eqld-tmux-'));
    socket = join(dir, 'tmux.sock');
    file = join(dir, 'alerts.ndjson');
    writeFileSync(file, f.alerts.map((a) => `${JSON.stringify(a.document)}\n`).join(''));
    const seq = f.alerts.find((a) => a.rule.id === SEQUENCE_RULE_ID);
    id = String(seq?.id);
    // a session whose first window idles; the tests open their own windows
    tmux('new-session', '-d', '-s', 'eqld', '-x', '200', '-y', '60', 'sleep 600');
    tmux('set-option', '-g', 'remain-on-exit', 'on');
    serverPid = Number(tmux('display-message', '-p', '#{pid}').trim());
  });

  afterAll(() => {
    if (serverPid !== undefined && serverPid > 0) {
      try {
        process.kill(serverPid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const show = () => `${process.execPath} ${EQLD_MAIN} alerts show ${id.slice(0, 12)} ${file}`;

  it('draws the tree in colour on the terminal, with the hostile command lines shown inert', async () => {
    const pane = await runInPane('tty', show());
    expect(pane.text).toContain('<<done 0>>');
    const lines = pane.text.split('\n');
    // nothing cleared the screen or moved the cursor back: the header is still the first line
    expect(lines[0]).toBe(`Alert ${id}`);
    expect(pane.text).toContain('└─ /dev/shm/.x/nc  pid 300');
    expect(pane.text).toContain('\\x1b[31mFAKE: all clear\\x1b[0m\\x1b[2J');
    expect(pane.text).toContain('/bin/sh\\r\\x1b[1A\\x1b[2K gpj.\\u{202e}exe');
    expect(pane.text).toContain('● [2] connection_attempted → 203.0.113.7:4444');
    expect(pane.title).not.toBe('innocent');
    // colour: the matched event in bold red, the roles in cyan (tmux re-encodes the SGR codes)
    expect(pane.styled).toMatch(/\u001b\[[0-9;]*31m● \[2\] connection_attempted/);
    expect(pane.styled).toMatch(/\u001b\[[0-9;]*36m\[entry leader: sshd, session leader\]/);
    // and the attacker's own colour never reached the terminal: "FAKE" is not painted red
    expect(pane.styled).not.toMatch(/\u001b\[[0-9;]*31mFAKE/);
  });

  it('prints plain text, without a single escape sequence, when its output is a pipe', async () => {
    const pane = await runInPane('pipe', `${show()} | cat`);
    expect(pane.text).toContain('<<done 0>>');
    expect(pane.text.split('\n')[0]).toBe(`Alert ${id}`);
    expect(pane.text).toContain('● [2] connection_attempted → 203.0.113.7:4444');
    const body = pane.styled.slice(0, pane.styled.indexOf('<<done'));
    expect(body).not.toContain('\u001b');
  });
});
