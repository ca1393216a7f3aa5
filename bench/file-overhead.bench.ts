// The overhead users feel with file events on (issue 11), side by side in one run: a file-heavy
// workload (a tarball of ~20k small files extracted, then removed) and /bin/true exec'd at 100 and
// 1,000/s, with no agent, with `eqld run` (file events on, the default per-second budget) and with
// auditd given the equivalent rules (the process program's syscalls, plus creat, open, openat,
// openat2, rename, renameat, renameat2, unlink, unlinkat with success=1). Then, with eqld, a file
// storm (two workers creating, renaming and deleting files as fast as they can) during which the
// root rule is attacked repeatedly: its detection latency, and the process and network events
// lost meanwhile. Writes docs/benchmarks/file-overhead.md. Traffic: only connects to a
// public-looking address from inside a test-created namespace with no route.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { type EqldProcess, processTree } from '../test/support/eqld-process.js';
import { createNetns, type Netns } from '../test/support/netns.js';
import type { Rsyslog } from '../test/support/rsyslog.js';
import { AUDIT_SYSCALLS, FILE_AUDIT_RULE, withAuditd } from './auditd-kit.js';
import {
  agentIdlePct,
  bestOf,
  FILE_RULES,
  fmtPct,
  LOADGEN_C,
  lastHealth,
  latencySamples,
  type Measurement,
  measure,
  median,
  percentile,
  REPEATS,
  runLoad,
  sh,
  startBenchEqld,
  TICK_HZ,
  ticksOf,
  ticksSince,
  WARMUP_S,
} from './overhead-kit.js';

const RATES = [100, 1000] as const;
const TAR_FILES = Number(process.env.EQLD_BENCH_TAR_FILES ?? 20_000);
/** extract-and-remove rounds per window: one takes ~0.3 s on tmpfs */
const TAR_ROUNDS = 3;
/** after a burst workload, the agent still works on its events: its CPU is read this much later */
const SETTLE_MS = 2000;
const STORM_S = 15;
const STORM_LATENCY_SAMPLES = 30;
const STORM = new URL('../test/progs/file-storm.py', import.meta.url).pathname;
/** EQLD_BENCH_ONLY=storm: eqld and the file storm only, figures printed, docs left as they are
 *  (for side-by-side runs of two builds; one storm's 30 latency samples make a noisy p99) */
const STORM_ONLY = process.env.EQLD_BENCH_ONLY === 'storm';

/** a tarball of TAR_FILES small files in 100 directories, like a package's tree */
function makeTarball(dir: string): string {
  const src = join(dir, 'tree');
  for (let d = 0; d < 100; d++) mkdirSync(join(src, `pkg${d}`, 'lib'), { recursive: true });
  for (let i = 0; i < TAR_FILES; i++)
    writeFileSync(join(src, `pkg${i % 100}`, 'lib', `module${i}.js`), `module.exports = ${i};\n`);
  const tar = join(dir, 'tree.tar');
  execFileSync('tar', ['cf', tar, '-C', src, '.']);
  rmSync(src, { recursive: true, force: true });
  return tar;
}

/** One extraction and removal of the tarball, measured like measure() does an exec window, with
 *  the agent's CPU read SETTLE_MS after the workload ended (it is still on the events). */
async function measureTar(
  bin: string,
  tar: string,
  target: string,
  agentPids: () => number[],
  idlePct = 0,
): Promise<Measurement> {
  const before = ticksOf(agentPids());
  const t0 = Date.now();
  const load = await runLoad(bin, [
    'run',
    '0',
    '0',
    '/bin/sh',
    '-c',
    `for i in $(seq ${TAR_ROUNDS}); do mkdir -p "$1" && tar xf "$0" -C "$1" && rm -rf "$1" || exit 1; done`,
    tar,
    target,
  ]);
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  const byComm: Record<string, number> = {};
  const agentCpuS = ticksSince(before, agentPids(), byComm) / TICK_HZ;
  const wallS = (Date.now() - t0) / 1000;
  const agentNetS = Math.max(0, agentCpuS - (idlePct / 100) * wallS);
  const totalS = load.cpuUs / 1e6 + agentNetS;
  return {
    byComm,
    load,
    agentCpuS,
    agentNetS,
    totalPct: (totalS / load.seconds) * 100,
    // per file of the tarball (a creation and a deletion each, per round)
    perExecUs: (totalS * 1e6) / (TAR_FILES * TAR_ROUNDS),
    othersPct: Number.NaN,
  };
}

function storm(dir: string, secs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const p = spawn('python3', [STORM, dir, String(secs), '2'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    p.on('exit', (code) =>
      code === 0 ? resolve(Number(out.trim())) : reject(new Error(`storm exited ${code}`)),
    );
  });
}

interface Health {
  lostKernelEvents?: number;
  lostFileEvents?: number;
  collector?: { byKind?: { file?: number }; file?: { dropped?: number; lost?: number } };
  normalizer?: { byAction?: Record<string, number> };
}
const healthOf = (e: EqldProcess) => (lastHealth(e) ?? {}) as Health;
const processLoss = (h: Health) => (h.lostKernelEvents ?? 0) - (h.lostFileEvents ?? 0);
const fileEvents = (h: Health) => h.collector?.byKind?.file ?? 0;
/** file documents the normalizer built (given to the rules) */
const fileDocuments = (h: Health) =>
  ['creation', 'rename', 'deletion'].reduce((n, a) => n + (h.normalizer?.byAction?.[a] ?? 0), 0);

async function main(dir: string): Promise<void> {
  const log = (s: string) => process.stdout.write(`${s}\n`);
  const bin = join(dir, 'loadgen');
  writeFileSync(`${bin}.c`, LOADGEN_C);
  execFileSync('gcc', ['-O2', '-o', bin, `${bin}.c`]);
  const tar = makeTarball(dir);
  // on tmpfs: on this VM's ext4 the same extraction went from 0.9 s to 11-14 s of system time
  // after a few rounds, with no agent at all, which no comparison survives
  const target = join(shmDir, 'extract');
  const tarOf =
    (pids: () => number[], idle = 0) =>
    () =>
      measureTar(bin, tar, target, pids, idle);

  // 1. no agent
  const none: Record<string, Measurement> = {};
  if (!STORM_ONLY) {
    none.tar = await bestOf(
      tarOf(() => []),
      'no agent, tar',
    );
    for (const rate of RATES)
      none[rate] = await bestOf(() => measure(bin, rate, () => []), `no agent @${rate}/s`);
  }

  // 2. eqld run with file events on
  const withEqld: Record<string, Measurement> = {};
  const idle = { eqld: Number.NaN, auditd: Number.NaN };
  const tarEvents = { delivered: Number.NaN, built: Number.NaN, dropped: Number.NaN, lost: Number.NaN };
  const stormFigures = {
    ops: Number.NaN,
    processLost: Number.NaN,
    fileDelivered: Number.NaN,
    fileLost: Number.NaN,
    latencies: [] as number[],
    missed: [] as string[],
  };
  let rsyslog: Rsyslog | undefined;
  let eqld: EqldProcess | undefined;
  let ns: Netns | undefined;
  try {
    ({ eqld, rsyslog } = await startBenchEqld(dir, [FILE_RULES]));
    const e = eqld;
    // the file program compiles at nice 5 and may attach after "eqld running"
    for (let i = 0; i < 1800 && e.logs().filter((l) => l.msg === 'bpftrace attached').length < 2; i++)
      await new Promise((r) => setTimeout(r, 100));
    const rs = rsyslog;
    const agentPids = () => [...processTree(e.pid), rs.pid];
    await new Promise((r) => setTimeout(r, 3000));
    log(`eqld warm-up: ${WARMUP_S} s at 1000 execs/s`);
    await runLoad(bin, ['exec', '1000', String(WARMUP_S)]);
    idle.eqld = await agentIdlePct(agentPids);
    log(`eqld idle: ${idle.eqld.toFixed(1)} % of a core`);
    if (!STORM_ONLY) {
      const h0 = healthOf(e);
      withEqld.tar = await bestOf(tarOf(agentPids, idle.eqld), 'eqld, tar');
      await new Promise((r) => setTimeout(r, 1500));
      const h1 = healthOf(e);
      tarEvents.delivered = (fileEvents(h1) - fileEvents(h0)) / REPEATS;
      tarEvents.built = (fileDocuments(h1) - fileDocuments(h0)) / REPEATS;
      if (!(tarEvents.built > 0))
        throw new Error('no file document was built during the tar windows: the file rules are not loaded');
      tarEvents.dropped = ((h1.collector?.file?.dropped ?? 0) - (h0.collector?.file?.dropped ?? 0)) / REPEATS;
      tarEvents.lost = ((h1.collector?.file?.lost ?? 0) - (h0.collector?.file?.lost ?? 0)) / REPEATS;
      for (const rate of RATES)
        withEqld[rate] = await bestOf(() => measure(bin, rate, agentPids, idle.eqld), `eqld @${rate}/s`);
    }

    // the file storm, with root-rule attacks during it
    ns = await createNetns('fbench');
    const n = ns;
    const stormDir = join(dir, 'storm');
    mkdirSync(stormDir);
    const s0 = healthOf(e);
    const running = storm(stormDir, STORM_S);
    await new Promise((r) => setTimeout(r, 2000));
    const lat = await latencySamples(n, join(dir, 'alerts.ndjson'), STORM_LATENCY_SAMPLES, () => healthOf(e));
    stormFigures.ops = await running;
    await new Promise((r) => setTimeout(r, 2500));
    const s1 = healthOf(e);
    stormFigures.processLost = processLoss(s1) - processLoss(s0);
    stormFigures.fileDelivered = fileEvents(s1) - fileEvents(s0);
    stormFigures.fileLost = (s1.lostFileEvents ?? 0) - (s0.lostFileEvents ?? 0);
    stormFigures.latencies = lat.latencies;
    stormFigures.missed = lat.missed;
    log(`storm: ${stormFigures.ops} ops, latencies ${lat.latencies.join(' ')}`);
    for (const m of lat.missed) log(`missed: ${m}`);
    rmSync(stormDir, { recursive: true, force: true });
  } finally {
    await eqld?.stop();
    await rsyslog?.stop();
    await ns?.destroy();
  }

  if (STORM_ONLY) {
    const l = stormFigures.latencies;
    log(
      `storm only: ${stormFigures.ops} ops, file events ${stormFigures.fileDelivered} delivered / ${stormFigures.fileLost} lost, process/network lost ${stormFigures.processLost}, latency p50/p99 ${percentile(l, 50)}/${percentile(l, 99)} ms, missed ${stormFigures.missed.length} of ${STORM_LATENCY_SAMPLES}`,
    );
    return;
  }

  // 3. auditd with the equivalent rules
  const withAudit: Record<string, Measurement> = {};
  await withAuditd(
    join(dir, 'audit'),
    async (pids) => {
      idle.auditd = await agentIdlePct(pids);
      log(`auditd idle: ${idle.auditd.toFixed(1)} % of a core`);
      withAudit.tar = await bestOf(tarOf(pids, idle.auditd), 'auditd, tar');
      for (const rate of RATES)
        withAudit[rate] = await bestOf(() => measure(bin, rate, pids, idle.auditd), `auditd @${rate}/s`);
    },
    [{ syscalls: AUDIT_SYSCALLS }, FILE_AUDIT_RULE],
  );

  // report: extra CPU of each agent over the same workload without one
  const extraTarMs = (m: Measurement) =>
    ((m.perExecUs - (none.tar as Measurement).perExecUs) * TAR_FILES * TAR_ROUNDS) / 1000;
  // the spread: each window's extra against the least no-agent window
  const spread = (m: Measurement, f: (perExecUs: number) => number) => {
    const xs = (m.windows ?? [m.perExecUs]).map(f);
    return `${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)}`;
  };
  const tarSpread = (m: Measurement) =>
    spread(m, (u) => ((u - (none.tar as Measurement).perExecUs) * TAR_FILES * TAR_ROUNDS) / 1000);
  const execSpread = (m: Measurement, rate: number) =>
    spread(m, (u) => (((u - (none[rate] as Measurement).perExecUs) * rate) / 1e6) * 100);
  const extraExecPct = (m: Measurement, rate: number) =>
    (((m.perExecUs - (none[rate] as Measurement).perExecUs) * rate) / 1e6) * 100;
  // every window's extra (the kept one is the least): its median, and whether eqld's median is
  // below auditd's least window, i.e. a difference larger than the spread of auditd's windows
  const windowsOf = (m: Measurement, f: (perExecUs: number) => number) => (m.windows ?? [m.perExecUs]).map(f);
  const met = (ok: boolean) => (ok ? 'met' : '**missed**');
  const lat = stormFigures.latencies;
  const p50 = percentile(lat, 50);
  const p99 = percentile(lat, 99);
  const byComm = (m: Measurement | undefined) =>
    Object.entries(m?.byComm ?? {})
      .map(([c, sec]) => `${c} ${sec.toFixed(2)} s`)
      .join(', ');
  const lines = [
    '## File events: overhead against auditd, and the bundled rules during a file storm',
    '',
    `- machine: kernel ${sh('uname', ['-r'])}, ${cpus()[0]?.model ?? '?'} x ${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}, ${sh('bpftrace', ['--version'])}, ${sh('auditctl', ['-v'])}; load average at the end ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')} (a shared machine: other sessions' work adds noise)`,
    `- date: ${new Date().toISOString()}`,
    `- command: \`npm run bench -- file-overhead\` (as root; \`EQLD_BENCH_REPEATS\` windows per cell, default 5, the least-disturbed kept; \`EQLD_BENCH_TAR_FILES\`, default 20,000; \`EQLD_BENCH_ONLY=storm\` runs eqld and the file storm only and prints its figures without writing this file)`,
    `- tar: \`sh -c 'mkdir D && tar xf tree.tar -C D && rm -rf D'\` ${TAR_ROUNDS} times per window on tmpfs, ${TAR_FILES} files of ~20 bytes in 100 directories (${TAR_FILES} creations and as many deletions per round; on this VM's ext4 the same extraction slowed from 0.9 s to 11-14 s of system time after a few rounds with no agent at all), CPU as rusage of the shell and its children; each agent's CPU read ${SETTLE_MS / 1000} s after the workload ends (it is still on the events), its idle rate over that time subtracted. exec rows as in docs/benchmarks/overhead.md.`,
    `- eqld: \`eqld run\` with the bundled rules and six of Elastic's file rules (test/fixtures/elastic-file-rules: creation, rename and deletion steps, so that file events are built and evaluated; with the bundled rules alone eqld builds no file document), file events on with the default budget of 5,000 file events per second (what is over it is dropped in the kernel and counted); node + both bpftrace programs + the rsyslogd receiving alerts. auditd: \`-a always,exit -F arch=b64 ${AUDIT_SYSCALLS.map((x) => `-S ${x}`).join(' ')}\` and \`-a always,exit -F arch=b64 ${FILE_AUDIT_RULE.syscalls.map((x) => `-S ${x}`).join(' ')} -F success=1\`, ENRICHED log to a temp file; auditd + kauditd.`,
    `- idle agent CPU subtracted: eqld ${fmtPct(idle.eqld)}, auditd ${fmtPct(idle.auditd)} of a core`,
    '',
    '| workload | agent | done | workload CPU | agent CPU (net) | extra CPU vs none (kept window) | extra, all windows (min–max) | agent CPU by process |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const [name, m] of [
    ['none', none.tar],
    ['eqld run', withEqld.tar],
    ['auditd', withAudit.tar],
  ] as const) {
    if (!m) continue;
    lines.push(
      `| ${TAR_ROUNDS} × (tar x + rm -rf), ${TAR_FILES} files, tmpfs | ${name} | ${m.load.seconds.toFixed(2)} s | ${(m.load.cpuUs / 1000).toFixed(0)} ms | ${(m.agentCpuS * 1000).toFixed(0)} ms (${(m.agentNetS * 1000).toFixed(0)} ms) | ${name === 'none' ? '—' : `${extraTarMs(m).toFixed(0)} ms`} | ${name === 'none' ? '—' : `${tarSpread(m)} ms`} | ${byComm(m)} |`,
    );
  }
  for (const rate of RATES)
    for (const [name, m] of [
      ['none', none[rate]],
      ['eqld run', withEqld[rate]],
      ['auditd', withAudit[rate]],
    ] as const) {
      if (!m) continue;
      lines.push(
        `| /bin/true ${rate}/s | ${name} | ${m.load.count} execs | ${fmtPct((m.load.cpuUs / 1e6 / m.load.seconds) * 100)} | ${fmtPct((m.agentCpuS / m.load.seconds) * 100)} (${fmtPct((m.agentNetS / m.load.seconds) * 100)}) | ${name === 'none' ? '—' : fmtPct(extraExecPct(m, rate))} | ${name === 'none' ? '—' : `${execSpread(m, rate)} %`} | ${byComm(m)} |`,
      );
    }
  lines.push(
    '',
    '| figure | value |',
    '|---|---|',
    `| file events eqld delivered per tar window (mean of ${REPEATS}), of ${2 * TAR_FILES * TAR_ROUNDS} creations and deletions | ${tarEvents.delivered.toFixed(0)} (${tarEvents.built.toFixed(0)} of them built as documents and given to the rules); dropped by the budget ${tarEvents.dropped.toFixed(0)}; lost in the perf buffer ${tarEvents.lost.toFixed(0)} |`,
    `| file storm (${STORM_S} s, 2 workers): file operations done | ${stormFigures.ops} |`,
    `| file events delivered during the storm / reported lost (budget and buffer) | ${stormFigures.fileDelivered} / ${stormFigures.fileLost} |`,
    `| process and network events lost during the storm | ${stormFigures.processLost} |`,
    `| root-rule attacks during the storm whose alert did not come within 5 s | ${stormFigures.missed.length} of ${STORM_LATENCY_SAMPLES} |`,
    `| detection latency during the storm, p50 / p99 (${lat.length} root-rule alerts; last event → alerts file) | ${p50} ms / ${p99} ms |`,
    '',
    'Targets (issue 11):',
    '',
  );
  for (const [label, key, extra] of [
    ['tar', 'tar', (m: Measurement) => extraTarMs(m)],
    ['100 execs/s', 100, (m: Measurement) => extraExecPct(m, 100)],
    ['1,000 execs/s', 1000, (m: Measurement) => extraExecPct(m, 1000)],
  ] as const) {
    const e = withEqld[key];
    const a = withAudit[key];
    if (e && a) {
      const f = (u: number) => extra({ ...e, perExecUs: u });
      const eMedian = median(windowsOf(e, f));
      const aWindows = windowsOf(a, (u) => extra({ ...a, perExecUs: u }));
      const outside = eMedian < Math.min(...aWindows);
      lines.push(
        `- eqld's extra CPU at or below auditd's, ${label}: ${extra(e).toFixed(2)} vs ${extra(a).toFixed(2)} ${key === 'tar' ? 'ms' : '% of a core'} (least windows; medians ${eMedian.toFixed(2)} vs ${median(aWindows).toFixed(2)}; eqld's median ${outside ? 'below' : 'not below'} auditd's least window) — ${met(extra(e) <= extra(a) && outside)}`,
      );
    }
  }
  lines.push(
    `- zero process and network events lost during the file storm: ${stormFigures.processLost} — ${met(stormFigures.processLost === 0)}`,
    `- p99 detection latency under 100 ms during the storm: ${p99} ms — ${met(p99 < 100 && stormFigures.missed.length === 0)}`,
    '',
    'Reading: the tar rows do not compare equal work. auditd records every creation, deletion and',
    `open of the workload; eqld reported ${tarEvents.delivered.toFixed(0)} of the ${2 * TAR_FILES * TAR_ROUNDS} file events of a window and dropped the rest in the kernel, by its`,
    'per-second budget (`collector.file_events_per_second`, 5,000) or in the full perf buffer of its',
    'file program (nice 5), counting them as telemetry loss ("eqld Telemetry Loss" alert, health',
    "line; the file program prints its budget counter every 5 s, so a window's drops can show in a",
    'later health line). That bound is the design: a package upgrade costs eqld at most the budget,',
    "whatever its size, where auditd's cost grows with it. The exec rows compare equal work: eqld with",
    "file events on against auditd with the file rules; a row is met only when eqld's median window",
    "is below auditd's least one, not merely its least window below auditd's. During the storm node shares the 2 vCPUs with two storm workers and",
    "both bpftrace programs; the latency is the root rule's, from its last kernel event to the alerts",
    'file.',
    '',
  );
  mkdirSync('docs/benchmarks', { recursive: true });
  writeFileSync('docs/benchmarks/file-overhead.md', lines.join('\n'));
  log(lines.join('\n'));
}

const workDir = mkdtempSync(join(tmpdir(), 'eqld-bench-file-'));
const shmDir = mkdtempSync('/dev/shm/eqld-bench-file-');
try {
  await main(workDir);
} finally {
  rmSync(workDir, { recursive: true, force: true });
  rmSync(shmDir, { recursive: true, force: true });
}
