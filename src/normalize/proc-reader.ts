// Reads one process's facts from procfs (stat, status, cmdline, exe, cwd, cgroup, ns) into a plain
// record; used to seed the process table at start-up and to fill a table miss. Parsing is pure
// and separate from the reads. It does not interpret the facts (no ids, no leaders).
import { readFileSync, readlinkSync } from 'node:fs';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { decodeUtf8, escapeBytes, splitArgv } from '../collector/hex.js';
import { cgroupPathFromProc } from './container-id.js';

export interface ProcFacts {
  pid: number;
  comm: string;
  ppid: number;
  pgid: number;
  sid: number;
  /** tty_nr from stat: 0 when the process has no controlling terminal */
  ttyNr: number;
  /** stat field 22: start time in clock ticks since boot */
  startTicks: number;
  uid: number;
  euid: number;
  gid: number;
  egid: number;
  /** readlink(/proc/PID/exe); undefined for kernel threads or when unreadable */
  exe?: string;
  /** cmdline or exe was not UTF-8: args and exe are in the byte-escaped form */
  bytesEscaped?: boolean;
  cwd?: string;
  args: string[];
  cgroupPath?: string;
  /** status CapEff / CapPrm; undefined when status has no such line */
  capEffective?: bigint;
  capPermitted?: bigint;
  /** inode numbers of /proc/PID/ns/pid and ns/mnt */
  pidNs?: number;
  mntNs?: number;
}

export interface StatFields {
  comm: string;
  ppid: number;
  pgid: number;
  sid: number;
  ttyNr: number;
  startTicks: number;
}

/** proc(5) stat: comm is in parentheses and may itself contain ')' and spaces. */
export function parseStat(text: string): StatFields | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const rest = text.slice(close + 2).split(' ');
  // rest[0] is field 3 (state); field N is rest[N - 3]
  const n = (field: number) => Number(rest[field - 3]);
  const startTicks = n(22);
  if (!Number.isFinite(startTicks)) return undefined;
  return {
    comm: text.slice(open + 1, close),
    ppid: n(4),
    pgid: n(5),
    sid: n(6),
    ttyNr: n(7),
    startTicks,
  };
}

/** Real and effective uid/gid from /proc/PID/status ("Uid:\treal\teffective\tsaved\tfs"). */
export function parseStatusIds(text: string): { uid: number; euid: number; gid: number; egid: number } {
  const ids = { uid: -1, euid: -1, gid: -1, egid: -1 };
  for (const line of text.split('\n')) {
    if (line.startsWith('Uid:')) {
      const f = line.slice(4).trim().split(/\s+/);
      ids.uid = Number(f[0]);
      ids.euid = Number(f[1]);
    } else if (line.startsWith('Gid:')) {
      const f = line.slice(4).trim().split(/\s+/);
      ids.gid = Number(f[0]);
      ids.egid = Number(f[1]);
    }
  }
  return ids;
}

/** cmdline is NUL-separated with a trailing NUL; not UTF-8: the collector's byte-escaped form. */
export function parseCmdline(buf: Buffer, forceEscape = false): { args: string[]; escaped: boolean } {
  const { argv, escaped } = splitArgv(buf, false, forceEscape);
  return { args: argv, escaped };
}

/** CapEff / CapPrm of /proc/PID/status (16 hex digits each). */
export function parseStatusCaps(text: string): { capEffective?: bigint; capPermitted?: bigint } {
  const out: { capEffective?: bigint; capPermitted?: bigint } = {};
  const m = /^CapPrm:\s*([0-9a-f]+)$[\s\S]*^CapEff:\s*([0-9a-f]+)$/m.exec(text);
  if (m) {
    out.capPermitted = BigInt(`0x${m[1]}`);
    out.capEffective = BigInt(`0x${m[2]}`);
  }
  return out;
}

/** The inode of a namespace link's target, `pid:[4026531836]`. */
export function parseNsLink(link: string | undefined): number | undefined {
  const m = link === undefined ? null : /:\[(\d+)\]$/.exec(link);
  return m ? Number(m[1]) : undefined;
}

function assemble(
  pid: number,
  stat: string,
  status: string,
  cmdline: Buffer,
  exe: Buffer | undefined,
  cwd: string | undefined,
  cgroup: string | undefined,
  pidNs: string | undefined,
  mntNs: string | undefined,
): ProcFacts | undefined {
  const s = parseStat(stat);
  if (!s) return undefined;
  let { args, escaped } = parseCmdline(cmdline);
  let exePath = exe === undefined ? undefined : decodeUtf8(exe);
  // as for an exec event: one string that is not UTF-8 puts both in the byte-escaped form
  if (escaped || exePath?.escaped) {
    escaped = true;
    args = parseCmdline(cmdline, true).args;
    if (exe !== undefined) exePath = { text: escapeBytes(exe), escaped: true };
  }
  const facts: ProcFacts = { pid, ...s, ...parseStatusIds(status), ...parseStatusCaps(status), args };
  if (escaped) facts.bytesEscaped = true;
  if (exePath !== undefined) facts.exe = exePath.text;
  if (cwd !== undefined) facts.cwd = cwd;
  const pns = parseNsLink(pidNs);
  if (pns !== undefined) facts.pidNs = pns;
  const mns = parseNsLink(mntNs);
  if (mns !== undefined) facts.mntNs = mns;
  const cg = cgroup === undefined ? undefined : cgroupPathFromProc(cgroup);
  if (cg !== undefined) facts.cgroupPath = cg;
  return facts;
}

/** f's value, or undefined when it throws. The error is dropped, so V8 is spared capturing its
 *  stack trace (half the cost of a failed read): reading the cwd of a short-lived process fails
 *  on most execs, as it has exited by the time its exec is normalized. */
function tryOr<T>(f: () => T): T | undefined {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return f();
  } catch {
    return undefined;
  } finally {
    Error.stackTraceLimit = limit;
  }
}

async function tryOrAsync<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch {
    return undefined;
  }
}

/** Synchronous read for a table miss in the event path (a handful of small procfs reads). */
export function readProcSync(procRoot: string, pid: number): ProcFacts | undefined {
  const base = `${procRoot}/${pid}`;
  const stat = tryOr(() => readFileSync(`${base}/stat`, 'utf8'));
  const status = tryOr(() => readFileSync(`${base}/status`, 'utf8'));
  if (stat === undefined || status === undefined) return undefined;
  return assemble(
    pid,
    stat,
    status,
    tryOr(() => readFileSync(`${base}/cmdline`)) ?? Buffer.alloc(0),
    tryOr(() => readlinkSync(`${base}/exe`, { encoding: 'buffer' })),
    tryOr(() => readlinkSync(`${base}/cwd`)),
    tryOr(() => readFileSync(`${base}/cgroup`, 'utf8')),
    tryOr(() => readlinkSync(`${base}/ns/pid`)),
    tryOr(() => readlinkSync(`${base}/ns/mnt`)),
  );
}

export function readCwdSync(procRoot: string, pid: number): string | undefined {
  return tryOr(() => readlinkSync(`${procRoot}/${pid}/cwd`));
}

export async function readProc(procRoot: string, pid: number): Promise<ProcFacts | undefined> {
  const base = `${procRoot}/${pid}`;
  const [stat, status, cmdline, exe, cwd, cgroup, pidNs, mntNs] = await Promise.all([
    tryOrAsync(readFile(`${base}/stat`, 'utf8')),
    tryOrAsync(readFile(`${base}/status`, 'utf8')),
    tryOrAsync(readFile(`${base}/cmdline`)),
    tryOrAsync(readlink(`${base}/exe`, { encoding: 'buffer' })),
    tryOrAsync(readlink(`${base}/cwd`)),
    tryOrAsync(readFile(`${base}/cgroup`, 'utf8')),
    tryOrAsync(readlink(`${base}/ns/pid`)),
    tryOrAsync(readlink(`${base}/ns/mnt`)),
  ]);
  if (stat === undefined || status === undefined) return undefined;
  return assemble(pid, stat, status, cmdline ?? Buffer.alloc(0), exe, cwd, cgroup, pidNs, mntNs);
}

/** Every live process, read with bounded concurrency; processes that vanish mid-scan are skipped. */
export async function readAllProcs(procRoot: string, concurrency = 32): Promise<ProcFacts[]> {
  const pids = (await readdir(procRoot)).filter((n) => /^\d+$/.test(n)).map(Number);
  const out: ProcFacts[] = [];
  let next = 0;
  const worker = async () => {
    while (next < pids.length) {
      const pid = pids[next++] as number;
      const f = await readProc(procRoot, pid);
      if (f) out.push(f);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, pids.length) }, worker));
  return out;
}
