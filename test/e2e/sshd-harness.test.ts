// Self-tests of test/support/sshd.ts: a command really runs through the test's sshd, inside the
// victim namespace, with the process tree the SSHD rule expects (sshd -> sshd -> shell -> child).
import { readFileSync, readlinkSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNetns, type Netns } from '../support/netns.js';
import { SSHD_PATH, type Sshd, startSshd } from '../support/sshd.js';

const isRoot = process.geteuid?.() === 0;
if (!isRoot) process.stderr.write('SKIPPED (needs root for ip netns and sshd): sshd harness\n');

function ppidOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // field 4, after the parenthesised comm (which may contain spaces)
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

describe.skipIf(!isRoot)('sshd harness', () => {
  let ns: Netns;
  let sshd: Sshd;
  beforeAll(async () => {
    ns = await createNetns('sshd');
    sshd = await startSshd(ns);
  });
  afterAll(async () => {
    await sshd?.stop();
    await ns?.destroy();
  });

  it('runs a command as root through sshd', async () => {
    const r = await sshd.ssh('id -u; echo "$SSH_CONNECTION"');
    expect(r.code).toBe(0);
    const [uid, conn] = r.stdout.trim().split('\n');
    expect(uid).toBe('0');
    expect(conn).toMatch(/^127\.0\.0\.1 \d+ 127\.0\.0\.1 2222$/);
  });

  it('gives the session child the process tree sshd -> sshd -> shell -> child', async () => {
    const c = sshd.sshSpawn('sleep 5 & echo "$$ $!"; wait');
    const line = await new Promise<string>((resolve) =>
      createInterface({ input: c.stdout as NodeJS.ReadableStream }).once('line', resolve),
    );
    const [shellPid, childPid] = line.split(' ').map(Number) as [number, number];
    // the forked child may not have exec'd sleep yet when the shell prints its pid
    const deadline = Date.now() + 3_000;
    while (readlinkSync(`/proc/${childPid}/exe`) !== '/usr/bin/sleep' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(readlinkSync(`/proc/${childPid}/exe`)).toBe('/usr/bin/sleep');
    expect(ppidOf(childPid)).toBe(shellPid);
    expect(readlinkSync(`/proc/${shellPid}/exe`)).toBe('/usr/bin/bash');
    const sessionSshd = ppidOf(shellPid);
    expect(readlinkSync(`/proc/${sessionSshd}/exe`)).toBe(SSHD_PATH);
    expect(readlinkSync(`/proc/${ppidOf(sessionSshd)}/exe`)).toBe(SSHD_PATH);
    // the session runs inside the test namespace, not the main one
    expect(readlinkSync(`/proc/${childPid}/ns/net`)).not.toBe(readlinkSync('/proc/self/ns/net'));
    c.kill('SIGKILL');
  });

  it('does not source ~/.bashrc in the session shell', async () => {
    const r = await sshd.ssh('if [ -n "$PYENV_ROOT" ]; then echo sourced; else echo unset; fi');
    expect(r.stdout.trim()).toBe('unset');
  });
});
