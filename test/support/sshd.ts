// A real OpenSSH server for the end-to-end tests: /usr/sbin/sshd -D on 127.0.0.1 inside the
// test's victim namespace, with throwaway host and user keys and a config of its own (root
// login by key only there), so a session's children run — and connect — from that namespace.
// It never touches /etc/ssh or the system sshd. Debian's bash sources ~/.bashrc for commands
// run by sshd; the config sets SHLVL=1 so the session shell skips it (a slow .bashrc would
// push the shell's child past the rule's 1 s maxspan and make the tests measure the rc file).
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Netns } from './netns.js';

const execFileP = promisify(execFile);

export const SSHD_PATH = '/usr/sbin/sshd';

export class SshdError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SshdError';
  }
}

export interface SshResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface Sshd {
  readonly pid: number;
  readonly port: number;
  readonly dir: string;
  readonly ns: Netns;
  /** ssh client options for this server (port, key, no host-key checks), without destination */
  readonly clientOptions: readonly string[];
  /** argv that runs `ssh ... root@127.0.0.1 <command>` inside the namespace */
  sshArgv(command: string): string[];
  /** runs one command through sshd as root and waits for the session to end */
  ssh(command: string, timeoutMs?: number): Promise<SshResult>;
  /** starts a session without waiting; stdout lines arrive on the child */
  sshSpawn(command: string): ChildProcess;
  log(): string;
  stop(): Promise<void>;
}

async function keygen(path: string, comment: string): Promise<void> {
  await execFileP('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path]);
}

export async function startSshd(ns: Netns, opts: { port?: number } = {}): Promise<Sshd> {
  const port = opts.port ?? 2222;
  const dir = mkdtempSync(join(tmpdir(), 'eqld-sshd-'));
  // privilege separation directory sshd insists on (Debian creates it from the unit)
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  await keygen(join(dir, 'host_ed25519'), 'eqld-test-host');
  await keygen(join(dir, 'user_ed25519'), 'eqld-test-user');
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'user_ed25519.pub')), { mode: 0o600 });
  const config = [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${join(dir, 'host_ed25519')}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'StrictModes no',
    'PrintMotd no',
    'SetEnv SHLVL=1',
    'LogLevel VERBOSE',
    '',
  ].join('\n');
  writeFileSync(join(dir, 'sshd_config'), config);
  const child = ns.spawn(SSHD_PATH, ['-D', '-e', '-f', join(dir, 'sshd_config')]);
  const pid = child.pid;
  if (pid === undefined) throw new SshdError('sshd did not start');
  let log = '';
  child.stderr?.on('data', (d) => {
    log += String(d);
  });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new SshdError(`sshd not listening after 10 s; log:\n${log}`)), 10_000);
    const onData = () => {
      if (log.includes(`Server listening on 127.0.0.1 port ${port}`)) {
        clearTimeout(t);
        child.stderr?.off('data', onData);
        resolve();
      }
    };
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(t);
      reject(new SshdError(`sshd exited with ${code}; log:\n${log}`));
    });
  });

  const clientOptions = [
    '-F',
    '/dev/null',
    '-p',
    String(port),
    '-i',
    join(dir, 'user_ed25519'),
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    'UserKnownHostsFile=/dev/null',
    '-o',
    'BatchMode=yes',
    '-o',
    'LogLevel=ERROR',
  ];
  const sshArgv = (command: string): string[] => [
    ...ns.prefix,
    'ssh',
    ...clientOptions,
    'root@127.0.0.1',
    command,
  ];
  const sshSpawn = (command: string): ChildProcess => {
    const [cmd, ...args] = sshArgv(command);
    return spawn(cmd as string, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  };

  return {
    pid,
    port,
    dir,
    ns,
    clientOptions,
    sshArgv,
    sshSpawn,
    ssh: (command, timeoutMs = 20_000) =>
      new Promise((resolve, reject) => {
        const c = sshSpawn(command);
        let stdout = '';
        let stderr = '';
        c.stdout?.on('data', (d) => {
          stdout += String(d);
        });
        c.stderr?.on('data', (d) => {
          stderr += String(d);
        });
        const t = setTimeout(() => {
          if (c.pid) process.kill(c.pid, 'SIGKILL');
          reject(new SshdError(`ssh '${command}' timed out after ${timeoutMs} ms; stderr: ${stderr}`));
        }, timeoutMs);
        c.once('close', (code) => {
          clearTimeout(t);
          resolve({ code, stdout, stderr });
        });
      }),
    log: () => log,
    stop: async () => {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
      await new Promise((r) =>
        child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r),
      );
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
