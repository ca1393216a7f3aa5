// eqld against auditd at a low exec rate, in sandwiches: the load's own CPU per exec drifts by
// more between the overhead bench's cells (run one after the other) than either agent costs at
// 100 execs/s, so here each agent's window sits between two windows with no agent, taken right
// before and after, and the agent's effect on the load is its window against their mean. Each
// round: none, eqld, none, auditd, none; eqld (the bundled rules, as docs/benchmarks/overhead.md
// runs it) is started and warmed up afresh in each round, auditd gets the overhead bench's rules.
// Writes docs/benchmarks/overhead-sandwich.md.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { type EqldProcess, processTree } from '../test/support/eqld-process.js';
import type { Rsyslog } from '../test/support/rsyslog.js';
import { AUDIT_SYSCALLS, withAuditd } from './auditd-kit.js';
import { bpfRunTimeNs, withBpfStats } from './bpf-stats.js';
import {
  agentIdlePct,
  LOADGEN_C,
  median,
  runLoad,
  sh,
  startBenchEqld,
  TICK_HZ,
  ticksOf,
  ticksSince,
  WARMUP_S,
} from './overhead-kit.js';

const RATE = Number(process.env.EQLD_BENCH_RATE ?? 100);
const ROUNDS = Number(process.env.EQLD_BENCH_ROUNDS ?? 4);
const WINDOW_S = Number(process.env.EQLD_BENCH_SANDWICH_S ?? 20);
/** at the rate before the agent's window: V8's tier-up and the agent's caches settle */
const SETTLE_S = 10;

interface Window {
  /** the load's own CPU per exec done (rusage of the generator and its children), µs */
  loadUs: number;
  /** the agent's CPU per exec done, µs (0 with no agent) */
  agentUs: number;
  /** the same less the agent's idle rate over the window */
  agentNetUs: number;
  /** eqld's BPF programs per exec done, µs (inside loadUs) */
  bpfUs?: number;
}

async function window(bin: string, pids: () => number[], idlePct = 0, bpf?: () => number): Promise<Window> {
  const before = ticksOf(pids());
  const b0 = bpf?.();
  const load = await runLoad(bin, ['exec', String(RATE), String(WINDOW_S)]);
  const agentS = ticksSince(before, pids()) / TICK_HZ;
  const execs = Math.max(load.count, 1);
  const netS = Math.max(0, agentS - (idlePct / 100) * load.seconds);
  return {
    loadUs: load.cpuUs / execs,
    agentUs: (agentS * 1e6) / execs,
    agentNetUs: (netS * 1e6) / execs,
    ...(bpf && b0 !== undefined ? { bpfUs: (bpf() - b0) / 1e3 / execs } : {}),
  };
}

interface Round {
  none: Window[];
  eqld: Window;
  auditd: Window;
}

async function main(dir: string): Promise<Round[]> {
  const bin = join(dir, 'loadgen');
  writeFileSync(`${bin}.c`, LOADGEN_C);
  execFileSync('gcc', ['-O2', '-o', bin, `${bin}.c`]);
  const none = () => window(bin, () => []);
  const rounds: Round[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const n0 = await none();
    let eqld: EqldProcess | undefined;
    let rsyslog: Rsyslog | undefined;
    let e: Window;
    const eqldDir = join(dir, `eqld-${r}`);
    mkdirSync(eqldDir);
    try {
      ({ eqld, rsyslog } = await startBenchEqld(eqldDir));
      const pid = eqld.pid;
      const rs = rsyslog;
      const pids = () => [...processTree(pid), rs.pid];
      await new Promise((res) => setTimeout(res, 3000));
      await runLoad(bin, ['exec', '1000', String(WARMUP_S)]);
      const idle = await agentIdlePct(pids);
      await runLoad(bin, ['exec', String(RATE), String(SETTLE_S)]);
      e = await withBpfStats(() => window(bin, pids, idle, () => bpfRunTimeNs(processTree(pid))));
    } finally {
      await eqld?.stop();
      await rsyslog?.stop();
    }
    const n1 = await none();
    const a = await withAuditd(join(dir, `audit-${r}`), async (pids) => {
      const idle = await agentIdlePct(pids);
      await runLoad(bin, ['exec', String(RATE), String(SETTLE_S)]);
      return window(bin, pids, idle);
    });
    const n2 = await none();
    rounds.push({ none: [n0, n1, n2], eqld: e, auditd: a });
    process.stdout.write(`round ${r + 1}: ${JSON.stringify(rounds[r])}\n`);
  }
  return rounds;
}

const workDir = mkdtempSync(join(tmpdir(), 'eqld-bench-sandwich-'));
let rounds: Round[];
try {
  rounds = await main(workDir);
} finally {
  rmSync(workDir, { recursive: true, force: true });
}

/** % of one core at RATE for `us` µs per exec */
const pct = (us: number) => (us * RATE) / 1e4;
const f1 = (x: number) => x.toFixed(1);
const rows: string[] = [];
const totals = { eqld: [] as number[], auditd: [] as number[] };
for (const [i, r] of rounds.entries()) {
  const [n0, n1, n2] = r.none as [Window, Window, Window];
  const around = { eqld: (n0.loadUs + n1.loadUs) / 2, auditd: (n1.loadUs + n2.loadUs) / 2 };
  for (const agent of ['eqld', 'auditd'] as const) {
    const w = r[agent];
    const onLoad = w.loadUs - around[agent];
    const total = onLoad + w.agentNetUs;
    totals[agent].push(total);
    rows.push(
      `| ${i + 1} | ${agent} | ${f1(around[agent])} | ${f1(w.loadUs)} | ${f1(onLoad)}${w.bpfUs === undefined ? '' : ` (BPF ${f1(w.bpfUs)})`} | ${f1(w.agentUs)} | ${f1(w.agentNetUs)} | ${f1(total)} (${pct(total).toFixed(2)} %) |`,
    );
  }
}
const paired = totals.eqld.map((x, i) => x - (totals.auditd[i] as number));
const everyRound = paired.every((d) => d < 0);
const spread = (xs: number[]) => `${f1(Math.min(...xs))}–${f1(Math.max(...xs))}`;
const lines = [
  `## Overhead at ${RATE} execs/s in sandwiches: eqld vs auditd (bench/overhead-sandwich.bench.ts)`,
  '',
  `- machine: kernel ${sh('uname', ['-r'])}, ${cpus()[0]?.model ?? '?'} x ${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}, ${sh('bpftrace', ['--version'])}, ${sh('auditctl', ['-v'])}`,
  `- date: ${new Date().toISOString()}`,
  `- command: \`npm run bench -- overhead-sandwich\` (as root; \`EQLD_BENCH_ROUNDS\` rounds, default 4; \`EQLD_BENCH_RATE\`, default 100; \`EQLD_BENCH_SANDWICH_S\` the window, default 20 s)`,
  `- each round: a ${WINDOW_S} s window of /bin/true fork+exec'd at ${RATE}/s with no agent, one with eqld, one with none, one with auditd, one with none. eqld: \`eqld run\` with the bundled rules started afresh, warmed up with ${WARMUP_S} s at 1,000 execs/s and ${SETTLE_S} s at the rate (its BPF run time from bpf_stats); auditd: \`-a always,exit -F arch=b64 ${AUDIT_SYSCALLS.map((x) => `-S ${x}`).join(' ')}\` as in docs/benchmarks/overhead.md, ${SETTLE_S} s at the rate first. An agent's effect on the load is its window's load CPU per exec against the mean of the two no-agent windows around it (its BPF programs or audit hooks run in the traced tasks); its own CPU is net of its idle rate. Total = both, per exec.`,
  '',
  "| round | agent | load µs/exec, no agent around (mean) | load µs/exec with the agent | on the load | the agent's own, µs/exec | own, net of idle | total µs/exec (% of a core at the rate) |",
  '|---|---|---|---|---|---|---|---|',
  ...rows,
  '',
  `- totals, median (min–max) over the rounds: eqld ${f1(median(totals.eqld))} (${spread(totals.eqld)}) µs per exec, auditd ${f1(median(totals.auditd))} (${spread(totals.auditd)}); eqld − auditd per round: ${paired.map(f1).join(', ')} µs`,
  `- target (issues 11, 12): eqld's extra CPU at or below auditd's, side by side, beyond the noise: eqld below auditd in every round — ${everyRound ? 'met' : '**missed**'}`,
  '',
];
mkdirSync('docs/benchmarks', { recursive: true });
writeFileSync('docs/benchmarks/overhead-sandwich.md', lines.join('\n'));
process.stdout.write(`${lines.join('\n')}\n`);
