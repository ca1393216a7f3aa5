// eqld against auditd at a low exec rate, both resident, their kernel side switched on and off
// every few seconds. The load's own CPU per exec (/bin/true at 100/s) moves by ±10-25 % between
// windows, within a second as well as over minutes, more than either agent costs at 100 execs/s;
// the overhead and sandwich benches, which start an agent per window, cannot alternate fast
// enough to pair that away. Here eqld (its probes behind a bench-only gate: bench/probe-gate.ts)
// and auditd (rules added and deleted with auditctl) both keep running, warmed up, and short
// slots alternate: off, eqld on, off, auditd on, off, ... (the agents' order swapped every cycle).
// Two setups: "process" (the bundled rules against the overhead bench's audit rules) and "file"
// (six of Elastic's file rules as well, against the file-overhead bench's audit rules). An
// agent's cost per exec in a slot is the load's CPU and its own CPU (schedstat of all its
// threads, exact) against the "off" slots around it (costs() says how); a cycle pairs one eqld
// slot with one auditd slot. Writes docs/benchmarks/overhead-paired.md.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type EqldProcess, processTree } from '../test/support/eqld-process.js';
import type { Rsyslog } from '../test/support/rsyslog.js';
import {
  AUDIT_SYSCALLS,
  type AuditRule,
  type AuditRuleSwitch,
  ensureAuditd,
  FILE_AUDIT_RULE,
  withAuditd,
} from './auditd-kit.js';
import { bpfRunTimeNs, withBpfStats } from './bpf-stats.js';
import {
  FILE_RULES,
  LOADGEN_C,
  type LoadResult,
  lastHealth,
  median,
  runLoad,
  sh,
  startBenchEqld,
  WARMUP_S,
} from './overhead-kit.js';
import { setProbeGate, writeProbeGateWrapper } from './probe-gate.js';

const RATES = (process.env.EQLD_BENCH_RATES ?? '100,1000').split(',').map(Number);
const CYCLES = Number(process.env.EQLD_BENCH_CYCLES ?? 40);
const SLOT_S = Number(process.env.EQLD_BENCH_SLOT_S ?? 2);
/** after a switch before a slot, and after a slot before its end is read: eqld's pace and polls
 *  (60 ms) and the reorder window bring an event's work within ~150 ms of the event */
const SETTLE_MS = 300;
/** at the rate after the warm-up at 1,000/s: V8's tier-up and the caches settle */
const SETTLE_S = 10;

type Agent = 'eqld' | 'auditd';
type State = 'off' | Agent;

interface Slot {
  state: State;
  execs: number;
  /** the load's own CPU per exec (rusage of the generator and its children), µs */
  loadUs: number;
  /** each agent's CPU per exec over the slot and its settling (all threads, schedstat), µs */
  ownUs: Record<Agent, number>;
  /** eqld's BPF programs per exec (inside loadUs; in "off" and auditd slots the gate's cost) */
  bpfUs: number;
}

/** exec events eqld counted per exec done, with its gate open and closed */
interface GateCheck {
  open: number;
  closed: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU time of every thread of `pids`, ns (schedstat: exact, unlike /proc/PID/stat's ticks) */
function schedNs(pids: readonly number[]): number {
  let total = 0;
  for (const pid of pids) {
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      try {
        total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // exited meanwhile
      }
    }
  }
  return total;
}

/** the load generator kept running between slots (`loadgen serve`): no start-up in the slots */
class LoadServer {
  private readonly child;
  private readonly pending: ((r: LoadResult) => void)[] = [];

  constructor(bin: string, rate: number) {
    this.child = spawn(bin, ['serve', String(rate), '0'], { stdio: ['pipe', 'pipe', 'inherit'] });
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      this.pending.shift()?.(JSON.parse(line) as LoadResult);
    });
  }

  window(seconds: number): Promise<LoadResult> {
    return new Promise((resolve) => {
      this.pending.push(resolve);
      this.child.stdin.write(`${seconds}\n`);
    });
  }

  close(): void {
    this.child.stdin.end();
  }
}

function execsSeen(eqld: EqldProcess): number {
  const collector = lastHealth(eqld)?.collector as { byKind?: { exec?: number } } | undefined;
  return collector?.byKind?.exec ?? 0;
}

/** what eqld and auditd are given in one run of the bench */
interface Setup {
  name: string;
  /** `--rules` beside the bundled rules */
  eqldRules: readonly string[];
  auditRules: readonly AuditRule[];
}

const SETUPS: readonly Setup[] = [
  { name: 'process', eqldRules: [], auditRules: [{ syscalls: AUDIT_SYSCALLS }] },
  { name: 'file', eqldRules: [FILE_RULES], auditRules: [{ syscalls: AUDIT_SYSCALLS }, FILE_AUDIT_RULE] },
];
const ONLY = (process.env.EQLD_BENCH_PAIRED ?? 'process,file').split(',');

interface Run {
  setup: Setup;
  rate: number;
  slots: Slot[];
  gate: GateCheck;
}

/** One eqld and one auditd for the setup, kept running through every rate. */
async function run(dir: string, bin: string, setup: Setup): Promise<Run[]> {
  const eqldDir = join(dir, `eqld-${setup.name}`);
  mkdirSync(eqldDir);
  let eqld: EqldProcess | undefined;
  let rsyslog: Rsyslog | undefined;
  try {
    ({ eqld, rsyslog } = await startBenchEqld(eqldDir, setup.eqldRules, [
      '--bpftrace',
      writeProbeGateWrapper(dir),
    ]));
    const e = eqld;
    const rs = rsyslog;
    const eqldPids = () => [...processTree(e.pid), rs.pid];
    await sleep(3000);
    await runLoad(bin, ['exec', '1000', String(WARMUP_S)]);
    return await withAuditd(
      join(dir, `audit-${setup.name}`),
      async (auditdPids, rules) => {
        rules.off();
        const runs: Run[] = [];
        for (const rate of RATES) {
          if (setProbeGate(true) === 0) throw new Error('no probe gate found');
          await runLoad(bin, ['exec', String(rate), String(SETTLE_S)]);
          const gate = await checkGate(bin, e, rate);
          const slots = await withBpfStats(() => alternate(bin, rate, e, eqldPids, auditdPids, rules));
          runs.push({ setup, rate, slots, gate });
        }
        return runs;
      },
      setup.auditRules,
    );
  } finally {
    await eqld?.stop();
    await rsyslog?.stop();
  }
}

async function main(dir: string): Promise<Run[]> {
  ensureAuditd();
  const bin = join(dir, 'loadgen');
  writeFileSync(`${bin}.c`, LOADGEN_C);
  execFileSync('gcc', ['-O2', '-o', bin, `${bin}.c`]);
  const runs: Run[] = [];
  for (const setup of SETUPS.filter((s) => ONLY.includes(s.name))) {
    process.stdout.write(`--- ${setup.name}\n`);
    runs.push(...(await run(dir, bin, setup)));
  }
  return runs;
}

/** The gate does what the slots assume: eqld sees the load's execs with it open, not with it
 *  closed (its health line's count, read a second and a half after each run). */
async function checkGate(bin: string, eqld: EqldProcess, rate: number): Promise<GateCheck> {
  const seenPerExec = async () => {
    await sleep(1500);
    const x0 = execsSeen(eqld);
    const load = await runLoad(bin, ['exec', String(rate), '3']);
    await sleep(1500);
    return (execsSeen(eqld) - x0) / Math.max(load.count, 1);
  };
  if (setProbeGate(false) === 0) throw new Error('no probe gate found');
  const closed = await seenPerExec();
  setProbeGate(true);
  const open = await seenPerExec();
  if (open < 0.9 || closed > 0.1) {
    throw new Error(`the probe gate does not work: eqld saw ${open} execs per exec open, ${closed} closed`);
  }
  return { open, closed };
}

async function alternate(
  bin: string,
  rate: number,
  eqld: EqldProcess,
  eqldPids: () => number[],
  auditdPids: () => number[],
  rules: AuditRuleSwitch,
): Promise<Slot[]> {
  let state: State = 'eqld'; // gate open, rules off: as run() leaves them
  const enter = (next: State) => {
    if (state === 'auditd' && next !== 'auditd') rules.off();
    if (state === 'eqld' && next !== 'eqld' && setProbeGate(false) === 0)
      throw new Error('no probe gate found');
    if (next === 'auditd' && state !== 'auditd') rules.on();
    if (next === 'eqld' && state !== 'eqld' && setProbeGate(true) === 0)
      throw new Error('no probe gate found');
    state = next;
  };
  const server = new LoadServer(bin, rate);
  const slot = async (next: State): Promise<Slot> => {
    enter(next);
    await sleep(SETTLE_MS);
    const e0 = schedNs(eqldPids());
    const a0 = schedNs(auditdPids());
    const b0 = bpfRunTimeNs(processTree(eqld.pid));
    const load = await server.window(SLOT_S);
    await sleep(SETTLE_MS);
    const execs = Math.max(load.count, 1);
    const per = (ns: number) => ns / 1e3 / execs;
    return {
      state: next,
      execs: load.count,
      loadUs: load.cpuUs / execs,
      ownUs: { eqld: per(schedNs(eqldPids()) - e0), auditd: per(schedNs(auditdPids()) - a0) },
      bpfUs: per(bpfRunTimeNs(processTree(eqld.pid)) - b0),
    };
  };
  const slots: Slot[] = [];
  try {
    slots.push(await slot('off'));
    for (let c = 0; c < CYCLES; c++) {
      const order: Agent[] = c % 2 === 0 ? ['eqld', 'auditd'] : ['auditd', 'eqld'];
      for (const agent of order) {
        slots.push(await slot(agent));
        slots.push(await slot('off'));
      }
      const last = slots.slice(-4).map((s) => `${s.state} ${s.loadUs.toFixed(0)}`);
      process.stdout.write(`cycle ${c + 1}/${CYCLES}: ${last.join(', ')} µs/exec\n`);
    }
  } finally {
    server.close();
    enter('off');
  }
  return slots;
}

/** one agent's slot against the "off" slots around it */
interface Cost {
  onLoad: number;
  own: number;
  total: number;
}

/**
 * The load: the agent's slot against the mean of the off slots on either side (the load drifts
 * within seconds). The agent's own CPU: its slot and the off slot after it (where the end of its
 * work lands: the last events' processing, a collection), each less the agent's idle rate, the
 * median of its CPU in the off slots that follow the other agent's slots (no spill of its own in
 * them). eqld's BPF programs still run behind the closed gate, inside the off slots' load: that
 * much (bpf_stats) is added back to its effect on the load.
 */
function costs(slots: Slot[]): Record<Agent, Cost[]> {
  const idle = {} as Record<Agent, number>;
  for (const agent of ['eqld', 'auditd'] as const) {
    const clean = slots.filter((s, i) => s.state === 'off' && (i === 0 || slots[i - 1]?.state !== agent));
    idle[agent] = median(clean.map((s) => s.ownUs[agent]));
  }
  const out: Record<Agent, Cost[]> = { eqld: [], auditd: [] };
  for (let i = 1; i + 1 < slots.length; i += 2) {
    const [before, s, after] = [slots[i - 1], slots[i], slots[i + 1]] as [Slot, Slot, Slot];
    if (s.state === 'off' || before.state !== 'off' || after.state !== 'off')
      throw new Error('slots out of order');
    const gateUs = s.state === 'eqld' ? (before.bpfUs + after.bpfUs) / 2 : 0;
    const onLoad = s.loadUs - (before.loadUs + after.loadUs) / 2 + gateUs;
    const own = s.ownUs[s.state] - idle[s.state] + (after.ownUs[s.state] - idle[s.state]);
    out[s.state].push({ onLoad, own, total: onLoad + own });
  }
  return out;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
/** half-width of a 95 % confidence interval of the mean (normal approximation; n >= 20) */
function ci95(xs: number[]): number {
  const m = mean(xs);
  const variance = xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1);
  return 1.96 * Math.sqrt(variance / xs.length);
}

const workDir = mkdtempSync(join(tmpdir(), 'eqld-bench-paired-'));
let runs: Run[];
try {
  runs = await main(workDir);
} finally {
  rmSync(workDir, { recursive: true, force: true });
}

const f1 = (x: number) => x.toFixed(1);
const pct = (us: number, rate: number) => `${((us * rate) / 1e4).toFixed(2)} %`;
const stat = (xs: number[]) => `${f1(mean(xs))} ± ${f1(ci95(xs))} (median ${f1(median(xs))})`;
const rows: string[] = [];
const notes: string[] = [];
const verdicts: string[] = [];
for (const { setup, rate, slots, gate } of runs) {
  const byAgent = costs(slots);
  const cycles = Math.min(byAgent.eqld.length, byAgent.auditd.length);
  const diff = byAgent.eqld.slice(0, cycles).map((e, i) => e.total - (byAgent.auditd[i] as Cost).total);
  for (const agent of ['eqld', 'auditd'] as const) {
    const cs = byAgent[agent];
    rows.push(
      `| ${setup.name} | ${rate}/s | ${agent} | ${stat(cs.map((c) => c.onLoad))} | ${stat(cs.map((c) => c.own))} | ${stat(cs.map((c) => c.total))} | ${pct(mean(cs.map((c) => c.total)), rate)} |`,
    );
  }
  const of = (state: State) => slots.filter((s) => s.state === state);
  const offLoad = of('off').map((s) => s.loadUs);
  const bpf = (state: State) => f1(median(of(state).map((s) => s.bpfUs)));
  const after = (prev: Agent) => slots.filter((s, i) => s.state === 'off' && slots[i - 1]?.state === prev);
  const ownAfter = (agent: Agent, prev: Agent) => f1(median(after(prev).map((s) => s.ownUs[agent])));
  const upper = mean(diff) + ci95(diff);
  const lower = mean(diff) - ci95(diff);
  const verdict =
    upper < 0 ? 'met' : lower > 0 ? '**missed** (eqld above auditd)' : '**missed** (the interval holds 0)';
  notes.push(
    `- ${setup.name}, ${rate}/s: eqld − auditd per cycle (total) ${stat(diff)} µs per exec over ${cycles} cycles; the load with both off ${f1(median(offLoad))} µs per exec (median of ${offLoad.length} slots, ${f1(Math.min(...offLoad))}–${f1(Math.max(...offLoad))}); eqld's BPF programs ${bpf('eqld')} µs per exec with its probes on, ${bpf('off')} behind the closed gate (medians); the gate checked first (3 s each way): ${gate.open.toFixed(2)} exec events counted per exec done open, ${gate.closed.toFixed(2)} closed; own CPU in the off slots after eqld's / after auditd's slots: eqld ${ownAfter('eqld', 'eqld')} / ${ownAfter('eqld', 'auditd')}, auditd ${ownAfter('auditd', 'eqld')} / ${ownAfter('auditd', 'auditd')} µs per exec (medians)`,
  );
  verdicts.push(`${setup.name} at ${rate}/s ${verdict}`);
}
const lines = [
  `## Overhead at ${RATES.join(' and ')} execs/s, both agents resident, switched on and off: eqld vs auditd (bench/overhead-paired.bench.ts)`,
  '',
  `- machine: kernel ${sh('uname', ['-r'])}, ${cpus()[0]?.model ?? '?'} x ${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}, ${sh('bpftrace', ['--version'])}, ${sh('auditctl', ['-v'])}`,
  `- date: ${new Date().toISOString()}`,
  `- command: \`npm run bench -- overhead-paired\` (as root; \`EQLD_BENCH_PAIRED\` the setups, default \`process,file\`; \`EQLD_BENCH_CYCLES\` cycles, default 40 per rate; \`EQLD_BENCH_SLOT_S\` the slot, default 2 s; \`EQLD_BENCH_RATES\`, default \`100,1000\`)`,
  `- why: the load's own CPU per exec moves by ±10-25 % from one window to the next, within seconds as well as over minutes, more than either agent costs at 100 execs/s; the overhead and sandwich benches start an agent per window and cannot alternate fast enough to pair that away. Here both agents run throughout, warmed up (eqld ${WARMUP_S} s at 1,000 execs/s, then ${SETTLE_S} s at each rate before its slots), and only their kernel side is switched: eqld's probes behind a bench-only gate (bench/probe-gate.ts: a map lookup at the top of every probe, set with bpftool), auditd's rules added and deleted with auditctl. Slots of ${SLOT_S} s of /bin/true fork+exec'd at the rate by one resident generator: off, eqld, off, auditd, off, ... (the agents' order swapped every cycle), ${SETTLE_MS} ms after each switch before a slot and after a slot before its CPU is read.`,
  `- setups: process: eqld with the bundled rules (one bpftrace), auditd with \`-a always,exit -F arch=b64 ${AUDIT_SYSCALLS.map((x) => `-S ${x}`).join(' ')}\` (as docs/benchmarks/overhead.md); file: eqld also with six of Elastic's file rules (test/fixtures/elastic-file-rules: both bpftrace programs, file events built), auditd also with \`-a always,exit -F arch=b64 ${FILE_AUDIT_RULE.syscalls.map((x) => `-S ${x}`).join(' ')} -F success=1\` (as docs/benchmarks/file-overhead.md).`,
  "- an agent's cost per exec in a slot: on the load, the load's CPU (its BPF programs or audit hooks run in the traced tasks) against the mean of the off slots on either side, plus for eqld what its BPF programs still run behind the closed gate in those (bpf_stats); its own CPU (schedstat of all its threads: eqld's node, bpftrace and the rsyslogd receiving its alerts; auditd and kauditd) in the slot and in the off slot after it (where the end of its work lands), each less its idle rate (its median in the off slots after the other agent's). ± is a 95 % interval of the mean over the cycles. In neither: what the kernel spends calling eqld's BPF programs outside their run time, and the audit context every task gets once audit has been enabled since boot (the syscall-exit slow path, in every slot, as in every other bench after auditd's first run).",
  '',
  '| setup | rate | agent | on the load, µs/exec | own CPU, µs/exec | total, µs/exec | total, % of a core at the rate |',
  '|---|---|---|---|---|---|---|',
  ...rows,
  '',
  ...notes,
  `- target (issues 11, 12): eqld's extra CPU at or below auditd's beyond the noise: the 95 % interval of eqld − auditd below 0 — ${verdicts.join('; ')}`,
  '',
];
mkdirSync('docs/benchmarks', { recursive: true });
writeFileSync('docs/benchmarks/overhead-paired.md', lines.join('\n'));
process.stdout.write(`${lines.join('\n')}\n`);
