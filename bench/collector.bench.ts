// Collector throughput and cost. Writes docs/benchmarks/collector.md.
// For an exec storm (posix_spawn+wait of /bin/true) and a connect storm (blocking TCP
// connects to a closed 127.0.0.1 port), three runs of the same generator: untraced; under
// bare `bpftrace PROGRAM > /dev/null` (the floor: the same rendered program, nobody parsing);
// under eqld's Collector (in this process). Reported: operations/s generated, events/s
// delivered parsed, lost records, and CPU seconds of bpftrace and of eqld per 100k events.
// Then the exec storm with ~4 KiB of argv per exec at argv bounds 256/1024/4096 bytes.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Collector } from '../src/collector/index.js';
import { renderHostProgram } from '../src/collector/program.js';
import type { RawEvent } from '../src/collector/raw-event.js';

const SECS = Number(process.env.EQLD_BENCH_SECS ?? 5);
const WORKERS = 2;
const STORM = new URL('../test/progs/storm.py', import.meta.url).pathname;
const CLK_TCK = 100;
const logger = pino({ level: 'warn' }, pino.destination(2));

function cpuSecondsOf(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) / CLK_TCK;
}

// bpftrace's stdout is the collector's FIFO (src/collector/output-fifo.ts): a full pipe shows
// as pipe_write; the socket wait channels are kept for a stdout that is a unix socket
const BLOCKED_WCHAN = /pipe_write|sock_alloc_send_pskb|unix_stream_sendmsg|sk_stream_wait_memory/;

/** Any bpftrace thread sleeping in a write to its stdout (full: eqld not reading fast enough). */
function blockedOnPipe(pid: number): boolean {
  try {
    for (const t of readdirSync(`/proc/${pid}/task`)) {
      if (BLOCKED_WCHAN.test(readFileSync(`/proc/${pid}/task/${t}/wchan`, 'utf8'))) return true;
    }
  } catch {
    // exited
  }
  return false;
}

function selfCpu(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

async function storm(kind: 'exec' | 'connect', extra: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const p = spawn('python3', [STORM, kind, String(SECS), String(WORKERS), String(extra)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    p.on('exit', (code) =>
      code === 0 ? resolve(Number(out.trim())) : reject(new Error(`storm exited ${code}`)),
    );
  });
}

interface Row {
  workload: string;
  mode: string;
  opsPerSec: number;
  eventsPerSec?: number;
  allEventsPerSec?: number;
  eqldCpuPct?: number;
  lost?: number;
  bpftraceCpuPer100k?: number;
  eqldCpuPer100k?: number;
  lateEvents?: number;
  pipeBlockedPct?: number;
  arrivalP99Ms?: number;
}

async function bare(
  program: string,
  kind: 'exec' | 'connect',
  extra: number,
  argvBytes = 1024,
): Promise<Row> {
  const file = join(tmpdir(), `eqld-bench-${process.pid}.bt`);
  writeFileSync(file, program);
  const bt = spawn('setpriv', ['--pdeathsig', 'KILL', '--', 'bpftrace', file], {
    env: { ...process.env, BPFTRACE_STRLEN: '200', BPFTRACE_PERF_RB_PAGES: '256' },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  // the cheapest consumer that still sees bpftrace's "Lost N events": grep (C) keeps only those
  const grep = spawn('grep', ['--line-buffered', '-E', '^(Lost|Attaching|hello)'], {
    stdio: [bt.stdout, 'pipe', 'ignore'],
  });
  let out = '';
  grep.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  // "hello" is printed by BEGIN; the last probes finish attaching shortly after
  while (!out.includes('hello')) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 2000));
  const cpu0 = cpuSecondsOf(bt.pid!);
  const ops = await storm(kind, extra);
  await new Promise((r) => setTimeout(r, 500));
  const cpu = cpuSecondsOf(bt.pid!) - cpu0;
  bt.kill('SIGKILL');
  rmSync(file, { force: true });
  const lost = [...out.matchAll(/^Lost (\d+) events$/gm)].reduce((a, m) => a + Number(m[1]), 0);
  return {
    workload: workloadLabel(kind, extra),
    mode: `bare bpftrace into grep ^Lost, argv bound ${argvBytes}`,
    opsPerSec: ops / SECS,
    lost,
    bpftraceCpuPer100k: (cpu / ops) * 1e5,
  };
}

function workloadLabel(kind: 'exec' | 'connect', extra: number): string {
  return kind === 'exec' && extra ? `exec (${extra} B argv)` : kind;
}

async function withCollector(kind: 'exec' | 'connect', extra: number, argvBytes = 1024): Promise<Row> {
  const c = new Collector({ logger, argvBytes, excludeSelf: true });
  let n = 0;
  let all = 0;
  let lost = 0;
  const want: RawEvent['kind'] = kind;
  c.onEvent((e) => {
    all++;
    if (e.kind === want) n++;
    else if (e.kind === 'lost') lost += e.count;
  });
  await c.start();
  const pid = c.bpftracePid!;
  const bt0 = cpuSecondsOf(pid);
  const me0 = selfCpu();
  let samples = 0;
  let pipeBlocked = 0;
  const sampler = setInterval(() => {
    samples++;
    if (blockedOnPipe(pid)) pipeBlocked++;
  }, 50);
  const ops = await storm(kind, extra);
  // drain: wait until the backlog (bpftrace and the reorder window) stops delivering the workload's events
  for (let last = -1, idle = 0, i = 0; idle < 10 && n < ops && i < 150; i++) {
    await new Promise((r) => setTimeout(r, 100));
    idle = n === last ? idle + 1 : 0;
    last = n;
  }
  clearInterval(sampler);
  const secs = SECS;
  const bt = cpuSecondsOf(pid) - bt0;
  const me = selfCpu() - me0;
  const s = c.stats();
  await c.stop();
  return {
    workload: workloadLabel(kind, extra),
    mode: `eqld collector, argv bound ${argvBytes}`,
    opsPerSec: ops / SECS,
    eventsPerSec: n / secs,
    allEventsPerSec: all / secs,
    eqldCpuPct: (me / secs) * 100,
    lost,
    bpftraceCpuPer100k: (bt / Math.max(1, ops)) * 1e5,
    eqldCpuPer100k: (me / Math.max(1, ops)) * 1e5,
    lateEvents: s.late,
    pipeBlockedPct: samples ? (pipeBlocked / samples) * 100 : 0,
    arrivalP99Ms: s.arrivalDelayMs.p99,
  };
}

/** kernel timestamp -> onEvent for execs at a low rate (the collector's share of detection latency) */
async function execLatency(): Promise<{ n: number; p50: number; p99: number; max: number; late: number }> {
  const c = new Collector({ logger, excludeSelf: true });
  const mine = new Set<number>();
  const delays: number[] = [];
  c.onEvent((e) => {
    if (e.kind === 'exec' && mine.has(e.pid))
      delays.push((Number(process.hrtime.bigint()) - e.ktimeNs) / 1e6);
  });
  await c.start();
  for (let i = 0; i < 200; i++) {
    const p = spawn('/bin/true', [], { stdio: 'ignore' });
    if (p.pid) mine.add(p.pid);
    await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise((r) => setTimeout(r, 1000));
  const late = c.stats().late;
  await c.stop();
  delays.sort((a, b) => a - b);
  const at = (q: number): number =>
    delays[Math.min(delays.length - 1, Math.floor(q * delays.length))] ?? Number.NaN;
  return {
    n: delays.length,
    p50: at(0.5),
    p99: at(0.99),
    max: delays[delays.length - 1] ?? Number.NaN,
    late,
  };
}

const fmt = (v: number | undefined, d = 1): string => (v === undefined ? '–' : v.toFixed(d));

const rows: Row[] = [];
const program = renderHostProgram(1024);
// warm-up run, discarded: the first collector in the process pays V8's JIT compilation of the parse path
process.stdout.write('warm-up\n');
await withCollector('exec', 0);
const load0 = loadavg()[0]!;
for (const kind of ['exec', 'connect'] as const) {
  process.stdout.write(`${kind}: untraced\n`);
  rows.push({
    workload: kind,
    mode: 'untraced',
    opsPerSec: (await storm(kind, kind === 'connect' ? 9 : 0)) / SECS,
  });
  process.stdout.write(`${kind}: bare bpftrace\n`);
  rows.push(await bare(program, kind, kind === 'connect' ? 9 : 0));
  process.stdout.write(`${kind}: collector\n`);
  rows.push(await withCollector(kind, kind === 'connect' ? 9 : 0));
}
for (const bound of [256, 1024, 4096]) {
  process.stdout.write(`exec 4 KiB argv: bound ${bound}, bare bpftrace\n`);
  const bounded = renderHostProgram(bound);
  rows.push(await bare(bounded, 'exec', 4000, bound));
  process.stdout.write(`exec 4 KiB argv: bound ${bound}, collector\n`);
  rows.push(await withCollector('exec', 4000, bound));
}
process.stdout.write('latency: 50 execs/s\n');
const latency = await execLatency();
const load1 = loadavg()[0]!;

const ratio = (r: Row): string =>
  r.bpftraceCpuPer100k && r.eqldCpuPer100k ? (r.eqldCpuPer100k / r.bpftraceCpuPer100k).toFixed(2) : '–';
const table = [
  '| workload | mode | ops/s generated | events/s delivered | all events/s | eqld CPU % | lost | bpftrace CPU s /100k ops | eqld CPU s /100k ops | eqld/bpftrace | late | arrival p99 ms | bpftrace blocked on pipe % |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ...rows.map(
    (r) =>
      `| ${r.workload} | ${r.mode} | ${fmt(r.opsPerSec, 0)} | ${fmt(r.eventsPerSec, 0)} | ${fmt(r.allEventsPerSec, 0)} | ${fmt(r.eqldCpuPct, 0)} | ${r.lost ?? '–'} | ${fmt(r.bpftraceCpuPer100k, 2)} | ${fmt(r.eqldCpuPer100k, 2)} | ${ratio(r)} | ${r.lateEvents ?? '–'} | ${fmt(r.arrivalP99Ms, 1)} | ${fmt(r.pipeBlockedPct, 1)} |`,
  ),
];
const collectorRows = rows.filter((r) => r.eqldCpuPer100k !== undefined);
const ratioMet = collectorRows.every((r) => r.eqldCpuPer100k! <= r.bpftraceCpuPer100k! / 3);
// the collector must not lose events below the rate at which bare bpftrace itself loses them:
// a collector row meets it with no loss, or when the floor row of the same workload and argv
// bound lost too (bpftrace's own limit) while the collector never made bpftrace block
const bound = (r: Row): string => r.mode.replace(/.*argv bound /, '');
const floorOf = (r: Row): Row | undefined =>
  rows.find((f) => f.mode.startsWith('bare') && f.workload === r.workload && bound(f) === bound(r));
const lostMet = collectorRows.every(
  (r) => r.lost === 0 || ((floorOf(r)?.lost ?? 0) > 0 && r.pipeBlockedPct === 0),
);
const md = [
  '## Collector (bench/collector.bench.ts)',
  '',
  `- machine: kernel ${release()}, ${cpus()[0]?.model ?? '?'} x ${cpus().length}, node ${process.version}, ${execFileSync('bpftrace', ['--version'], { encoding: 'utf8' }).trim()}`,
  `- load average (1 min) before/after: ${load0.toFixed(2)} / ${load1.toFixed(2)} (other work on the machine skews every figure)`,
  `- command: \`npm run bench -- collector\` (EQLD_BENCH_SECS=${SECS}, ${WORKERS} generator workers, date ${new Date().toISOString()})`,
  "- events/s delivered counts the workload's kind (exec or connect) generated during the run and drained after it; it can",
  "  exceed ops/s because the program traces the whole host (other users' execs count too). 'all events/s' adds every kind",
  '  (each exec also brings a fork and an exit). CPU per 100k is per generated operation (one exec or one connect) in every',
  '  row, measured after the probes attached (the 1-5 s LLVM compile is excluded); eqld CPU includes JIT and GC threads.',
  "- this machine is shared with other engineers' builds, tests and benchmarks; runs minutes apart differ by 2-10x in",
  '  latency and loss. Read the ratios (eqld/bpftrace, collector row vs floor row) more than the absolute figures.',
  '- the floor runs the same rendered program (same argv bound) with stdout into `grep ^Lost` (a C consumer that keeps',
  '  only the loss notices), instead of /dev/null, so that its lost events can be counted.',
  '',
  ...table,
  '',
  `- exec delivery latency at 50 execs/s (kernel timestamp -> onEvent, the collector's defaults: pace 60 ms, release by the shim's looks): p50 ${latency.p50.toFixed(1)} ms, p99 ${latency.p99.toFixed(1)} ms, max ${latency.max.toFixed(1)} ms over ${latency.n} execs (${latency.late} late events); the collector's share of the p99 < 100 ms detection target: ${latency.p99 < 100 ? 'within' : 'over'}`,
  `- target "eqld CPU per event <= 1/3 of bpftrace's": ${ratioMet ? 'met' : 'missed'} (column eqld/bpftrace; <= 0.33 meets it)`,
  `- target "zero lost events up to the rate at which bare bpftrace itself loses events": ${lostMet ? 'met' : 'missed'} (a collector row with losses counts as met only when the floor row of the same workload and argv bound lost too and bpftrace never blocked on eqld's pipe)`,
  `- target "bpftrace never blocks on the pipe": ${collectorRows.every((r) => r.pipeBlockedPct === 0) ? 'met' : 'missed'} (last column: share of 50 ms samples in which a bpftrace thread slept writing its stdout (the collector's FIFO: pipe_write), /proc/PID/task/*/wchan)`,
  '- lost records in a collector row with 0 % pipe blocking are lost between the kernel and bpftrace (bpftrace not draining its',
  '  perf buffers fast enough, e.g. starved of CPU), not because of eqld; compare with the floor row of the same workload.',
  '- "late" counts events that arrived after a later event had been released (stamped before a look but printed after it, or a window shorter than the skew',
  '  between CPUs); "arrival p99" is kernel timestamp -> line parsed, a measure of bpftrace\'s backlog.',
  '',
];
mkdirSync('docs/benchmarks', { recursive: true });
writeFileSync('docs/benchmarks/collector.md', md.join('\n'));
process.stdout.write(`${md.join('\n')}\n`);
