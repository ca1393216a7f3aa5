// Decides once per test run whether real-kernel tests can run here (root, bpftrace,
// tracefs, BTF, and a probe that really attaches), and says why not when they cannot.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface KernelAvailability {
  ok: boolean;
  reason: string;
}

function tryMountTracefs(): void {
  if (existsSync('/sys/kernel/tracing/events')) return;
  try {
    execFileSync('mount', ['-t', 'tracefs', 'nodev', '/sys/kernel/tracing'], { stdio: 'ignore' });
  } catch {
    // reported below as a missing precondition
  }
}

export function probeKernel(): KernelAvailability {
  if (process.env.EQLD_SKIP_KERNEL_TESTS === '1') {
    return { ok: false, reason: 'EQLD_SKIP_KERNEL_TESTS=1 is set' };
  }
  if (process.platform !== 'linux')
    return { ok: false, reason: `platform is ${process.platform}, not linux` };
  if (process.geteuid?.() !== 0)
    return { ok: false, reason: 'not running as root (bpftrace 0.17 needs euid 0)' };
  try {
    execFileSync('bpftrace', ['--version'], { stdio: 'pipe' });
  } catch {
    return { ok: false, reason: 'bpftrace is not installed (apt-get install bpftrace)' };
  }
  tryMountTracefs();
  if (!existsSync('/sys/kernel/tracing/events/sched/sched_process_exec')) {
    return { ok: false, reason: 'tracefs is not mounted at /sys/kernel/tracing and could not be mounted' };
  }
  if (!existsSync('/sys/kernel/btf/vmlinux'))
    return { ok: false, reason: 'kernel BTF (/sys/kernel/btf/vmlinux) missing' };
  try {
    execFileSync(
      'bpftrace',
      ['-e', 'tracepoint:sched:sched_process_exec { exit(); } interval:s:1 { exit(); }'],
      {
        stdio: 'pipe',
        timeout: 30_000,
      },
    );
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim() ?? String(error);
    return { ok: false, reason: `bpftrace could not attach a tracepoint: ${stderr.slice(0, 300)}` };
  }
  return { ok: true, reason: 'root, bpftrace, tracefs and BTF present; a tracepoint attached' };
}
