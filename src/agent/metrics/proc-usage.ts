// CPU time and resident memory of a process, for the metrics of eqld itself and of bpftrace:
// eqld's from Node (process.cpuUsage, memoryUsage.rss), another process's from /proc/PID/stat
// (utime, stime: fields 14 and 15, in clock ticks; proc(5)) and /proc/PID/status (VmRSS, kB).
// Read at scrape time only. A process that is gone reads as undefined, not as an error.
import { readFileSync } from 'node:fs';

export interface ProcessUsage {
  userSeconds: number;
  systemSeconds: number;
  rssBytes: number;
}

/** USER_HZ: the unit of /proc's tick counts, 100 on every Linux ABI (sysconf(_SC_CLK_TCK)) */
const TICKS_PER_SECOND = 100;

/** utime and stime of a /proc/PID/stat line, in seconds; undefined if it does not parse. */
export function parseStatCpu(stat: string): { userSeconds: number; systemSeconds: number } | undefined {
  // comm (field 2) may hold spaces and parentheses: the fields after it start past the last ')'
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state), so field N is rest[N - 3]
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime) || rest.length < 13) return undefined;
  return { userSeconds: utime / TICKS_PER_SECOND, systemSeconds: stime / TICKS_PER_SECOND };
}

/** VmRSS of a /proc/PID/status text, in bytes; undefined when absent (a zombie has none). */
export function parseStatusRss(status: string): number | undefined {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  return m ? Number(m[1]) * 1024 : undefined;
}

/** Usage of `pid` from /proc; undefined when the process is gone or unreadable. */
export function readProcessUsage(pid: number, procRoot = '/proc'): ProcessUsage | undefined {
  try {
    const cpu = parseStatCpu(readFileSync(`${procRoot}/${pid}/stat`, 'utf8'));
    const rss = parseStatusRss(readFileSync(`${procRoot}/${pid}/status`, 'utf8'));
    if (cpu === undefined) return undefined;
    return { ...cpu, rssBytes: rss ?? 0 };
  } catch {
    return undefined;
  }
}

/** This process's usage, from Node. */
export function ownUsage(): ProcessUsage {
  const cpu = process.cpuUsage();
  return {
    userSeconds: cpu.user / 1e6,
    systemSeconds: cpu.system / 1e6,
    rssBytes: process.memoryUsage.rss(),
  };
}
