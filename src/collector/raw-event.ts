// The collector's boundary type: one kernel event, re-assembled from bpftrace's
// lines and typed, before any enrichment. Nothing here knows about ECS.
//
// Conventions (same words in bpf/, here, and in the ECS mapping):
// - `pid` is the thread-group id (user-space "pid"), `tid` the thread id.
// - `ktimeNs` is the event's kernel timestamp: CLOCK_MONOTONIC ns (bpftrace `nsecs`).
// - `startNs` is `task->group_leader->start_boottime` (CLOCK_BOOTTIME ns). It is a bigint
//   because ns since boot pass 2^53 after ~104 days of uptime and entity IDs need it exact.
// - Strings from user space (argv, filename, comm) are UTF-8 as the kernel had them; when one
//   of an exec's is not valid UTF-8, all of that exec's strings are in the byte-escaped form
//   (hex.ts escapeBytes: `\xNN` per byte that is not UTF-8) and `bytesEscaped` says so.
// - Credentials are read from the task at the event (`real*` = uid/gid, `e*` = euid/egid).

/** Every raw event kind, in the order counters list them. */
export const RAW_EVENT_KINDS = [
  'exec',
  'fork',
  'exit',
  'connect',
  'accept',
  'disconnect',
  'setsid',
  'setpgid',
  'chdir',
  'setuid',
  'setgid',
  'module',
  'file',
  'lost',
  'gap',
] as const;

export type RawEventKind = (typeof RAW_EVENT_KINDS)[number];

export interface Credentials {
  uid: number;
  gid: number;
  euid: number;
  egid: number;
}

/** The task's capability sets at the event (cred->cap_effective / cap_permitted, bit n = capability n). */
export interface Capabilities {
  capEffective: bigint;
  capPermitted: bigint;
}

/** Capabilities where a line of protocol 2 (or a synthetic event) may lack them. */
type MaybeCapabilities = Partial<Capabilities>;

/** The controlling terminal (signal->tty) as a character device. */
export interface Tty {
  major: number;
  minor: number;
}

interface ProcessEventBase {
  ktimeNs: number;
  pid: number;
  tid: number;
  /** group leader's start_boottime, ns since boot */
  startNs: bigint;
}

export interface ExecEvent extends ProcessEventBase, Credentials, MaybeCapabilities {
  kind: 'exec';
  ppid: number;
  /** the parent (real_parent's group leader) start_boottime */
  parentStartNs: bigint;
  /** session id when the kernel side could read it; otherwise the normalizer derives it */
  sid?: number;
  comm: string;
  /** the path exactly as passed to execve (relative paths, script paths for #!) */
  filename: string;
  argv: string[];
  /** argv was cut at the configured byte bound */
  argvTruncated: boolean;
  /** argc of the new image (read at mm->start_stack): the argument count, also of the arguments
   *  a cut argv lost (absent when the kernel's word was unreadable) */
  argc?: number;
  /** the controlling terminal; absent when the process has none */
  tty?: Tty;
  /** inode numbers of the task's pid and mount namespaces (as /proc/PID/ns/{pid,mnt} show) */
  pidNs?: number;
  mntNs?: number;
  /** captured environment variables, "NAME=value" (only the names the program was rendered with) */
  envVars?: string[];
  /** some captured variable was longer than the byte bound and is cut */
  envTruncated?: true;
  /** a string of this exec was not valid UTF-8: argv, filename, comm and the captured variables
   *  are all byte-escaped */
  bytesEscaped?: boolean;
  cgroupId?: bigint;
  cgroupPath?: string;
  /** the working directory at exec (the task's fs->pwd walked to its root, elastic/ebpf's form) */
  cwd?: string;
  /** the walk did not reach the root (too deep, outside it): cwd starts with "." */
  cwdCut?: true;
  /** the process's exit had already been read when this exec left the collector: it is gone
   *  from /proc, so nothing is to be read there about it */
  exitedBeforeRelease?: true;
}

export interface ForkEvent {
  kind: 'fork';
  ktimeNs: number;
  /** the forking process */
  parentPid: number;
  parentTid: number;
  parentStartNs?: bigint;
  /** the new thread-group (only process forks are reported, not thread creation) */
  childPid: number;
  childStartNs?: bigint;
}

export interface ExitEvent extends ProcessEventBase {
  kind: 'exit';
  /** the exit status byte of the wait status ((status >> 8) & 0xff): 0 when killed by a signal */
  exitCode: number;
  /** the signal number if killed by a signal */
  signal?: number;
}

export type SocketType = 'stream' | 'dgram' | 'other';

export interface ConnectEvent extends ProcessEventBase, Credentials, MaybeCapabilities {
  kind: 'connect';
  family: 'ipv4' | 'ipv6';
  socketType: SocketType;
  /** textual address as the kernel saw it (IPv4-mapped IPv6 kept as-is here) */
  daddr: string;
  dport: number;
  /** the syscall's return value: 0, or a negative errno (-115 EINPROGRESS, -111 ECONNREFUSED ...);
   *  -115 for an attempt seen only as a SYN (source inet_sock_set_state) */
  ret: number;
  /** the socket's local address after the call (port 0 and an unspecified address: not bound) */
  saddr?: string;
  sport?: number;
  comm: string;
  /** set when the attempt was seen as a socket entering SYN_SENT outside connect(2) (io_uring,
   *  TCP Fast Open) rather than at the syscall */
  source?: 'inet_sock_set_state';
}

/** An inbound TCP connection accepted by the process (accept/accept4). */
export interface AcceptEvent extends ProcessEventBase, Credentials, Capabilities {
  kind: 'accept';
  family: 'ipv4' | 'ipv6';
  /** this host's end (the listener's address and port) */
  laddr: string;
  lport: number;
  /** the peer that connected */
  raddr: string;
  rport: number;
  comm: string;
}

/** An established TCP connection the process closed (or shut down), with its byte counts. */
export interface DisconnectEvent extends ProcessEventBase, Credentials, Capabilities {
  kind: 'disconnect';
  family: 'ipv4' | 'ipv6';
  saddr: string;
  sport: number;
  daddr: string;
  dport: number;
  /** data bytes sent (tcp_sock.bytes_sent, retransmissions included) and bytes received
   *  (tcp_sock.bytes_received: a received FIN counts as one), as elastic/ebpf reports them */
  bytesSent: bigint;
  bytesReceived: bigint;
  comm: string;
}

/**
 * A successful setuid/setreuid/setresuid/setfsuid (`setuid`) or gid counterpart (`setgid`) that
 * changed one of the task's ids; the credentials and capabilities are the new ones.
 */
export interface CredChangeEvent extends ProcessEventBase, Credentials, Capabilities {
  kind: 'setuid' | 'setgid';
  comm: string;
}

/** A successful setpgid(targetPid, pgid): arguments as passed (caller's pid namespace, 0 = self /
 *  the target's own pid) and the caller's own process group after the call (host pid). */
export interface SetpgidEvent extends ProcessEventBase {
  kind: 'setpgid';
  targetPid: number;
  pgid: number;
  callerPgid: number;
}

/** A successful chdir/fchdir: the process's new working directory (walked as at exec). */
export interface ChdirEvent extends ProcessEventBase {
  kind: 'chdir';
  cwd: string;
  /** the walk did not reach the root: cwd starts with "." */
  cwdCut?: true;
  /** the directory is not valid UTF-8: cwd is in the byte-escaped form (not marked on the
   *  documents, whose other strings may be plain) */
  bytesEscaped?: true;
}

/** A kernel module loaded (module:module_load) by this process. */
export interface ModuleEvent extends ProcessEventBase, Credentials, Capabilities {
  kind: 'module';
  name: string;
  /** the module's taint bits (TAINT_* numbers of include/linux/panic.h) */
  taints: number;
  comm: string;
}

export interface SetsidEvent extends ProcessEventBase, Credentials {
  kind: 'setsid';
  /** new session id on success, negative errno on failure */
  ret: number;
  comm: string;
}

/** What happened to a file (the names elastic/ebpf and Elastic Defend give these events). */
export type FileAction = 'creation' | 'rename' | 'deletion';

/**
 * A file created by an open, renamed, or deleted (unlinked), as the kernel reported it after the
 * call succeeded. Paths are absolute as the acting process sees them (up to its root). A path
 * the kernel side could not read whole (more than 100 directories deep, outside the process's
 * root, relative to a descriptor that was closed) starts with "." as elastic/ebpf marks a cut
 * path, and `pathCut` is set.
 */
export interface FileEvent extends ProcessEventBase, Credentials {
  kind: 'file';
  action: FileAction;
  comm: string;
  /** the file's path; for a rename, its new path */
  path: string;
  pathCut?: true;
  /** rename: the path it had before */
  oldPath?: string;
  oldPathCut?: true;
  /** creation: the new file's st_mode (type and permission bits) */
  mode?: number;
  /** rename: renameat2's flags (RENAME_NOREPLACE 1, RENAME_EXCHANGE 2, RENAME_WHITEOUT 4) */
  renameFlags?: number;
  /** a path or comm was not valid UTF-8: path, old path and comm are all byte-escaped */
  bytesEscaped?: true;
}

/** bpftrace reported lost perf-buffer records */
export interface LostEvent {
  kind: 'lost';
  ktimeNs: number;
  count: number;
  /** the program whose records were lost: process and network ('process') or file events */
  source?: 'process' | 'file';
  /** 'budget': file events over the per-second budget, counted and dropped in the kernel;
   *  otherwise records the perf buffers overran ("Lost N events") */
  cause?: 'budget';
}

/** telemetry gap: bpftrace was not running between `fromNs` and `toNs` (monotonic ns) */
export interface GapEvent {
  kind: 'gap';
  ktimeNs: number;
  fromNs: number;
  toNs: number;
  reason: string;
  /** the program that was down */
  source?: 'process' | 'file';
}

export type RawEvent =
  | ExecEvent
  | ForkEvent
  | ExitEvent
  | ConnectEvent
  | AcceptEvent
  | DisconnectEvent
  | SetsidEvent
  | SetpgidEvent
  | ChdirEvent
  | CredChangeEvent
  | ModuleEvent
  | FileEvent
  | LostEvent
  | GapEvent;
