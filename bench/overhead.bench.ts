// The overhead users feel, side by side in one run (the way Sysmon for Linux publishes it):
// /bin/true exec'd at fixed rates by a tiny C load generator, and the extra CPU against no agent
// — the load generator's own CPU (where BPF and audit hooks are charged) plus the agent's
// processes — for `eqld run` (node + bpftrace + the syslog daemon) and for auditd with rules on
// the syscalls eqld traces (execve, connect, setsid, accept, the setuid/setgid families, setpgid,
// chdir, module loads: auditd + kauditd). Also the loopback connect-storm rate with and
// without eqld, eqld's RSS, lost kernel events, and p50/p99 detection latency of the root rule.
// Writes docs/benchmarks/overhead.md. Traffic: loopback only, plus connects to a public-looking
// address from inside a test-created namespace with no route (ENETUNREACH at once).
import { execFileSync, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import {
  alertDocument,
  connectThenSetsid,
  get,
  ROOT_RULE,
  readAlertsFile,
  ruleNameOf,
} from '../test/e2e/attack-kit.js';
import { lostAfter } from '../test/e2e/loss-aware.js';
import { type EqldProcess, eqldNodeFlags, processTree, startEqld } from '../test/support/eqld-process.js';
import { createNetns, DEFAULT_UNROUTED_ADDRESS, type Netns } from '../test/support/netns.js';
import { type Rsyslog, startRsyslog } from '../test/support/rsyslog.js';
import { connectStorms, stormOnly, writeStormDoc } from './connect-storm.js';

const RATES = [100, 1000] as const;
const WINDOW_S = Number(process.env.EQLD_BENCH_WINDOW_S ?? 5);
/** each cell is measured this many times and the least-disturbed window kept (see the report) */
const REPEATS = Number(process.env.EQLD_BENCH_REPEATS ?? 5);
const STORM_S = 5;
const WARMUP_S = Number(process.env.EQLD_BENCH_WARMUP_S ?? 15);
const LATENCY_SAMPLES = 40;
const TICK_HZ = 100; // CLK_TCK on Linux

// fork+execve("/bin/true") on an absolute schedule, or a loopback connect storm; reports its own
// and its children's CPU (rusage), so hook costs charged to the traced tasks are counted.
const LOADGEN_C = String.raw`
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
int main(int argc, char **argv) {
  if (argc < 4) return 2;
  const char *mode = argv[1]; double rate = atof(argv[2]); double secs = atof(argv[3]);
  long count = 0, failed = 0; double start = now(), end = start + secs;
  if (strcmp(mode, "exec") == 0) {
    struct timespec next; clock_gettime(CLOCK_MONOTONIC, &next);
    long step = (long)(1e9 / rate);
    char *args[] = {"/bin/true", NULL}; char *env[] = {NULL};
    while (now() < end) {
      pid_t p = fork();
      if (p == 0) { execve("/bin/true", args, env); _exit(127); }
      if (p < 0) failed++; else { int st; waitpid(p, &st, 0); if (st != 0) failed++; count++; }
      next.tv_nsec += step; while (next.tv_nsec >= 1000000000L) { next.tv_nsec -= 1000000000L; next.tv_sec++; }
      clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
    }
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
  double el = now() - start; struct rusage self, ch; getrusage(RUSAGE_SELF, &self); getrusage(RUSAGE_CHILDREN, &ch);
  printf("{\"count\":%ld,\"failed\":%ld,\"seconds\":%.4f,\"cpuUs\":%ld}\n", count, failed, el,
         us(self.ru_utime) + us(self.ru_stime) + us(ch.ru_utime) + us(ch.ru_stime));
  return 0;
}
`;

interface LoadResult {
  count: number;
  failed: number;
  seconds: number;
  cpuUs: number;
}

function sh(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8' }).trim();
  } catch {
    return 'unavailable';
  }
}

function runLoad(bin: string, args: string[]): Promise<LoadResult> {
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
function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return 0;
  }
}

function pidByComm(comm: string): number | undefined {
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

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2;
}

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : Number.NaN;
}

interface Measurement {
  load: LoadResult;
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
function machineBusyTicks(): number {
  const f = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '')
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return f.slice(0, 8).reduce((a, b) => a + b, 0) - (f[3] ?? 0) - (f[4] ?? 0);
}

function ticksOf(pids: number[]): Map<number, number> {
  return new Map(pids.map((p) => [p, cpuTicks(p)]));
}

function commOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '?';
  }
}

function ticksSince(before: Map<number, number>, pids: number[], byComm?: Record<string, number>): number {
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
async function agentIdlePct(agentPids: () => number[], seconds = 3): Promise<number> {
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
async function bestOf(run: () => Promise<Measurement>, label: string): Promise<Measurement> {
  let best: Measurement | undefined;
  for (let i = 0; i < REPEATS; i++) {
    const m = await run();
    process.stdout.write(`${label} #${i + 1}: ${JSON.stringify(m)}\n`);
    if (best === undefined || m.perExecUs < best.perExecUs) best = m;
  }
  return best as Measurement;
}

/** Runs the exec load at `rate` and charges the CPU of `agentPids()` (sampled at both ends). */
async function measure(
  bin: string,
  rate: number,
  agentPids: () => number[],
  idlePct = 0,
  lostProbe?: () => Promise<number>,
): Promise<Measurement> {
  const lost0 = lostProbe ? await lostProbe() : undefined;
  const before = ticksOf(agentPids());
  const m0 = machineBusyTicks();
  const load = await runLoad(bin, ['exec', String(rate), String(WINDOW_S)]);
  const byComm: Record<string, number> = {};
  const agentCpuS = ticksSince(before, agentPids(), byComm) / TICK_HZ;
  const machineS = (machineBusyTicks() - m0) / TICK_HZ;
  const agentNetS = Math.max(0, agentCpuS - (idlePct / 100) * load.seconds);
  const totalS = load.cpuUs / 1e6 + agentNetS;
  const lost = lostProbe && lost0 !== undefined ? (await lostProbe()) - lost0 : undefined;
  return {
    ...(lost === undefined ? {} : { lost }),
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
function lastHealth(eqld: EqldProcess): Record<string, unknown> | undefined {
  return eqld
    .logs()
    .map((l) => l.health as Record<string, unknown> | undefined)
    .filter((h) => typeof h?.lostKernelEvents === 'number')
    .at(-1);
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

/** Root-rule attacks one after another; a sample whose alert does not come within 5 s is
 *  counted as missed (with the agent's counters kept for the report), not retried. */
async function latencySamples(
  ns: Netns,
  alertsFile: string,
  n: number,
  diag: () => unknown,
): Promise<{ latencies: number[]; missed: string[] }> {
  const latencies: number[] = [];
  const missed: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await connectThenSetsid(ns, DEFAULT_UNROUTED_ADDRESS, 40_000 + i, { mode: 'same' });
    const deadline = Date.now() + 5_000;
    for (;;) {
      const hit = readAlertsFile(alertsFile)
        .filter((a) => ruleNameOf(a) === ROOT_RULE)
        .map(alertDocument)
        .find((d) => get(d, 'process.pid') === r.connectPid);
      if (hit) {
        latencies.push(Date.now() - Date.parse(String(get(hit, 'kibana.alert.original_time'))));
        break;
      }
      if (Date.now() > deadline) {
        missed.push(`pid ${r.connectPid} (sample ${i}): ${JSON.stringify(diag())}`);
        break;
      }
      await new Promise((res) => setTimeout(res, 2));
    }
    await new Promise((res) => setTimeout(res, 100));
  }
  return { latencies: latencies.sort((a, b) => a - b), missed };
}

/** auditd is the side-by-side baseline: installed from Debian's archive when missing (its
 *  package does not start a daemon where policy-rc.d forbids it; the bench starts its own). */
function ensureAuditd(): void {
  if (existsSync('/sbin/auditd')) return;
  process.stdout.write('auditd is not installed: apt-get install auditd\n');
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'auditd'], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

async function withAuditd<T>(dir: string, fn: (pids: () => number[]) => Promise<T>): Promise<T> {
  ensureAuditd();
  const conf = join(dir, 'auditd.conf');
  mkdirSync(join(dir, 'plugins'), { recursive: true });
  writeFileSync(
    conf,
    [
      `log_file = ${join(dir, 'audit.log')}`,
      'log_format = ENRICHED',
      'flush = INCREMENTAL_ASYNC',
      'freq = 50',
      'max_log_file = 512',
      'max_log_file_action = IGNORE',
      'space_left = 75',
      'space_left_action = IGNORE',
      'admin_space_left = 50',
      'admin_space_left_action = IGNORE',
      'disk_full_action = IGNORE',
      'disk_error_action = IGNORE',
      'local_events = yes',
      'write_logs = yes',
      `plugin_dir = ${join(dir, 'plugins')}`,
      'q_depth = 2000',
      '',
    ].join('\n'),
    { mode: 0o640 },
  );
  const wasEnabled = /enabled (\d)/.exec(sh('auditctl', ['-s']))?.[1] ?? '0';
  const child = spawn('/sbin/auditd', ['-n', '-c', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  // what eqld's process program traces: exec, connect, setsid, and since issue 12 accepts, the
  // setuid and setgid families, setpgid, chdir/fchdir and module loads
  const rule = [
    'always,exit',
    '-F',
    'arch=b64',
    ...AUDIT_SYSCALLS.flatMap((s) => ['-S', s]),
    '-k',
    'eqld-bench',
  ];
  try {
    const deadline = Date.now() + 10_000;
    while (!new RegExp(`pid ${child.pid}\\b`).test(sh('auditctl', ['-s']))) {
      if (Date.now() > deadline) throw new Error('auditd did not register with the kernel');
      await new Promise((r) => setTimeout(r, 100));
    }
    execFileSync('auditctl', ['-a', ...rule]);
    execFileSync('auditctl', ['-e', '1']);
    const kauditd = pidByComm('kauditd');
    return await fn(() => [child.pid as number, ...(kauditd ? [kauditd] : [])]);
  } finally {
    sh('auditctl', ['-d', ...rule]);
    sh('auditctl', ['-e', wasEnabled]);
    if (child.pid) process.kill(child.pid, 'SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
  }
}

const AUDIT_SYSCALLS = [
  'execve',
  'connect',
  'setsid',
  'accept',
  'accept4',
  'setuid',
  'setreuid',
  'setresuid',
  'setfsuid',
  'setgid',
  'setregid',
  'setresgid',
  'setfsgid',
  'setpgid',
  'chdir',
  'fchdir',
  'init_module',
  'finit_module',
];

const fmtPct = (n: number) => `${n.toFixed(1)} %`;

async function main(dir: string): Promise<void> {
  const bin = join(dir, 'loadgen');
  writeFileSync(`${bin}.c`, LOADGEN_C);
  execFileSync('gcc', ['-O2', '-o', bin, `${bin}.c`]);
  const closedPort = 9; // discard: nothing listens on loopback:9 here (checked below)
  const lines: string[] = [];
  const log = (s: string) => {
    process.stdout.write(`${s}\n`);
  };

  // 1. no agent
  const base: Record<number, Measurement> = {};
  for (const rate of RATES) {
    base[rate] = await bestOf(() => measure(bin, rate, () => []), `no agent @${rate}/s`);
  }
  const stormBase = await runLoad(bin, ['connect', '0', String(STORM_S), String(closedPort)]);
  if (stormBase.failed !== stormBase.count) throw new Error(`something listens on 127.0.0.1:${closedPort}`);
  log(`connect storm, no agent: ${Math.round(stormBase.count / stormBase.seconds)}/s`);

  // 2. eqld run (node + bpftrace + a private rsyslogd receiving its alerts)
  let rsyslog: Rsyslog | undefined;
  let eqld: EqldProcess | undefined;
  let ns: Netns | undefined;
  const withEqld: Record<number, Measurement> = {};
  const idle = { eqld: Number.NaN, auditd: Number.NaN };
  let stormEqld: LoadResult | undefined;
  let lostDuringExec = Number.NaN;
  let lostDuringStorm = Number.NaN;
  let rssNode = Number.NaN;
  const rssSamples: number[] = [];
  let rssBpftrace = Number.NaN;
  let latencies: number[] = [];
  let missedSamples: string[] = [];
  try {
    rsyslog = await startRsyslog({ dir: join(dir, 'rsyslog'), localSocket: true });
    mkdirSync(join(dir, 'state'));
    writeFileSync(join(dir, 'eqld.toml'), '');
    // the default rate cap (burst 20, 60/min) would hold back the latency samples
    writeFileSync(
      join(dir, 'tuning.json'),
      JSON.stringify({ defaults: { rateCap: { burst: 1000, perMinute: 100000 } } }),
    );
    eqld = await startEqld([
      '--config',
      join(dir, 'eqld.toml'),
      '--tuning',
      join(dir, 'tuning.json'),
      '--syslog-socket',
      rsyslog.socketPath as string,
      '--alerts-file',
      join(dir, 'alerts.ndjson'),
      '--state-dir',
      join(dir, 'state'),
      '--health-interval',
      '1',
    ]);
    const e = eqld;
    const rs = rsyslog;
    const agentPids = () => [...processTree(e.pid), rs.pid];
    await new Promise((r) => setTimeout(r, 3000)); // past the start-up seeding and compile
    // steady state, as an agent that has run for a while: V8 optimizes the event path only after
    // it has run hot (measured: TurboFan still compiling took ~30 % of node's CPU in the first
    // seconds of load), so run the load once before any window is measured
    log(`eqld warm-up: ${WARMUP_S} s at 1000 execs/s`);
    await runLoad(bin, ['exec', '1000', String(WARMUP_S)]);
    await new Promise((r) => setTimeout(r, 1000));
    const lost0 = Number(lastHealth(e)?.lostKernelEvents ?? 0);
    idle.eqld = await agentIdlePct(agentPids);
    log(`eqld idle: ${idle.eqld.toFixed(1)} % of a core`);
    const probe = () => lostAfter(e, Date.now());
    // node's RSS follows V8's garbage collection cycle (the old generation fills, then a major
    // GC returns it): sampled every second over all the measured windows, not once
    const rssSampler = setInterval(() => rssSamples.push(rssBytes(e.pid)), 1000);
    for (const rate of RATES) {
      withEqld[rate] = await bestOf(() => measure(bin, rate, agentPids, idle.eqld, probe), `eqld @${rate}/s`);
    }
    await new Promise((r) => setTimeout(r, 2500));
    clearInterval(rssSampler);
    const lost1 = Number(lastHealth(e)?.lostKernelEvents ?? Number.NaN);
    lostDuringExec = lost1 - lost0;
    rssNode = Math.max(...rssSamples);
    rssBpftrace = processTree(e.pid)
      .filter((p) => p !== e.pid)
      .reduce(
        (s, p) => s + (readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'bpftrace' ? rssBytes(p) : 0),
        0,
      );
    ns = await createNetns('bench');
    const lat = await latencySamples(ns, join(dir, 'alerts.ndjson'), LATENCY_SAMPLES, () => {
      const h = lastHealth(e);
      return { lostKernelEvents: h?.lostKernelEvents, gaps: h?.gaps };
    });
    latencies = lat.latencies;
    missedSamples = lat.missed;
    for (const m of missedSamples) log(`latency sample missed: ${m}`);
    log(`latency ms: ${latencies.join(' ')}`);
    stormEqld = await runLoad(bin, ['connect', '0', String(STORM_S), String(closedPort)]);
    await new Promise((r) => setTimeout(r, 2500));
    lostDuringStorm = Number(lastHealth(e)?.lostKernelEvents ?? Number.NaN) - lost1;
    log(`connect storm, eqld: ${Math.round(stormEqld.count / stormEqld.seconds)}/s, lost ${lostDuringStorm}`);
    writeStormDoc(
      await connectStorms((a) => runLoad(bin, a), e, ns, join(dir, 'alerts.ndjson'), closedPort, log),
    );
  } finally {
    await eqld?.stop();
    await rsyslog?.stop();
    await ns?.destroy();
  }

  // 3. auditd with rules on the syscalls eqld traces
  const withAudit: Record<number, Measurement> = {};
  let auditLogBytes = 0;
  await withAuditd(join(dir, 'audit'), async (pids) => {
    idle.auditd = await agentIdlePct(pids);
    log(`auditd idle: ${idle.auditd.toFixed(1)} % of a core`);
    for (const rate of RATES) {
      withAudit[rate] = await bestOf(() => measure(bin, rate, pids, idle.auditd), `auditd @${rate}/s`);
    }
  });
  const auditLog = join(dir, 'audit', 'audit.log');
  if (existsSync(auditLog)) auditLogBytes = statSync(auditLog).size;

  // report
  const extra = (m: Measurement, rate: number) => m.totalPct - (base[rate] as Measurement).totalPct;
  // extra CPU per exec times the nominal rate: the fair comparison when a loaded machine could not
  // hold the rate in every cell (the execs-done column shows when that happened)
  const extraNominal = (m: Measurement, rate: number) =>
    (((m.perExecUs - (base[rate] as Measurement).perExecUs) * rate) / 1e6) * 100;
  // the same without subtracting the agent's idle CPU: what the agent costs in all, its own
  // constant work (timers, polling) included, which the net figure leaves out
  const grossPerExecUs = (m: Measurement) =>
    ((m.load.cpuUs / 1e6 + m.agentCpuS) * 1e6) / Math.max(m.load.count, 1);
  const extraGross = (m: Measurement, rate: number) =>
    (((grossPerExecUs(m) - grossPerExecUs(base[rate] as Measurement)) * rate) / 1e6) * 100;
  const p50 = percentile(latencies, 50);
  const p99 = percentile(latencies, 99);
  const met = (ok: boolean) => (ok ? 'met' : '**missed**');
  lines.push(
    '## Overhead: eqld run vs auditd vs no agent',
    '',
    `- machine: kernel ${sh('uname', ['-r'])}, ${cpus()[0]?.model ?? '?'} x ${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}, ${sh('bpftrace', ['--version'])}, ${sh('auditctl', ['-v'])}`,
    `- date: ${new Date().toISOString()}`,
    `- command: \`npm run bench -- overhead\` (as root; \`EQLD_BENCH_WINDOW_S\` sets the window, default 5 s; \`EQLD_BENCH_REPEATS\` the windows per cell, default 5; eqld is warmed up first with ${WARMUP_S} s of 1,000 execs/s, \`EQLD_BENCH_WARMUP_S\`, so that the windows see the optimized event path of an agent that has been running)`,
    `- load: a C program fork+execs /bin/true on an absolute schedule in ${REPEATS} windows of ${WINDOW_S} s per cell, keeping the window with the least CPU per exec (other work on the shared machine only ever adds CPU); its CPU is rusage self+children (BPF and audit hooks run in the traced tasks and are charged there). Agent CPU: utime+stime from /proc of eqld's node process and its children (bpftrace) plus the private rsyslogd receiving eqld's alerts; for auditd, the auditd process plus the kauditd kernel thread. Both agents trace the whole host, so the machine's other activity costs them CPU too: each agent's CPU with no load generator ("idle", the least of ${REPEATS} windows of 3 s) is measured first and subtracted, pro rata, from its CPU in each cell ("net"). Extra CPU = (load + net agent CPU) − the same with no agent, in % of one core; "per exec × rate" divides by the execs actually done and multiplies by the nominal rate, which is the fair figure when a busy machine could not hold the rate.`,
    `- auditd rules: \`-a always,exit -F arch=b64 ${AUDIT_SYSCALLS.map((s) => `-S ${s}`).join(' ')}\` (the syscalls eqld's process program traces), log to a temp file (ENRICHED, INCREMENTAL_ASYNC); removed and auditd stopped afterwards.`,
    `- idle agent CPU (machine's other activity): eqld ${fmtPct(idle.eqld)}, auditd ${fmtPct(idle.auditd)} of a core. Other engineers' builds, tests and benchmarks shared the 2 cores during the run ("others" column); figures carry that noise.`,
    '',
    '| rate | agent | execs done | load CPU | agent CPU (net) | total | extra vs none | CPU per exec | extra per exec × rate | others |',
    '|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const rate of RATES) {
    for (const [name, m] of [
      ['none', base[rate]],
      ['eqld run', withEqld[rate]],
      ['auditd', withAudit[rate]],
    ] as const) {
      if (!m) continue;
      lines.push(
        `| ${rate}/s | ${name} | ${m.load.count} | ${fmtPct((m.load.cpuUs / 1e6 / m.load.seconds) * 100)} | ${fmtPct((m.agentCpuS / m.load.seconds) * 100)} (${fmtPct((m.agentNetS / m.load.seconds) * 100)}) | ${fmtPct(m.totalPct)} | ${name === 'none' ? '—' : fmtPct(extra(m, rate))} | ${Math.round(m.perExecUs)} µs | ${name === 'none' ? '—' : fmtPct(extraNominal(m, rate))} | ${fmtPct(m.othersPct)} |`,
      );
    }
  }
  const stormRate = (r: LoadResult | undefined) => (r ? Math.round(r.count / r.seconds) : Number.NaN);
  lines.push(
    '',
    '| figure | value |',
    '|---|---|',
    ...RATES.flatMap((rate) =>
      [
        ['eqld run', withEqld[rate]],
        ['auditd', withAudit[rate]],
      ].map(
        ([name, m]) =>
          `| ${name} CPU by process at ${rate}/s (kept window) | ${Object.entries(
            (m as Measurement | undefined)?.byComm ?? {},
          )
            .map(([c, sec]) => `${c} ${fmtPct((sec / ((m as Measurement).load.seconds || 1)) * 100)}`)
            .join(', ')} |`,
      ),
    ),
    `| connect storm (loopback, closed port, 1 worker), no agent | ${stormRate(stormBase)}/s |`,
    `| connect storm with eqld | ${stormRate(stormEqld)}/s |`,
    `| lost kernel events in the kept eqld windows (100/s, 1,000/s) | ${withEqld[100]?.lost}, ${withEqld[1000]?.lost} |`,
    `| lost kernel events over all eqld exec windows (others' storms included) | ${lostDuringExec} |`,
    `| lost kernel events during the connect storm | ${lostDuringStorm} |`,
    `| eqld RSS (node) over the measured windows, sampled each second: median / max | ${(median(rssSamples) / 2 ** 20).toFixed(1)} / ${(rssNode / 2 ** 20).toFixed(1)} MiB (${rssSamples.length} samples; node runs with its shebang's flags: ${eqldNodeFlags().join(' ') || 'none'}) |`,
    `| bpftrace RSS | ${(rssBpftrace / 2 ** 20).toFixed(1)} MiB |`,
    `| root-rule attacks whose alert did not arrive within 5 s (latency run) | ${missedSamples.length} of ${LATENCY_SAMPLES} |`,
    `| detection latency p50 / p99 (${latencies.length} root-rule alerts, one every ~0.1 s, idle load; last event → alerts file, 2 ms polling; rate cap raised with --tuning) | ${p50} ms / ${p99} ms |`,
    `| audit log written by auditd in the run | ${(auditLogBytes / 2 ** 20).toFixed(1)} MiB |`,
    '',
    'Targets:',
    '',
  );
  for (const rate of RATES) {
    const e = withEqld[rate];
    const a = withAudit[rate];
    if (e && a)
      lines.push(
        `- extra CPU at ${rate}/s at or below auditd's (per exec × rate): ${fmtPct(extraNominal(e, rate))} vs ${fmtPct(extraNominal(a, rate))} — ${met(extraNominal(e, rate) <= extraNominal(a, rate))}`,
        `- the same, gross (each agent's idle CPU not subtracted): ${fmtPct(extraGross(e, rate))} vs ${fmtPct(extraGross(a, rate))} — ${met(extraGross(e, rate) <= extraGross(a, rate))}`,
      );
  }
  lines.push(
    `- RSS under 100 MiB at steady state (the largest sample): ${(rssNode / 2 ** 20).toFixed(1)} MiB — ${met(rssNode < 100 * 2 ** 20)}`,
    `- zero lost events at 100/s and 1,000/s exec (kept windows): ${withEqld[100]?.lost}, ${withEqld[1000]?.lost} — ${met(withEqld[100]?.lost === 0 && withEqld[1000]?.lost === 0)}`,
    `- p99 detection latency under 100 ms: ${p99} ms — ${met(p99 < 100)}`,
    '',
  );
  mkdirSync('docs/benchmarks', { recursive: true });
  writeFileSync('docs/benchmarks/overhead.md', lines.join('\n'));
  log(lines.join('\n'));
}

const workDir = mkdtempSync(join(tmpdir(), 'eqld-bench-'));
try {
  if (process.env.EQLD_BENCH_ONLY === 'connect-storm') {
    const bin = join(workDir, 'loadgen');
    writeFileSync(`${bin}.c`, LOADGEN_C);
    execFileSync('gcc', ['-O2', '-o', bin, `${bin}.c`]);
    await stormOnly(workDir, (a) => runLoad(bin, a), WARMUP_S);
  } else await main(workDir);
} finally {
  rmSync(workDir, { recursive: true, force: true });
}
