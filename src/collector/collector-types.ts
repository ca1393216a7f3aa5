// The collector's options and the statistics it reports (Collector.stats(), the health line
// and the metrics read them). Types only.
import type pino from 'pino';
import type { EnvVarSpec } from './env-match.js';
import type { AgentPidNamespace } from './pid-namespace.js';
import type { RawEventKind } from './raw-event.js';
import type { ShedOptions, ShedStats } from './shedder.js';

export interface CollectorOptions {
  logger: pino.Logger;
  /** argv bytes captured per exec (default 1024); longer argv is cut and flagged */
  argvBytes?: number;
  bpftracePath?: string;
  /** without the pacing shim, how long events are held to be put in kernel-timestamp order
   *  (default 30 ms); with it, events are released by the shim's looks (look-bound.ts) and this
   *  bounds how long a late file program holds the others, and with the pace and 30 ms the
   *  process program's */
  reorderWindowMs?: number;
  /** drop events of eqld's own process and of bpftrace (default true) */
  excludeSelf?: boolean;
  /** eqld's pid namespace (default: read from /proc/self/ns/pid). Outside the initial one its
   *  own and bpftrace's kernel pids are known only from the programs' `ready`/`hello` lines */
  pidNamespace?: AgentPidNamespace;
  /** restart backoff: first delay and cap (default 500 ms, 30 s) */
  restartDelayMs?: number;
  maxRestartDelayMs?: number;
  /** how long start() waits for the probes to attach (default 60 s; LLVM compile takes ~1-5 s) */
  attachTimeoutMs?: number;
  /** the same for the file program (default 180 s: it compiles at a lower priority, and a
   *  busy 2-vCPU host was seen to take 55 s) */
  fileAttachTimeoutMs?: number;
  /** wrap bpftrace in `setpriv --pdeathsig KILL` (default true when setpriv exists) */
  pdeathsig?: boolean;
  /** perf buffer pages per CPU (BPFTRACE_PERF_RB_PAGES; default 256 = 1 MiB, bpftrace's own is 64) */
  perfBufferPages?: number;
  /** how often bpftrace's output is read while events flow (default 60 ms; with the shim, just
   *  after its looks, LOOK_MIN_AGE_NS past each instant of its grid); a busy pipe is read sooner,
   *  back to back when it stays full. */
  pollIntervalMs?: number;
  /** when to shed connect lines under a flood (default: loopback at 250 ms behind, all at 1 s) */
  shed?: ShedOptions;
  /** bpftrace reads its perf buffers at most once per this many ms, on a grid of this period
   *  (default 60; 0: on every event, as bpftrace 0.17 does by itself), through the LD_PRELOAD
   *  shim native/bpftrace-pace.c; ignored when the shim was not built. An event then reaches a
   *  listener within about this plus LOOK_MIN_AGE_NS (15 ms). */
  bpftracePaceMs?: number;
  /** the pacing shim (default: dist/collector/native/bpftrace-pace.so of this package) */
  paceShimPath?: string;
  /** capacity of the pipe bpftrace writes into (default 1 MiB, set through perl's fcntl when
   *  /usr/bin/perl exists; 0 keeps the kernel's 64 KiB): room for bpftrace's bursts */
  pipeBytes?: number;
  /** a pre-rendered program (tests, benchmarks); default: render bpf/eqld.bt.in */
  program?: string;
  /** environment variables captured at exec (env-match.ts); default none: no environment is read */
  envVars?: readonly EnvVarSpec[];
  /** file events (creation, rename, deletion) from a second bpftrace running bpf/eqld-file.bt.in,
   *  with its own perf buffers and loss count (default off here; `eqld run` turns it on) */
  fileEvents?: FileEventOptions;
  /** skip checkPreconditions() in start() (tests with a stand-in bpftrace) */
  skipPreconditions?: boolean;
}

export interface FileEventOptions {
  /** file events printed per second at most; the kernel side counts the rest as dropped
   *  (default 5,000) */
  eventsPerSecond?: number;
  /** a pre-rendered file program (tests); default: render bpf/eqld-file.bt.in */
  program?: string;
}

/** The file program's own counters (CollectorStats.file). */
export interface FileCollectorStats {
  running: boolean;
  bpftracePid: number | undefined;
  lines: number;
  malformed: number;
  /** records its bpftrace reported lost */
  lost: number;
  /** events over the per-second budget, counted in the kernel and not reported */
  dropped: number;
  restarts: number;
  gaps: number;
  /** kernel time (CLOCK_MONOTONIC ns) of the program's last `counters` line read (every 5 s), 0
   *  before the first: its drop counts and perf-buffer losses up to then are in */
  countersKtimeNs: number;
  /** events dropped because a piece of them was lost, or inconsistent */
  incomplete: number;
  orphanPieces: number;
  /** events reported with a path cut short (too deep, outside the process's root) */
  cutPaths: number;
  eventsPerSecond: number;
  /** file events that came after later events were released: passed on at once, unordered */
  late: number;
  /** how long after the kernel event its line was read (a sample of 1 in 8), ms */
  arrivalDelayMs: { p50: number; p99: number; max: number };
}

export interface CollectorStats {
  running: boolean;
  bpftracePid: number | undefined;
  lines: number;
  events: number;
  byKind: Record<RawEventKind, number>;
  malformed: number;
  /** records bpftrace reported lost ("Lost N events") */
  lost: number;
  restarts: number;
  gaps: number;
  /** kernel time (CLOCK_MONOTONIC ns) of the program's last `counters` line read (every 5 s), 0
   *  before the first: its drop counts and perf-buffer losses up to then are in */
  countersKtimeNs: number;
  /** connects of families other than AF_INET/AF_INET6, counted in the kernel, not emitted */
  connectOtherFamilies: number;
  incompleteExecs: number;
  orphanChunks: number;
  /** events that arrived after a later event was released (the reorder window was too short) */
  late: number;
  /** longest time an event waited between its kernel timestamp and release, ms */
  maxDelayMs: number;
  /** kernel timestamp -> line parsed, ms, sampled (1 line in 8, last 4096 samples), before the reorder window */
  arrivalDelayMs: { p50: number; p99: number; max: number };
  /** connect lines dropped unparsed while eqld was far behind (shedder.ts) */
  shed: ShedStats;
  excludedSelf: number;
  reorderWindowMs: number;
  /** the window in force now: reorderWindowMs plus the widening after late events */
  effectiveWindowMs: number;
  argvBytes: number;
  /** bpftrace's pacing in force: ms between its reads of the perf buffers, 0 when unpaced */
  bpftracePaceMs: number;
  /** timer reads of bpftrace's output (none while idle) */
  polls: number;
  /** times output woke the collector after it had gone idle (nothing read, nothing held) */
  idleWakes: number;
  /** the file program, when file events are on */
  file?: FileCollectorStats;
}
