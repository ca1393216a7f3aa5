// The run time of BPF programs, as the kernel accounts it while `kernel.bpf_stats_enabled` is 1:
// each program's `run_time_ns` in the fdinfo of the descriptor its loader holds. BPF programs
// run in the traced tasks, so their time is part of the load's own CPU; this says how much of it.
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';

const SYSCTL = '/proc/sys/kernel/bpf_stats_enabled';

/** Total run_time_ns of the BPF programs the processes `pids` hold open (0 when none). */
export function bpfRunTimeNs(pids: readonly number[]): number {
  let total = 0;
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // gone
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) !== 'anon_inode:bpf-prog') continue;
        const m = /^run_time_ns:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'));
        if (m) total += Number(m[1]);
      } catch {
        // closed meanwhile
      }
    }
  }
  return total;
}

/** Runs `fn` with the kernel's BPF run-time accounting on, and restores the setting after. */
export async function withBpfStats<T>(fn: () => Promise<T>): Promise<T> {
  const was = readFileSync(SYSCTL, 'utf8').trim();
  writeFileSync(SYSCTL, '1');
  try {
    return await fn();
  } finally {
    writeFileSync(SYSCTL, was);
  }
}
