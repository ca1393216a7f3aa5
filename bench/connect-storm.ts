// The connect-storm part of the overhead benchmark (bench/overhead.bench.ts): loopback connects to
// a closed port at fixed rates, first with bare bpftrace (the same program, paced the same way,
// into grep: the kernel side's own loss floor), then with the running `eqld run`: lost kernel
// events, events eqld shed (counted, connects only), node's RSS sampled every 250 ms, and the
// detection latency of the root rule while the storm runs (attacks from a test namespace with no
// route, one every ~250 ms). Traffic stays on loopback and in that namespace. Not a .bench.ts:
// overhead.bench.ts runs it against its own agent.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_PACE_SHIM } from '../src/collector/pace-shim.js';
import { renderHostProgram } from '../src/collector/program.js';
import { type EqldProcess, processTree, startEqld } from '../test/support/eqld-process.js';
import { createNetns, type Netns } from '../test/support/netns.js';
import {
  AlertTail,
  benchEqldArgs,
  cpuTicks,
  machineBusyTicks,
  rootRuleSample,
  TICK_HZ,
} from './overhead-kit.js';

function sh(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8' }).trim();
  } catch {
    return 'unavailable';
  }
}

export const STORM_RATES = (process.env.EQLD_BENCH_STORM_RATES ?? '5000,10000,20000,25000,35000,0')
  .split(',')
  .map(Number);
// 30 s: ~110 root-rule alerts per rate, so that a p99 is not simply the largest sample (with
// 10 s it was: ~29 alerts)
export const STORM_WINDOW_S = Number(process.env.EQLD_BENCH_STORM_S ?? 30);

export interface LoadResult {
  count: number;
  failed: number;
  seconds: number;
  cpuUs: number;
}

export interface StormRow {
  /** asked for; 0 = as fast as one worker can */
  rate: number;
  bare: { done: number; lost: number };
  eqld: {
    done: number;
    lost: number;
    shed: number;
    rssMaxMiB: number;
    rssMedianMiB: number;
    latencies: number[];
    missed: number;
    cpu: StormCpu;
  };
}

/** Where the CPU went during the eqld storm window, each in % of one core (the machine has
 *  cpus().length of them): whether eqld was short of work or short of a CPU to do it on. */
export interface StormCpu {
  /** node's main thread (the whole pipeline runs on it) on a CPU, and runnable but waiting for
   *  one (/proc/PID/task/PID/schedstat: run and run-queue time) */
  mainRun: number;
  mainWait: number;
  /** node, all its threads (GC and compiler helpers included) */
  node: number;
  /** eqld's bpftrace programs */
  bpftrace: number;
  /** the storm's own load generator (rusage) */
  generator: number;
  /** every CPU's busy time (/proc/stat), the whole machine */
  machine: number;
}

/** run and run-queue wait of one thread, ns */
function schedstat(pid: number, tid = pid): [number, number] {
  try {
    const [run, wait] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
    return [run ?? Number.NaN, wait ?? Number.NaN];
  } catch {
    return [Number.NaN, Number.NaN];
  }
}

/** A snapshot of the CPU counters StormCpu is made of. */
function cpuSnapshot(eqldPid: number): {
  at: number;
  sched: [number, number];
  node: number;
  bpf: number;
  busy: number;
} {
  const bpf = processTree(eqldPid).filter((p) => p !== eqldPid);
  return {
    at: performance.now(),
    sched: schedstat(eqldPid),
    node: cpuTicks(eqldPid),
    bpf: bpf.reduce((a, p) => a + cpuTicks(p), 0),
    busy: machineBusyTicks(),
  };
}

function stormCpu(
  a: ReturnType<typeof cpuSnapshot>,
  b: ReturnType<typeof cpuSnapshot>,
  generatorUs: number,
): StormCpu {
  const ms = b.at - a.at;
  const pctNs = (ns: number) => (100 * ns) / 1e6 / ms;
  const pctTicks = (t: number) => (100 * (t / TICK_HZ) * 1000) / ms;
  return {
    mainRun: pctNs(b.sched[0] - a.sched[0]),
    mainWait: pctNs(b.sched[1] - a.sched[1]),
    node: pctTicks(b.node - a.node),
    bpftrace: pctTicks(b.bpf - a.bpf),
    generator: (100 * generatorUs) / 1000 / ms,
    machine: pctTicks(b.busy - a.busy),
  };
}

const fmtCpu = (c: StormCpu) =>
  `${c.mainRun.toFixed(0)} + ${c.mainWait.toFixed(0)} / ${c.node.toFixed(0)} / ${c.bpftrace.toFixed(0)} / ${c.generator.toFixed(0)} / ${c.machine.toFixed(0)}`;

type RunLoad = (args: string[]) => Promise<LoadResult>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : Number.NaN;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2;
};

/** The storm under bare bpftrace (eqld's program, perf buffers and pacing) into grep ^Lost. */
async function bareLost(
  runLoad: RunLoad,
  rate: number,
  port: number,
): Promise<{ done: number; lost: number }> {
  const file = join(tmpdir(), `eqld-storm-${process.pid}.bt`);
  writeFileSync(file, renderHostProgram(1024));
  const paced = existsSync(DEFAULT_PACE_SHIM)
    ? { LD_PRELOAD: DEFAULT_PACE_SHIM, EQLD_BPFTRACE_PACE_MS: '60' } // eqld's default (a storm reads every 20 ms)
    : {};
  const bt = spawn('setpriv', ['--pdeathsig', 'KILL', '--', 'bpftrace', file], {
    env: { ...process.env, BPFTRACE_STRLEN: '200', BPFTRACE_PERF_RB_PAGES: '256', ...paced },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const grep = spawn('grep', ['--line-buffered', '-E', '^(Lost|hello)'], {
    stdio: [bt.stdout, 'pipe', 'ignore'],
  });
  let out = '';
  grep.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  try {
    const until = Date.now() + 60_000;
    while (!out.includes('hello')) {
      if (Date.now() > until) throw new Error('bare bpftrace did not start');
      await sleep(100);
    }
    await sleep(2000);
    const load = await runLoad(['connect', String(rate), String(STORM_WINDOW_S), String(port)]);
    await sleep(1000);
    const lost = [...out.matchAll(/^Lost (\d+) events$/gm)].reduce((a, m) => a + Number(m[1]), 0);
    return { done: load.count, lost };
  } finally {
    bt.kill('SIGKILL');
    await new Promise((r) => (bt.exitCode !== null ? r(null) : bt.once('exit', r)));
    rmSync(file, { force: true });
  }
}

/** the latest periodic health line of the agent */
function health(e: EqldProcess): Record<string, unknown> | undefined {
  return e
    .logs()
    .map((l) => l.health as Record<string, unknown> | undefined)
    .filter((h) => typeof h?.lostKernelEvents === 'number')
    .at(-1);
}

/** what explains RSS and latency in a health line: heap, collector lag and shedding, partials */
function diagnostics(h: Record<string, unknown> | undefined): unknown {
  const c = (h?.collector ?? {}) as Record<string, unknown>;
  const d = (h?.detector ?? {}) as { rules?: { ruleId: string; matcher?: Record<string, unknown> }[] };
  return {
    rssMiB: Math.round(Number(h?.rssBytes) / 2 ** 20),
    heap: h?.heap,
    arrivalDelayMs: c.arrivalDelayMs,
    late: c.late,
    shed: c.shed,
    partials: d.rules?.map((r) => [r.ruleId.slice(0, 8), r.matcher?.partials, r.matcher?.keys]),
    normalizer: h?.normalizer,
    sinks: h?.sinks,
  };
}

const shedOf = (h: Record<string, unknown> | undefined) =>
  Number((h?.shed as { total?: number } | undefined)?.total ?? 0);

/** Root-rule attacks every ~250 ms until `stop()`; latency = alert in the file - event time. */
async function attacksDuring(
  ns: Netns,
  alertsFile: string,
  running: () => boolean,
  firstPort: number,
): Promise<{ latencies: number[]; inOrder: number[]; missed: number }> {
  const latencies: number[] = [];
  let missed = 0;
  const tail = new AlertTail(alertsFile, true);
  for (let i = 0; running(); i++) {
    const s = await rootRuleSample(ns, tail, firstPort + i);
    if (s.latencyMs !== undefined) latencies.push(s.latencyMs);
    else missed++;
    await sleep(250);
  }
  tail.close();
  return { inOrder: [...latencies], latencies: latencies.sort((a, b) => a - b), missed };
}

/** Every storm rate, bare bpftrace first, then the agent; `port` must be closed on 127.0.0.1. */
export async function connectStorms(
  runLoad: RunLoad,
  eqld: EqldProcess,
  ns: Netns,
  alertsFile: string,
  port: number,
  log: (s: string) => void,
): Promise<StormRow[]> {
  const rows: StormRow[] = [];
  for (const [k, rate] of STORM_RATES.entries()) {
    const bare = await bareLost(runLoad, rate, port);
    log(`storm ${rate || 'max'}/s bare bpftrace: ${bare.done} connects, lost ${bare.lost}`);
    await sleep(2000);
    const h0 = health(eqld);
    const rss: number[] = [];
    const sampler = setInterval(() => rss.push(rssBytes(eqld.pid)), 250);
    let running = true;
    const attacks = attacksDuring(ns, alertsFile, () => running, 41_000 + k * 500);
    const cpu0 = cpuSnapshot(eqld.pid);
    const load = await runLoad(['connect', String(rate), String(STORM_WINDOW_S), String(port)]);
    const cpu = stormCpu(cpu0, cpuSnapshot(eqld.pid), load.cpuUs);
    running = false;
    const lat = await attacks;
    await sleep(2500); // past the next health line
    clearInterval(sampler);
    const h1 = health(eqld);
    const row: StormRow = {
      rate,
      bare,
      eqld: {
        done: load.count,
        lost: Number(h1?.lostKernelEvents ?? Number.NaN) - Number(h0?.lostKernelEvents ?? 0),
        shed: shedOf(h1) - shedOf(h0),
        rssMaxMiB: Math.max(...rss) / 2 ** 20,
        rssMedianMiB: median(rss) / 2 ** 20,
        latencies: lat.latencies,
        missed: lat.missed,
        cpu,
      },
    };
    log(
      `storm ${rate || 'max'}/s eqld: ${row.eqld.done} connects, lost ${row.eqld.lost}, shed ${row.eqld.shed}, RSS max ${row.eqld.rssMaxMiB.toFixed(1)} MiB, latency p50/p99 ${percentile(lat.latencies, 50)}/${percentile(lat.latencies, 99)} ms (${lat.latencies.length} alerts, ${lat.missed} missed), CPU % main+waiting/node/bpftrace/generator/machine ${fmtCpu(cpu)}`,
    );
    rows.push(row);
    log(`storm ${rate || 'max'}/s latencies in the order of the attacks, ms: ${lat.inOrder.join(' ')}`);
    log(`storm ${rate || 'max'}/s eqld health after: ${JSON.stringify(diagnostics(h1))}`);
    await sleep(3000);
  }
  return rows;
}

/** The storm table and its targets for docs/benchmarks/overhead.md. */
export function stormReport(rows: readonly StormRow[]): string[] {
  const rateOf = (done: number) => `${Math.round(done / STORM_WINDOW_S).toLocaleString('en-US')}/s`;
  // the highest rate bare bpftrace delivered without loss (at any asked rate, flat out included:
  // above it the generator and bpftrace, not eqld, set the pace), and the highest asked rate at
  // or below it (5 % leeway for a window that came out a little short)
  const bareRates = rows.filter((r) => r.bare.lost === 0).map((r) => r.bare.done / STORM_WINDOW_S);
  const bareTop = bareRates.length > 0 ? Math.max(...bareRates) : 0;
  const lossless = rows.filter((r) => r.rate > 0 && r.rate <= 1.05 * bareTop).map((r) => r.rate);
  const top = lossless.length > 0 ? Math.max(...lossless) : undefined;
  const atTop = rows.find((r) => r.rate === top);
  const p99 = atTop ? percentile(atTop.eqld.latencies, 99) : Number.NaN;
  const met = (ok: boolean) => (ok ? 'met' : '**missed**');
  const allMet = (r: StormRow) =>
    r.eqld.lost === 0 &&
    r.eqld.shed === 0 &&
    r.eqld.rssMaxMiB < 100 &&
    r.eqld.latencies.length > 0 &&
    percentile(r.eqld.latencies, 99) < 100;
  const metRates = rows.filter((r) => r.rate > 0 && allMet(r)).map((r) => r.rate);
  const cores = cpus().length;
  return [
    '',
    `Connect storms (loopback, closed port, one C worker; ${STORM_WINDOW_S} s per rate, each first under bare bpftrace — eqld's program, perf buffers and pacing, output into grep — then under \`eqld run\`; root-rule attacks from a test namespace every ~250 ms during the storm give the latency; RSS is node's, sampled every 250 ms; rate 0 = as fast as the worker goes). The machine is shared: re-take on a quiet one.`,
    '',
    `CPU column, each in % of one core over the eqld window (the machine has ${cores}): node's main thread on a CPU + runnable but waiting for one (schedstat) / node, all threads / eqld's bpftrace programs / the storm generator / every CPU busy (/proc/stat). The pipeline runs on node's main thread: when it waits for a CPU, events wait in the pipe.`,
    '',
    '| asked | bare bpftrace: done / lost | eqld: done / lost / shed | eqld RSS median / max | latency p50 / p99 / max (alerts, missed) | CPU % (main + waiting / node / bpftrace / generator / machine) |',
    '|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.rate === 0 ? 'max' : `${r.rate.toLocaleString('en-US')}/s`} | ${rateOf(r.bare.done)} / ${r.bare.lost} | ${rateOf(r.eqld.done)} / ${r.eqld.lost} / ${r.eqld.shed} | ${r.eqld.rssMedianMiB.toFixed(1)} / ${r.eqld.rssMaxMiB.toFixed(1)} MiB | ${percentile(r.eqld.latencies, 50)} / ${percentile(r.eqld.latencies, 99)} / ${percentile(r.eqld.latencies, 100)} ms (${r.eqld.latencies.length}, ${r.eqld.missed}) | ${fmtCpu(r.eqld.cpu)} |`,
    ),
    '',
    `Connect-storm targets (at the highest asked rate bare bpftrace delivers without loss: it delivered up to ${Math.round(bareTop).toLocaleString('en-US')}/s with none lost):`,
    '',
    top === undefined || !atTop
      ? '- no asked rate was lossless under bare bpftrace: no target row'
      : `- at ${top.toLocaleString('en-US')}/s: eqld adds no loss of its own (kernel lost ${atTop.eqld.lost}, shed ${atTop.eqld.shed}) — ${met(atTop.eqld.lost === 0 && atTop.eqld.shed === 0)}; detection p99 under 100 ms: ${p99} ms — ${met(p99 < 100)}; RSS under 100 MiB: ${atTop.eqld.rssMaxMiB.toFixed(1)} MiB — ${met(atTop.eqld.rssMaxMiB < 100)}`,
    ...(atTop && !allMet(atTop)
      ? [
          `  - where the time went at ${atTop.rate.toLocaleString('en-US')}/s: node's main thread on a CPU ${atTop.eqld.cpu.mainRun.toFixed(0)} % and waiting for one ${atTop.eqld.cpu.mainWait.toFixed(0)} % of the window; the machine ${atTop.eqld.cpu.machine.toFixed(0)} % busy of ${cores * 100} % (bpftrace ${atTop.eqld.cpu.bpftrace.toFixed(0)} %, generator ${atTop.eqld.cpu.generator.toFixed(0)} %, node ${atTop.eqld.cpu.node.toFixed(0)} %)`,
        ]
      : []),
    `- highest asked rate with all three met (no loss or shedding, p99 under 100 ms, RSS under 100 MiB): ${metRates.length > 0 ? `${Math.max(...metRates).toLocaleString('en-US')}/s` : 'none'}`,
    `- every rate: RSS under 100 MiB (largest sample ${Math.max(...rows.map((r) => r.eqld.rssMaxMiB)).toFixed(1)} MiB) — ${met(rows.every((r) => r.eqld.rssMaxMiB < 100))}`,
  ];
}

/** docs/benchmarks/overhead-connect-storm.md, written by a full run and by EQLD_BENCH_ONLY=connect-storm */
export function writeStormDoc(rows: Parameters<typeof stormReport>[0]): void {
  const text = [
    '## Overhead: connect storms',
    '',
    `- machine: kernel ${sh('uname', ['-r'])}, ${cpus()[0]?.model ?? '?'} x ${cpus().length}, node ${process.version}, ${sh('bpftrace', ['--version'])}`,
    `- date: ${new Date().toISOString()}`,
    `- command: \`npm run bench -- overhead\` (as root), or this part alone: \`EQLD_BENCH_ONLY=connect-storm npm run bench -- overhead\`; \`EQLD_BENCH_STORM_RATES\` (default 5000,10000,20000,25000,35000,0) and \`EQLD_BENCH_STORM_S\` (default ${STORM_WINDOW_S}) set the rates and the window`,
    ...stormReport(rows),
    '',
  ].join('\n');
  mkdirSync('docs/benchmarks', { recursive: true });
  writeFileSync('docs/benchmarks/overhead-connect-storm.md', text);
  process.stdout.write(`${text}\n`);
}

/** Only the connect storms, against an agent started for them (no rsyslog, no auditd). */
export async function stormOnly(dir: string, runLoad: RunLoad, warmupS: number): Promise<void> {
  const eqld = await startEqld(benchEqldArgs(dir, undefined));
  const ns = await createNetns('bench');
  try {
    await eqld.waitForLog((l) => l.msg === 'eqld running', 60_000);
    await runLoad(['exec', '1000', String(warmupS)]);
    await new Promise((r) => setTimeout(r, 1000));
    const log = (s: string) => process.stdout.write(`${s}\n`);
    writeStormDoc(await connectStorms(runLoad, eqld, ns, join(dir, 'alerts.ndjson'), 9, log));
  } finally {
    await eqld.stop();
    await ns.destroy();
  }
}
