// How a bpftrace program is started: the argv (perl enlarging the output pipe, setpriv tying
// bpftrace's life to eqld's, nice for the file program, then bpftrace itself, each exec'ing the
// next in place so the pid stays bpftrace's) and its environment (string size, perf buffers, the
// pacing shim). Decisions on paths and numbers only; the runner spawns what this returns.
import { existsSync } from 'node:fs';
import { getPriority } from 'node:os';
import type pino from 'pino';
import { CollectorError } from './bpftrace-runner.js';

const PERL = '/usr/bin/perl';
const NICE = '/usr/bin/nice';
const SETPRIV = '/usr/bin/setpriv';

/** the file program's bpftrace runs at a lower priority: when CPU is short (its LLVM compile at
 *  start-up, a file storm), the process and network program reads its buffers first. Measured:
 *  without it, the file program's compile next to a busy host cost the process program
 *  thousands of lost records at start-up. An absolute nice value: when eqld itself runs boosted
 *  (agent.priority_boost), the file program still runs below ordinary processes. */
export const FILE_NICENESS = 5;

/** F_SETPIPE_SZ (1031) on stdout, then exec the rest of argv; a refusal is reported, not fatal */
const SET_PIPE_SIZE =
  'my $n = 0 + shift; fcntl(STDOUT, 1031, $n) or print STDERR "eqld: cannot enlarge the output pipe to $n bytes: $!\\n"; exec { $ARGV[0] } @ARGV or die "eqld: cannot exec $ARGV[0]: $!\\n"';
/** 1 MiB: /proc/sys/fs/pipe-max-size's default, ~10k short lines or ~0.2 s of an exec storm */
const DEFAULT_PIPE_BYTES = 1 << 20;

/** this process's nice value (0 if it cannot be read) */
export function currentNiceness(): number {
  try {
    return getPriority();
  } catch {
    return 0;
  }
}

export interface CommandOptions {
  bpftracePath: string;
  programPath: string;
  /** added to eqld's own nice value (`nice -n`); 0 or less: no nice wrapper */
  niceness: number;
  /** wrap in `setpriv --pdeathsig KILL` (default: when setpriv exists) */
  pdeathsig?: boolean | undefined;
  /** the output pipe's size (default 1 MiB; 0: the kernel's 64 KiB) */
  pipeBytes?: number | undefined;
}

/** the command that runs bpftrace on `programPath` */
export function bpftraceCommand(o: CommandOptions): [string, string[]] {
  let argv = [o.bpftracePath, o.programPath];
  if (o.niceness > 0 && existsSync(NICE)) argv = [NICE, '-n', String(o.niceness), ...argv];
  // setpriv execs bpftrace in place (same pid): PR_SET_PDEATHSIG survives exec, so the
  // kernel SIGKILLs bpftrace when eqld's spawning thread dies, however eqld dies.
  if (o.pdeathsig ?? existsSync(SETPRIV)) {
    argv = ['setpriv', '--pdeathsig', 'KILL', '--', ...argv];
  }
  // node cannot fcntl(); perl (Essential on Debian) enlarges the pipe, then execs in place
  const pipeBytes = o.pipeBytes ?? DEFAULT_PIPE_BYTES;
  if (pipeBytes > 0 && existsSync(PERL)) {
    argv = [PERL, '-e', SET_PIPE_SIZE, '--', String(pipeBytes), ...argv];
  }
  return [argv[0] as string, argv.slice(1)];
}

export interface EnvOptions {
  perfBufferPages?: number | undefined;
  /** 0: unpaced */
  paceMs: number;
  paceShim: string;
  /** LD_PRELOAD eqld itself was given (default: process.env's) */
  inheritedPreload?: string | undefined;
  /** where the shim publishes its looks (look-bound.ts) */
  lookFile?: string | undefined;
}

/** bpftrace's environment: string size, perf buffers, and the pacing shim when in force. */
export function bpftraceEnv(o: EnvOptions): Record<string, string> {
  const env: Record<string, string> = {
    BPFTRACE_STRLEN: '200',
    BPFTRACE_PERF_RB_PAGES: String(o.perfBufferPages ?? 256),
  };
  if (o.paceMs > 0) {
    const inherited = o.inheritedPreload ?? process.env.LD_PRELOAD;
    env.LD_PRELOAD = inherited ? `${o.paceShim} ${inherited}` : o.paceShim;
    env.EQLD_BPFTRACE_PACE_MS = String(o.paceMs);
    if (o.lookFile !== undefined) env.EQLD_BPFTRACE_LOOK_FILE = o.lookFile;
  }
  return env;
}

/** The pace in force: the one asked for if the shim exists, else 0 (said once in the log). */
export function resolvePace(ms: number, shim: string, log: pino.Logger): { ms: number; shim: string } {
  if (!Number.isInteger(ms) || ms < 0 || ms > 1000) {
    throw new CollectorError(`Expected bpftracePaceMs to be an integer from 0 to 1000, got ${ms}`);
  }
  if (ms === 0) return { ms: 0, shim: '' };
  if (!existsSync(shim)) {
    log.warn(
      { shim },
      'bpftrace runs unpaced (it wakes for every event: more CPU): the pacing shim was not built (no C compiler at build time?)',
    );
    return { ms: 0, shim: '' };
  }
  if (/[\s:]/.test(shim)) {
    // LD_PRELOAD splits its list at spaces and colons
    log.warn({ shim }, 'bpftrace runs unpaced: the pacing shim’s path has a space or colon');
    return { ms: 0, shim: '' };
  }
  return { ms, shim };
}

/** bpftrace 0.17 chatter on stderr that is not an error (RLIMIT_MEMLOCK: BPF memory is charged
 *  to the cgroup since Linux 5.11, and a container's hard limit may forbid raising it) */
export const BENIGN_BPFTRACE_STDERR: readonly RegExp[] = [
  /couldn't set RLIMIT_MEMLOCK/,
  /^DEBUG: Struct offset mismatch/,
];
