// Checks what the collector needs before bpftrace is started, one named result each, so
// `eqld doctor` and Collector.start() can say in one sentence what is missing.
// Mounts tracefs when it is absent and `mountTracefs` allows it (the only side effect).
import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { execa } from 'execa';
import { BENIGN_BPFTRACE_STDERR } from './bpftrace-command.js';
import { readStructMemberOffset, VMLINUX_BTF } from './btf.js';
import { DEFAULT_PACE_SHIM } from './pace-shim.js';
import { agentPidNamespace, pidNamespaceNotice } from './pid-namespace.js';
import { DEFAULT_TRACEFS, readTracepointFields } from './program.js';

export interface Precondition {
  name: string;
  ok: boolean;
  detail: string;
  /** eqld runs, but with less than it could (said at start and by `eqld doctor`) */
  warn?: boolean;
}

export interface PreconditionOptions {
  bpftracePath?: string;
  mountTracefs?: boolean;
  tracefs?: string;
  /** check what the file program needs too (default true) */
  fileEvents?: boolean;
  /** load a one-probe program that reads the kernel's BTF (`eqld doctor`: ~0.5 s), which fails
   *  where the bpf() syscall is refused even though every file is in place */
  loadProgram?: boolean;
}

/** start_boottime (5.5), probe_read_user (5.5) and sys_exit_clone3 (5.3) set the floor. */
export const MIN_KERNEL: readonly [number, number] = [5, 5];
export const MIN_BPFTRACE: readonly [number, number] = [0, 17];

/** Tracepoints the program attaches to and the fields it reads from each. */
export const REQUIRED_TRACEPOINTS: Record<string, string[]> = {
  'sched/sched_process_exec': ['filename'],
  'sched/sched_process_exit': [],
  'task/task_newtask': ['pid', 'clone_flags'],
  'syscalls/sys_exit_clone': ['ret'],
  'syscalls/sys_exit_clone3': ['ret'],
  'syscalls/sys_exit_fork': ['ret'],
  'syscalls/sys_exit_vfork': ['ret'],
  'syscalls/sys_enter_connect': ['fd', 'uservaddr'],
  'syscalls/sys_exit_connect': ['ret'],
  'syscalls/sys_exit_setsid': ['ret'],
  'sock/inet_sock_set_state': [
    'skaddr',
    'oldstate',
    'newstate',
    'protocol',
    'family',
    'sport',
    'dport',
    'saddr',
    'daddr',
    'saddr_v6',
    'daddr_v6',
  ],
  // protocol 3: accepts, id and group changes, the working directory (module:module_load is
  // used only where it exists: kernels without CONFIG_MODULES have none)
  'syscalls/sys_exit_accept': ['ret'],
  'syscalls/sys_exit_accept4': ['ret'],
  ...Object.fromEntries(
    ['setuid', 'setreuid', 'setresuid', 'setfsuid', 'setgid', 'setregid', 'setresgid', 'setfsgid'].flatMap(
      (s) => [
        [`syscalls/sys_enter_${s}`, []],
        [`syscalls/sys_exit_${s}`, ['ret']],
      ],
    ),
  ),
  'syscalls/sys_enter_setpgid': ['pid', 'pgid'],
  'syscalls/sys_exit_setpgid': ['ret'],
  'syscalls/sys_exit_chdir': ['ret'],
  'syscalls/sys_exit_fchdir': ['ret'],
};

/** The file program's tracepoints (bpf/eqld-file.bt.in) and the fields it reads. */
export const FILE_TRACEPOINTS: Record<string, string[]> = {
  'syscalls/sys_exit_open': ['ret'],
  'syscalls/sys_exit_openat': ['ret'],
  'syscalls/sys_exit_openat2': ['ret'],
  'syscalls/sys_exit_creat': ['ret'],
  'syscalls/sys_enter_rename': ['oldname', 'newname'],
  'syscalls/sys_enter_renameat': ['olddfd', 'oldname', 'newdfd', 'newname'],
  'syscalls/sys_enter_renameat2': ['olddfd', 'oldname', 'newdfd', 'newname', 'flags'],
  'syscalls/sys_exit_rename': ['ret'],
  'syscalls/sys_exit_renameat': ['ret'],
  'syscalls/sys_exit_renameat2': ['ret'],
  'syscalls/sys_enter_unlink': ['pathname'],
  'syscalls/sys_enter_unlinkat': ['dfd', 'pathname', 'flag'],
  'syscalls/sys_exit_unlink': ['ret'],
  'syscalls/sys_exit_unlinkat': ['ret'],
};

export function parseVersion(text: string): [number, number, number] | undefined {
  const m = /(\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined;
}

function atLeast(v: readonly number[], min: readonly number[]): boolean {
  for (let i = 0; i < min.length; i++) {
    if ((v[i] ?? 0) !== min[i]) return (v[i] ?? 0) > min[i]!;
  }
  return true;
}

async function checkBpftrace(path: string): Promise<Precondition> {
  try {
    const r = await execa(path, ['--version'], { timeout: 10_000 });
    const v = parseVersion(r.stdout);
    if (!v) return { name: 'bpftrace', ok: false, detail: `cannot read a version from "${r.stdout}"` };
    const ok = atLeast(v, MIN_BPFTRACE);
    return {
      name: 'bpftrace',
      ok,
      detail: ok
        ? `${path}: ${r.stdout.trim()}`
        : `${path} is ${v.join('.')}; eqld needs bpftrace >= ${MIN_BPFTRACE.join('.')}`,
    };
  } catch (error) {
    return {
      name: 'bpftrace',
      ok: false,
      detail: `bpftrace is not runnable at ${path} (apt-get install bpftrace): ${(error as Error).message.split('\n')[0]}`,
    };
  }
}

async function checkTracefs(tracefs: string, mount: boolean): Promise<Precondition> {
  if (existsSync(`${tracefs}/events`)) return { name: 'tracefs', ok: true, detail: `mounted at ${tracefs}` };
  if (!mount) return { name: 'tracefs', ok: false, detail: `tracefs is not mounted at ${tracefs}` };
  try {
    await execa('mount', ['-t', 'tracefs', 'nodev', tracefs], { timeout: 10_000 });
  } catch (error) {
    return {
      name: 'tracefs',
      ok: false,
      detail: `tracefs is not mounted at ${tracefs} and mounting it failed: ${(error as Error).message.split('\n')[0]}`,
    };
  }
  return existsSync(`${tracefs}/events`)
    ? { name: 'tracefs', ok: true, detail: `mounted tracefs at ${tracefs}` }
    : { name: 'tracefs', ok: false, detail: `mounted tracefs at ${tracefs} but it has no events/` };
}

function missingTracepoints(tracefs: string, wanted: Record<string, string[]>): string[] {
  const missing: string[] = [];
  for (const [tp, fields] of Object.entries(wanted)) {
    try {
      const have = new Set(readTracepointFields(tp, tracefs).map((f) => f.name));
      for (const f of fields) if (!have.has(f)) missing.push(`${tp} field ${f}`);
    } catch {
      missing.push(tp);
    }
  }
  return missing;
}

/** The file program: its tracepoints, and struct mount.mnt in BTF (its path walk reaches a
 *  struct mount from a vfsmount by that offset). */
function checkFileEvents(tracefs: string): Precondition {
  const missing = missingTracepoints(tracefs, FILE_TRACEPOINTS);
  if (missing.length > 0) {
    return { name: 'file-events', ok: false, detail: `missing tracepoints or fields: ${missing.join(', ')}` };
  }
  try {
    const mnt = readStructMemberOffset('mount', 'mnt');
    return {
      name: 'file-events',
      ok: true,
      detail: `${Object.keys(FILE_TRACEPOINTS).length} tracepoints present, struct mount.mnt at byte ${mnt}`,
    };
  } catch (error) {
    return {
      name: 'file-events',
      ok: false,
      detail: `struct mount.mnt not in BTF: ${(error as Error).message}`,
    };
  }
}

function checkTracepoints(tracefs: string): Precondition {
  const missing: string[] = [];
  for (const [tp, fields] of Object.entries(REQUIRED_TRACEPOINTS)) {
    try {
      const have = new Set(readTracepointFields(tp, tracefs).map((f) => f.name));
      for (const f of fields) if (!have.has(f)) missing.push(`${tp} field ${f}`);
    } catch {
      missing.push(tp);
    }
  }
  return missing.length === 0
    ? {
        name: 'tracepoints',
        ok: true,
        detail: `${Object.keys(REQUIRED_TRACEPOINTS).length} tracepoints present`,
      }
    : { name: 'tracepoints', ok: false, detail: `missing tracepoints or fields: ${missing.join(', ')}` };
}

function checkKernel(): Precondition {
  const rel = release();
  const v = parseVersion(rel);
  const ok = v !== undefined && atLeast(v, MIN_KERNEL);
  return {
    name: 'kernel',
    ok,
    detail: ok
      ? `${rel} (>= ${MIN_KERNEL.join('.')})`
      : `kernel ${rel} is older than ${MIN_KERNEL.join('.')}`,
  };
}

/** BTF present, parsable, and holding what the program reads by offset (task_struct.comm). */
function checkBtf(): Precondition {
  if (!existsSync(VMLINUX_BTF)) {
    return {
      name: 'btf',
      ok: false,
      detail: `kernel BTF (${VMLINUX_BTF}) is missing; the kernel needs CONFIG_DEBUG_INFO_BTF=y`,
    };
  }
  try {
    const comm = readStructMemberOffset('task_struct', 'comm');
    return { name: 'btf', ok: true, detail: `${VMLINUX_BTF} present (task_struct.comm at byte ${comm})` };
  } catch (error) {
    return { name: 'btf', ok: false, detail: `kernel BTF is unusable: ${(error as Error).message}` };
  }
}

function checkRoot(): Precondition {
  const euid = process.geteuid?.();
  return euid === 0
    ? { name: 'root', ok: true, detail: 'effective uid 0' }
    : { name: 'root', ok: false, detail: `effective uid is ${euid}; bpftrace 0.17 runs only as root` };
}

function checkSetpriv(): Precondition {
  const path = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
  return path
    ? { name: 'setpriv', ok: true, detail: `${path} (bpftrace gets --pdeathsig KILL: it dies with eqld)` }
    : {
        name: 'setpriv',
        ok: false,
        detail: 'setpriv (util-linux) is missing, so bpftrace would outlive a SIGKILLed eqld',
      };
}

/** Optional: without the shim bpftrace wakes for every event (more CPU), nothing is lost. */
function checkPaceShim(): Precondition {
  return {
    name: 'bpftrace-pacing',
    ok: true,
    detail: existsSync(DEFAULT_PACE_SHIM)
      ? `${DEFAULT_PACE_SHIM} present (bpftrace reads its buffers once per pace, not per event)`
      : `${DEFAULT_PACE_SHIM} not built (no C compiler at build time): bpftrace wakes for every event, which costs more CPU (optional)`,
  };
}

function checkCgroup2(): Precondition {
  let text = '';
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    // reported below
  }
  const ok = / - cgroup2 /.test(text);
  return {
    name: 'cgroup2',
    ok: true,
    detail: ok
      ? 'cgroup2 mounted (cgroup paths resolved)'
      : 'no cgroup2 mount: events carry cgroup ids only (optional)',
  };
}

// what bpftrace prints when it could not read the kernel's BTF and found no kernel headers either
const NO_BTF_ACCESS = /'linux\/types\.h' file not found|BTF_GET_NEXT_ID|Operation not permitted/;

/** Loads a program whose probe reads a BTF type: the bpf() syscall, BTF and program loading. */
async function checkLoad(path: string): Promise<Precondition> {
  const program = 'BEGIN { printf("%d\\n", sizeof(struct task_struct)); exit(); }';
  const r = await execa(path, ['-e', program], { timeout: 30_000, reject: false });
  const size = Number.parseInt(/^(\d+)$/m.exec(r.stdout)?.[1] ?? '', 10);
  if (r.exitCode === 0 && size > 0) {
    return {
      name: 'bpf-load',
      ok: true,
      detail: `a program reading the kernel's BTF loaded (task_struct: ${size} bytes)`,
    };
  }
  const said = `${r.stderr}\n${r.stdout}`
    .split('\n')
    .filter((l) => l.trim() !== '' && !BENIGN_BPFTRACE_STDERR.some((re) => re.test(l)))
    .slice(0, 2)
    .join(' / ');
  return {
    name: 'bpf-load',
    ok: false,
    detail: NO_BTF_ACCESS.test(said)
      ? `bpftrace could not use the kernel's BTF: the bpf() syscall was refused (a seccomp filter: systemd-nspawn needs --system-call-filter='bpf perf_event_open', a container --privileged; or no CAP_SYS_ADMIN). bpftrace said: ${said}`
      : `bpftrace could not load a one-probe program: ${said || `exit code ${r.exitCode}`}`,
  };
}

/** Informational: outside the initial pid namespace, /proc's pids are not the kernel's. */
function checkPidNamespace(): Precondition {
  const ns = agentPidNamespace();
  return {
    name: 'pid-namespace',
    ok: true,
    ...(ns.initial ? {} : { warn: true }),
    detail: pidNamespaceNotice(ns),
  };
}

export async function checkPreconditions(opts: PreconditionOptions = {}): Promise<Precondition[]> {
  const tracefs = opts.tracefs ?? DEFAULT_TRACEFS;
  const root = checkRoot();
  const bpftrace = await checkBpftrace(opts.bpftracePath ?? 'bpftrace');
  const results = [root, checkKernel(), checkBtf(), bpftrace];
  if (opts.loadProgram) {
    results.push(
      root.ok && bpftrace.ok
        ? await checkLoad(opts.bpftracePath ?? 'bpftrace')
        : { name: 'bpf-load', ok: false, detail: 'cannot check: needs root and a runnable bpftrace' },
    );
  }
  const tfs = await checkTracefs(tracefs, (opts.mountTracefs ?? true) && root.ok);
  results.push(tfs);
  if (tfs.ok) results.push(checkTracepoints(tracefs));
  else results.push({ name: 'tracepoints', ok: false, detail: 'cannot check: tracefs is not mounted' });
  if (opts.fileEvents ?? true) {
    results.push(
      tfs.ok
        ? checkFileEvents(tracefs)
        : { name: 'file-events', ok: false, detail: 'cannot check: tracefs is not mounted' },
    );
  }
  results.push(checkSetpriv(), checkPaceShim(), checkCgroup2(), checkPidNamespace());
  return results;
}
