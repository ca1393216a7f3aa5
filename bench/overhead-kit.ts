// What the overhead benchmarks share: the C load generator (fork+exec at a fixed rate, a loopback
// connect storm, or a command run once), CPU accounting from /proc and rusage, the best-of-N
// windows, detection-latency samples of the root rule, and auditd started with given rules as the
// side-by-side baseline. Used by overhead.bench.ts and file-overhead.bench.ts.
import { execFileSync, spawn } from 'node:child_process';
import {
  closeSync,
  type FSWatcher,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  statSync,
  watch,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import {
  type AlertDoc,
  alertDocument,
  connectThenSetsid,
  get,
  ROOT_RULE,
  ruleNameOf,
} from '../test/e2e/attack-kit.js';
import { type EqldProcess, startEqld } from '../test/support/eqld-process.js';
import { DEFAULT_UNROUTED_ADDRESS, type Netns } from '../test/support/netns.js';
import { type Rsyslog, startRsyslog } from '../test/support/rsyslog.js';

export const WINDOW_S = Number(process.env.EQLD_BENCH_WINDOW_S ?? 5);
/** each cell is measured this many times and the least-disturbed window kept (see the report) */
export const REPEATS = Number(process.env.EQLD_BENCH_REPEATS ?? 5);
export const WARMUP_S = Number(process.env.EQLD_BENCH_WARMUP_S ?? 15);
export const TICK_HZ = 100; // CLK_TCK on Linux

// fork+execve("/bin/true") on an absolute schedule, a loopback connect storm, or a command run
// once (mode run: its argv from the 5th argument); reports its own
// and its children's CPU (rusage), so hook costs charged to the traced tasks are counted.
export const LOADGEN_C = String.raw`
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
static long us(struct timeval tv) { return tv.tv_sec * 1000000L + tv.tv_usec; }
static long cpu_us(void) {
  struct rusage self, ch; getrusage(RUSAGE_SELF, &self); getrusage(RUSAGE_CHILDREN, &ch);
  return us(self.ru_utime) + us(self.ru_stime) + us(ch.ru_utime) + us(ch.ru_stime);
}
/* fork+exec /bin/true at rate on an absolute schedule until end */
static void exec_loop(double rate, double end, long *count, long *failed) {
  struct timespec next; clock_gettime(CLOCK_MONOTONIC, &next);
  long step = (long)(1e9 / rate);
  char *args[] = {"/bin/true", NULL}; char *env[] = {NULL};
  while (now() < end) {
    pid_t p = fork();
    if (p == 0) { execve("/bin/true", args, env); _exit(127); }
    if (p < 0) (*failed)++; else { int st; waitpid(p, &st, 0); if (st != 0) (*failed)++; (*count)++; }
    next.tv_nsec += step; while (next.tv_nsec >= 1000000000L) { next.tv_nsec -= 1000000000L; next.tv_sec++; }
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
  }
}
int main(int argc, char **argv) {
  if (argc < 4) return 2;
  const char *mode = argv[1]; double rate = atof(argv[2]); double secs = atof(argv[3]);
  long count = 0, failed = 0; double start = now(), end = start + secs;
  if (strcmp(mode, "exec") == 0) {
    exec_loop(rate, end, &count, &failed);
  } else if (strcmp(mode, "serve") == 0) {
    /* windows on demand: each line on stdin is a window's length in seconds (secs unused);
       prints that window's figures as one line */
    char line[64]; setvbuf(stdout, NULL, _IOLBF, 0);
    while (fgets(line, sizeof line, stdin)) {
      long c = 0, f = 0, cpu0 = cpu_us(); double t0 = now();
      exec_loop(rate, t0 + atof(line), &c, &f);
      printf("{\"count\":%ld,\"failed\":%ld,\"seconds\":%.4f,\"cpuUs\":%ld}\n", c, f, now() - t0, cpu_us() - cpu0);
    }
    return 0;
  } else if (strcmp(mode, "run") == 0) {
    /* run argv[4..] once (rate and secs unused) */
    pid_t p = fork();
    if (p == 0) { execvp(argv[4], argv + 4); _exit(127); }
    int st; waitpid(p, &st, 0); if (st != 0) failed++; count++;
  } else {
    int port = atoi(argv[4]); struct sockaddr_in a; memset(&a, 0, sizeof a);
    a.sin_family = AF_INET; a.sin_port = htons(port); a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    /* rate 0: as fast as it goes; else batches of 32 on an absolute schedule */
    struct timespec next; clock_gettime(CLOCK_MONOTONIC, &next);
    long step = rate > 0 ? (long)(32e9 / rate) : 0;
    while (now() < end) {
      for (int i = 0; i < (rate > 0 ? 32 : 256); i++) { int s = socket(AF_INET, SOCK_STREAM, 0); if (connect(s, (struct sockaddr *)&a, sizeof a) != 0) failed++; close(s); count++; }
      if (step > 0) { next.tv_nsec += step; while (next.tv_nsec >= 1000000000L) { next.tv_nsec -= 1000000000L; next.tv_sec++; } clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL); }
    }
  }
  printf("{\"count\":%ld,\"failed\":%ld,\"seconds\":%.4f,\"cpuUs\":%ld}\n", count, failed, now() - start, cpu_us());
  return 0;
}
`;

export interface LoadResult {
  count: number;
  failed: number;
  seconds: number;
  cpuUs: number;
}

export function sh(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8' }).trim();
  } catch {
    return 'unavailable';
  }
}

export function runLoad(bin: string, args: string[]): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const c = spawn(bin, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    c.stdout.on('data', (d) => {
      out += String(d);
    });
    c.once('close', (code) =>
      code === 0 ? resolve(JSON.parse(out) as LoadResult) : reject(new Error(`loadgen exit ${code}`)),
    );
  });
}

/** utime+stime of one process in ticks (threads included), 0 if gone */
export function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return 0;
  }
}

export function pidByComm(comm: string): number | undefined {
  for (const ent of readdirSync('/proc')) {
    if (!/^\d+$/.test(ent)) continue;
    try {
      if (readFileSync(`/proc/${ent}/comm`, 'utf8').trim() === comm) return Number(ent);
    } catch {
      // gone
    }
  }
  return undefined;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2;
}

export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : Number.NaN;
}

export interface Measurement {
  load: LoadResult;
  /** perExecUs of every window of the cell, in the order run (bestOf keeps the least) */
  windows?: number[];
  /** the agent's own net CPU per exec done, µs, of every window of the cell (bestOf) */
  agentWindows?: number[];
  /** run time of the agent's BPF programs in the window, ns (eqld cells, bpf_stats on) */
  bpfNs?: number;
  /** bpfNs per exec done, µs, of every window of the cell (bestOf) */
  bpfWindows?: number[];
  /** agent CPU in the window, as measured */
  agentCpuS: number;
  /** agent CPU minus what the agent spent on the rest of the machine's activity (its idle rate) */
  agentNetS: number;
  /** (load CPU + net agent CPU) as % of one core over the window */
  totalPct: number;
  /** (load CPU + net agent CPU) per exec done, µs: comparable when a busy machine missed the rate */
  perExecUs: number;
  /** CPU of everything else on the machine during the window, % of one core */
  othersPct: number;
  /** kernel events eqld reported lost during the window (eqld cells only) */
  lost?: number;
  /** agent CPU seconds by process name (node, bpftrace, rsyslogd, auditd, kauditd) */
  byComm: Record<string, number>;
}

/** busy jiffies of all CPUs (/proc/stat) */
export function machineBusyTicks(): number {
  const f = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '')
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return f.slice(0, 8).reduce((a, b) => a + b, 0) - (f[3] ?? 0) - (f[4] ?? 0);
}

export function ticksOf(pids: number[]): Map<number, number> {
  return new Map(pids.map((p) => [p, cpuTicks(p)]));
}

export function commOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '?';
  }
}

export function ticksSince(
  before: Map<number, number>,
  pids: number[],
  byComm?: Record<string, number>,
): number {
  let t = 0;
  for (const p of new Set([...before.keys(), ...pids])) {
    const d = cpuTicks(p) - (before.get(p) ?? 0);
    t += d;
    if (byComm) {
      const c = commOf(p);
      byComm[c] = (byComm[c] ?? 0) + d / TICK_HZ;
    }
  }
  return t;
}

/** The agent's CPU with no load generator, % of one core: its cost of the machine's other
 *  activity (every agent here traces the whole host, other people's work included). */
export async function agentIdlePct(agentPids: () => number[], seconds = 3): Promise<number> {
  // the least of REPEATS windows: other work on the machine only ever adds to it
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < REPEATS; i++) {
    const before = ticksOf(agentPids());
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    best = Math.min(best, (ticksSince(before, agentPids()) / TICK_HZ / ((Date.now() - t0) / 1000)) * 100);
  }
  return best;
}

/** REPEATS windows of one cell; keeps the one with the least CPU per exec (interference from
 *  other work only adds CPU, so the minimum is the closest to the cell's own cost). */
export async function bestOf(run: () => Promise<Measurement>, label: string): Promise<Measurement> {
  let best: Measurement | undefined;
  const windows: number[] = [];
  const agentWindows: number[] = [];
  const bpfWindows: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const m = await run();
    process.stdout.write(`${label} #${i + 1}: ${JSON.stringify(m)}\n`);
    windows.push(m.perExecUs);
    const execs = Math.max(m.load.count, 1);
    agentWindows.push((m.agentNetS * 1e6) / execs);
    if (m.bpfNs !== undefined) bpfWindows.push(m.bpfNs / 1e3 / execs);
    if (best === undefined || m.perExecUs < best.perExecUs) best = m;
  }
  return {
    ...(best as Measurement),
    windows,
    agentWindows,
    ...(bpfWindows.length > 0 ? { bpfWindows } : {}),
  };
}

/** Runs the exec load at `rate` and charges the CPU of `agentPids()` (sampled at both ends). */
export async function measure(
  bin: string,
  rate: number,
  agentPids: () => number[],
  idlePct = 0,
  lostProbe?: () => Promise<number>,
  bpfProbe?: () => number,
): Promise<Measurement> {
  const lost0 = lostProbe ? await lostProbe() : undefined;
  const bpf0 = bpfProbe?.();
  const before = ticksOf(agentPids());
  const m0 = machineBusyTicks();
  const load = await runLoad(bin, ['exec', String(rate), String(WINDOW_S)]);
  const byComm: Record<string, number> = {};
  const agentCpuS = ticksSince(before, agentPids(), byComm) / TICK_HZ;
  const bpfNs = bpfProbe && bpf0 !== undefined ? bpfProbe() - bpf0 : undefined;
  const machineS = (machineBusyTicks() - m0) / TICK_HZ;
  const agentNetS = Math.max(0, agentCpuS - (idlePct / 100) * load.seconds);
  const totalS = load.cpuUs / 1e6 + agentNetS;
  const lost = lostProbe && lost0 !== undefined ? (await lostProbe()) - lost0 : undefined;
  return {
    ...(lost === undefined ? {} : { lost }),
    ...(bpfNs === undefined ? {} : { bpfNs }),
    byComm,
    load,
    agentCpuS,
    agentNetS,
    totalPct: (totalS / load.seconds) * 100,
    perExecUs: (totalS * 1e6) / Math.max(load.count, 1),
    othersPct: (Math.max(0, machineS - load.cpuUs / 1e6 - agentCpuS) / load.seconds) * 100,
  };
}

/** the latest periodic health line (`{"health": {...}}`, src/agent/health.ts) */
export function lastHealth(eqld: EqldProcess): Record<string, unknown> | undefined {
  return eqld
    .logs()
    .map((l) => l.health as Record<string, unknown> | undefined)
    .filter((h) => typeof h?.lostKernelEvents === 'number')
    .at(-1);
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

/** The alerts file read as it grows: each call parses only the lines appended since the last
 *  one. (Re-reading and parsing the whole file every 2 ms, as the benches first did, cost the
 *  bench process more CPU the more alerts the file held, and that CPU was taken from the agent
 *  being measured on a 2-vCPU machine.) */
export class AlertTail {
  private offset = 0;
  private rest = '';
  private readonly seen: AlertDoc[] = [];
  private watcher: FSWatcher | undefined;
  private wakeUp: (() => void) | undefined;
  /** the file changed since alerts() last read it */
  private dirty = false;

  /** `fromEnd`: only alerts written after now (the file may hold a whole run's alerts: reading
   *  them all at a sample's first poll delayed that sample by up to ~0.5 s) */
  constructor(
    private readonly path: string,
    fromEnd = false,
  ) {
    if (fromEnd) {
      try {
        this.offset = statSync(path).size;
      } catch {
        this.offset = 0;
      }
    }
  }

  /**
   * Resolves when the file changes (inotify, through fs.watch) or after `timeoutMs`. A reader
   * that polled every millisecond woke ~1,000 times a second for the whole of each sample, on
   * the same two vCPUs as the agent it measured (a timer wake-up costs ~0.2 ms of CPU on the
   * test VM); with the watch it wakes when eqld writes. The timeout covers a missed event and a
   * file that did not exist yet.
   */
  changed(timeoutMs: number): Promise<void> {
    this.watch();
    if (this.dirty || this.watcher === undefined) {
      // changed since the last read, or not watchable yet (no file): look again at once / soon
      this.dirty = false;
      return new Promise((resolve) => setTimeout(resolve, this.watcher === undefined ? 1 : 0));
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wakeUp = undefined;
        resolve();
      }, timeoutMs);
      this.wakeUp = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
    });
  }

  /** watches the file from the first read on, so that no write after a read goes unnoticed */
  private watch(): void {
    if (this.watcher !== undefined) return;
    try {
      this.watcher = watch(this.path, { persistent: false }, () => {
        this.dirty = true;
        this.wakeUp?.();
      });
    } catch {
      // not there yet: changed() polls every millisecond until it is
    }
  }

  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }

  /** every alert written so far */
  alerts(): readonly AlertDoc[] {
    this.watch();
    this.dirty = false;
    let size: number;
    try {
      size = statSync(this.path).size;
    } catch {
      return this.seen;
    }
    if (size <= this.offset) return this.seen;
    const fd = openSync(this.path, 'r');
    try {
      const buf = Buffer.alloc(size - this.offset);
      const n = readSync(fd, buf, 0, buf.length, this.offset);
      this.offset += n;
      const lines = (this.rest + buf.toString('utf8', 0, n)).split('\n');
      this.rest = lines.pop() ?? '';
      for (const l of lines) if (l.trim() !== '') this.seen.push(JSON.parse(l) as AlertDoc);
    } finally {
      closeSync(fd);
    }
    return this.seen;
  }
}

/** One root-rule attack from `ns` to `port`: the latency from its last kernel event to its alert
 *  in the alerts file (read by `tail` whenever the file changes), or undefined when the alert
 *  did not come within 5 s. */
export async function rootRuleSample(
  ns: Netns,
  tail: AlertTail,
  port: number,
): Promise<{ pid: number; latencyMs: number | undefined }> {
  // its alert comes after the attack: only alerts read from now on are looked at, each once
  // (scanning every alert seen at every 1-ms poll cost the harness CPU that grew over a run)
  let from = tail.alerts().length;
  const r = await connectThenSetsid(ns, DEFAULT_UNROUTED_ADDRESS, port, { mode: 'same' });
  const deadline = Date.now() + 5_000;
  for (;;) {
    const seen = tail.alerts();
    let hit: AlertDoc | undefined;
    for (; from < seen.length && hit === undefined; from++) {
      const a = seen[from] as AlertDoc;
      if (ruleNameOf(a) !== ROOT_RULE) continue;
      const d = alertDocument(a);
      if (get(d, 'process.pid') === r.connectPid) hit = d;
    }
    if (hit)
      return {
        pid: r.connectPid,
        latencyMs: Date.now() - Date.parse(String(get(hit, 'kibana.alert.original_time'))),
      };
    if (Date.now() > deadline) return { pid: r.connectPid, latencyMs: undefined };
    await tail.changed(50);
  }
}

/** Root-rule attacks one after another; a sample whose alert does not come within 5 s is
 *  counted as missed (with the agent's counters kept for the report), not retried. */
export async function latencySamples(
  ns: Netns,
  alertsFile: string,
  n: number,
  diag: () => unknown,
): Promise<{ latencies: number[]; missed: string[] }> {
  const latencies: number[] = [];
  const missed: string[] = [];
  const tail = new AlertTail(alertsFile);
  for (let i = 0; i < n; i++) {
    const s = await rootRuleSample(ns, tail, 40_000 + i);
    if (s.latencyMs !== undefined) latencies.push(s.latencyMs);
    else missed.push(`pid ${s.pid} (sample ${i}): ${JSON.stringify(diag())}`);
    await new Promise((res) => setTimeout(res, 100));
  }
  tail.close();
  return { latencies: latencies.sort((a, b) => a - b), missed };
}

/** The `eqld run` arguments every overhead bench uses: bundled rules, alerts to
 *  `<dir>/alerts.ndjson` (and to the given syslog socket, or none), state in `<dir>/state`, a
 *  health line every second (or every `healthIntervalS`), and the rate cap raised (the default,
 *  burst 20 and 60/min, would hold back the latency samples). Creates the state directory and
 *  the tuning file. */
export function benchEqldArgs(
  dir: string,
  syslogSocket: string | undefined,
  extraRules: readonly string[] = [],
  healthIntervalS = 1,
): string[] {
  mkdirSync(join(dir, 'state'));
  writeFileSync(
    join(dir, 'tuning.json'),
    JSON.stringify({ defaults: { rateCap: { burst: 1000, perMinute: 100000 } } }),
  );
  return [
    '--config',
    '/dev/null',
    '--tuning',
    join(dir, 'tuning.json'),
    ...(syslogSocket === undefined ? ['--no-syslog'] : ['--syslog-socket', syslogSocket]),
    '--alerts-file',
    join(dir, 'alerts.ndjson'),
    '--state-dir',
    join(dir, 'state'),
    '--health-interval',
    String(healthIntervalS),
    ...extraRules.flatMap((r) => ['--rules', r]),
  ];
}

/** `eqld run` as the overhead benches run it (benchEqldArgs: the bundled rules and `extraRules`;
 *  then `more.args`), alerts also to a private rsyslogd. */
export async function startBenchEqld(
  dir: string,
  extraRules: readonly string[] = [],
  more: { args?: readonly string[]; healthIntervalS?: number } = {},
): Promise<{ eqld: EqldProcess; rsyslog: Rsyslog }> {
  const rsyslog = await startRsyslog({ dir: join(dir, 'rsyslog'), localSocket: true });
  try {
    const eqld = await startEqld([
      ...benchEqldArgs(dir, rsyslog.socketPath as string, extraRules, more.healthIntervalS),
      ...(more.args ?? []),
    ]);
    return { eqld, rsyslog };
  } catch (err) {
    await rsyslog.stop();
    throw err;
  }
}

/** six of Elastic's Linux file rules (creation, rename and deletion steps), loaded beside the
 *  bundled rules: with the bundled rules alone no rule takes file events and eqld builds no file
 *  document (docs/rules.md, "Events no rule takes"), which would not measure file events on */
export const FILE_RULES = new URL('../test/fixtures/elastic-file-rules/', import.meta.url).pathname;

export const fmtPct = (n: number) => `${n.toFixed(1)} %`;
