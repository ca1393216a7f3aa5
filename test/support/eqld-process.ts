// Runs the built agent (`node dist/cli/main.js run ...`) as a child process the way an admin
// would, waits for its `eqld running` log line, and stops it by PID. Collects stderr (pino JSON)
// so a failing test can print what the agent said. It does not build: run `npm run build` first.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const EQLD_MAIN = join(REPO_ROOT, 'dist', 'cli', 'main.js');

/** EQLD_MAIN's shebang (`#!/usr/bin/env -S [NAME=VALUE...] node [FLAGS...]`): the environment
 *  (glibc malloc tuning) and node flags the installed `eqld` runs with, so tests and benchmarks
 *  spawn the agent the same way. */
function eqldShebang(): { env: Record<string, string>; flags: string[] } {
  const first = readFileSync(EQLD_MAIN, 'utf8').split('\n', 1)[0] ?? '';
  const m =
    /^#!\/usr\/bin\/env -S(?<env>( [A-Z_][A-Z0-9_]*=\S*)*) node(?<flags>( --[\w-]+(=\S+)?)*)\s*$/.exec(first);
  if (!m) throw new Error(`${EQLD_MAIN}: unexpected shebang ${JSON.stringify(first)}`);
  const words = (s: string | undefined) => (s ?? '').split(' ').filter((w) => w !== '');
  const env: Record<string, string> = {};
  for (const kv of words(m.groups?.env)) {
    const eq = kv.indexOf('=');
    env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return { env, flags: words(m.groups?.flags) };
}

/** The node flags in EQLD_MAIN's shebang. */
export function eqldNodeFlags(): string[] {
  return eqldShebang().flags;
}

/** `base` (default: this process's environment) with the variables EQLD_MAIN's shebang sets. */
export function eqldEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...base, ...eqldShebang().env };
}

export class EqldProcessError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(`${message}\n--- eqld stderr (last 4000 chars) ---\n${stderr.slice(-4000)}`);
    this.name = 'EqldProcessError';
  }
}

export type LogLine = Record<string, unknown> & { msg?: string; level?: number | string };

export interface EqldProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  stderr(): string;
  /** stderr lines that parsed as JSON */
  logs(): LogLine[];
  waitForLog(pred: (l: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** pids of eqld and every descendant (bpftrace, ...) right now */
  processTree(): number[];
  /** SIGTERM (or the given signal), then SIGKILL after graceMs; resolves with the exit status */
  stop(
    signal?: NodeJS.Signals,
    graceMs?: number,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Every descendant of `root` (inclusive), from /proc. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const ent of readdirSync('/proc')) {
    const pid = Number(ent);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(pid);
      children.set(ppid, list);
    } catch {
      // exited while scanning
    }
  }
  const out: number[] = [];
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop() as number;
    out.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

export async function startEqld(
  args: string[],
  opts: { readyTimeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<EqldProcess> {
  if (!existsSync(EQLD_MAIN)) throw new EqldProcessError(`${EQLD_MAIN} missing: run npm run build`, '');
  const child = spawn(process.execPath, [...eqldNodeFlags(), EQLD_MAIN, 'run', ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: eqldEnv(opts.env ?? process.env),
  });
  const pid = child.pid;
  if (pid === undefined) throw new EqldProcessError('eqld did not spawn', '');
  let stderr = '';
  const logs: LogLine[] = [];
  const waiters = new Set<(l: LogLine) => void>();
  child.stdout?.resume();
  child.stderr?.on('data', (d) => {
    stderr += String(d);
  });
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (line) => {
    try {
      const parsed = JSON.parse(line) as LogLine;
      logs.push(parsed);
      for (const w of waiters) w(parsed);
    } catch {
      // not JSON (a crash trace); kept in stderr()
    }
  });
  const exitP = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once('exit', (code, signal) => r({ code, signal })),
  );

  const waitForLog = (pred: (l: LogLine) => boolean, timeoutMs = 30_000): Promise<LogLine> =>
    new Promise((resolveLog, reject) => {
      const found = logs.find(pred);
      if (found) return resolveLog(found);
      const onLine = (l: LogLine) => {
        if (pred(l)) {
          cleanup();
          resolveLog(l);
        }
      };
      const t = setTimeout(() => {
        cleanup();
        reject(new EqldProcessError(`no matching eqld log line within ${timeoutMs} ms`, stderr));
      }, timeoutMs);
      void exitP.then(({ code, signal }) => {
        cleanup();
        reject(
          new EqldProcessError(`eqld exited (code ${code}, signal ${signal}) before the log line`, stderr),
        );
      });
      const cleanup = () => {
        clearTimeout(t);
        waiters.delete(onLine);
      };
      waiters.add(onLine);
    });

  const proc: EqldProcess = {
    pid,
    child,
    stderr: () => stderr,
    logs: () => [...logs],
    waitForLog,
    processTree: () => processTree(pid),
    exited: () => exitP,
    stop: async (signal = 'SIGTERM', graceMs = 10_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return exitP;
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
      const t = setTimeout(() => {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }, graceMs);
      const r = await exitP;
      clearTimeout(t);
      return r;
    },
  };
  try {
    await waitForLog((l) => l.msg === 'eqld running', opts.readyTimeoutMs ?? 60_000);
  } catch (err) {
    await proc.stop('SIGKILL');
    throw err;
  }
  return proc;
}
