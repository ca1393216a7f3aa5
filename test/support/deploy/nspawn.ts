// A Debian machine booted with systemd-nspawn for the deployment tests: a real systemd as PID 1
// in its own pid, mount and UTS namespaces, on a copy-on-write overlay of the cached tree, inside
// a network namespace the test created (so any connect it makes stays in the test's namespaces).
// Commands run inside it with nsenter into all of its namespaces. The machine is not registered
// with machined (this host's PID 1 is not systemd): --register=no --keep-unit.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { overlayOf } from './rootfs.js';
import { waitFor } from './wait-for.js';

const execFileP = promisify(execFile);
const MACHINE_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' };

export interface NspawnOptions {
  /** the tree to boot (copied on write; never changed) */
  tree: string;
  /** /run/netns/NAME of a namespace the test created */
  netnsPath: string;
  /** read-only bind mounts, host path -> path inside */
  bindReadOnly?: Record<string, string>;
  /** where the console goes */
  consoleLog: string;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class NspawnMachine {
  private constructor(
    private readonly nspawn: ChildProcess,
    /** the machine's PID 1 as this (the host's) pid namespace numbers it */
    readonly leaderPid: number,
    /** the machine's root directory, seen from the host */
    readonly root: string,
    private readonly disposeOverlay: () => void,
  ) {}

  static async boot(o: NspawnOptions): Promise<NspawnMachine> {
    const overlay = overlayOf(o.tree);
    const out = openSync(o.consoleLog, 'a');
    const args = [
      '--quiet',
      '--register=no',
      '--keep-unit',
      `--directory=${overlay.root}`,
      '--boot',
      '--capability=all',
      // nspawn's own seccomp filter refuses bpf() and perf_event_open() (bpftrace then cannot read
      // the kernel's BTF); a machine meant to run eqld must allow them
      '--system-call-filter=bpf perf_event_open',
      `--network-namespace-path=${o.netnsPath}`,
      '--console=read-only',
      ...Object.entries(o.bindReadOnly ?? {}).map(([host, inside]) => `--bind-ro=${host}:${inside}`),
    ];
    const child = spawn('systemd-nspawn', args, { stdio: ['ignore', out, out] });
    let lastState = 'no answer yet';
    try {
      // nspawn's child is the machine's PID 1 only once it has exec'd systemd: before that it is
      // still systemd-nspawn setting up namespaces, and nsenter into it would run in a half-built
      // machine (or the host's namespaces)
      const leader = await waitFor(
        async () => {
          if (child.exitCode !== null) throw new Error(`systemd-nspawn exited with ${child.exitCode}`);
          const { stdout } = await execFileP('pgrep', ['-P', String(child.pid)]).catch(() => ({
            stdout: '',
          }));
          const pid = Number(stdout.trim().split('\n')[0]);
          if (!(pid > 0)) return undefined;
          const comm = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '');
          const ownPidNs = await readlink('/proc/self/ns/pid');
          const itsPidNs = await readlink(`/proc/${pid}/ns/pid`).catch(() => ownPidNs);
          return comm.trim() === 'systemd' && itsPidNs !== ownPidNs ? pid : undefined;
        },
        60_000,
        'the machine to start',
      );
      const m = new NspawnMachine(child, leader, overlay.root, overlay.dispose);
      await waitFor(
        async () => {
          if (child.exitCode !== null) throw new Error(`systemd-nspawn exited with ${child.exitCode}`);
          // a short timeout per question: a systemctl that hangs on a bus not yet up is asked again
          const r = await m.exec(['systemctl', 'is-system-running'], 10_000).catch((err: Error) => ({
            code: -1,
            stdout: '',
            stderr: err.message,
          }));
          lastState = `${r.stdout.trim() || '(nothing)'}, exit ${r.code}${r.stderr.trim() ? `: ${r.stderr.trim().slice(0, 200)}` : ''}`;
          const state = r.stdout.trim();
          return state === 'running' || state === 'degraded' ? state : undefined;
        },
        180_000,
        'systemd to finish booting',
      );
      return m;
    } catch (err) {
      const why = await NspawnMachine.bootDiagnostics(child, o.consoleLog, lastState);
      child.kill('SIGKILL');
      overlay.dispose();
      throw new Error(`${(err as Error).message}\n${why}`);
    }
  }

  /** What the machine was doing when its boot failed: the last answer of is-system-running, the
   *  jobs still queued, and the console's tail. */
  private static async bootDiagnostics(child: ChildProcess, consoleLog: string, lastState: string) {
    const lines = [`last is-system-running: ${lastState}`];
    const { stdout: kids } = await execFileP('pgrep', ['-P', String(child.pid)]).catch(() => ({
      stdout: '',
    }));
    const pid = Number(kids.trim().split('\n')[0]);
    if (pid > 0) {
      lines.push(
        `nspawn's child: pid ${pid}, comm ${(await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '?')).trim()}`,
      );
      const jobs = await execFileP(
        'nsenter',
        [`--target=${pid}`, '--all', '--root', '--wd', '--', 'systemctl', 'list-jobs', '--no-pager'],
        { timeout: 10_000, env: MACHINE_ENV, encoding: 'utf8' },
      ).then(
        (r) => r.stdout,
        (e: Error & { stdout?: string }) => e.stdout || e.message,
      );
      lines.push(`queued jobs:\n${jobs.trim()}`);
    }
    const consoleText = await readFile(consoleLog, 'utf8').catch(() => '');
    lines.push(`console (last 40 lines):\n${consoleText.split('\n').slice(-40).join('\n')}`);
    return lines.join('\n');
  }

  /** Runs argv in all of the machine's namespaces; never throws for a non-zero exit. */
  async exec(argv: string[], timeoutMs = 60_000): Promise<ExecResult> {
    try {
      const { stdout, stderr } = await execFileP(
        'nsenter',
        [`--target=${this.leaderPid}`, '--all', '--root', '--wd', '--', ...argv],
        // the machine's own environment, not the test runner's
        { timeout: timeoutMs, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: MACHINE_ENV },
      );
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code?: number | string; stdout?: string; stderr?: string; message: string };
      if (typeof e.code !== 'number') throw err;
      return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  }

  /** exec() that must succeed */
  async run(argv: string[], timeoutMs?: number): Promise<string> {
    const r = await this.exec(argv, timeoutMs);
    if (r.code !== 0) throw new Error(`${argv.join(' ')} exited with ${r.code}: ${r.stderr || r.stdout}`);
    return r.stdout;
  }

  /** a path inside the machine, seen from the host */
  path(inside: string): string {
    return join(this.root, inside);
  }

  /** Powers the machine off (nspawn turns SIGTERM into a clean shutdown), SIGKILL after 30 s. */
  async shutdown(): Promise<void> {
    if (this.nspawn.exitCode === null && this.nspawn.signalCode === null) {
      const exited = new Promise((r) => this.nspawn.once('exit', r));
      this.nspawn.kill('SIGTERM');
      const t = setTimeout(() => this.nspawn.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(t);
    }
    this.disposeOverlay();
  }
}
