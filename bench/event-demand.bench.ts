// What leaving unbuilt the events no rule takes saves (docs/rules.md, "Events no rule takes"): a
// stream of fork, exec and exit of /bin/true run through the normalizer and the detector, as
// `eqld run` joins them, with every document built and with the pipeline's demand (the detector's
// wants()), side by side in alternating rounds, for the two bundled rules and for the whole
// corpus (which takes every kind, so it shows what asking costs). CPU per fork+exec+exit, warm
// caches; no kernel. Writes docs/benchmarks/event-demand.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import v8 from 'node:v8';
import vm from 'node:vm';
import pino from 'pino';
import { Detector } from '../src/alerts/detector.js';
import { DEFAULT_TUNING } from '../src/alerts/tuning/config.js';
import type { RawEvent } from '../src/collector/raw-event.js';
import { compileQuery, createMatcher } from '../src/eql/index.js';
import { Normalizer } from '../src/normalize/normalizer.js';
import { UserDb } from '../src/normalize/user-db.js';
import { BUNDLED_RULES_DIR } from '../src/rules/bundled.js';
import { type LoadedRule, loadRules } from '../src/rules/load-rules.js';
import { HOST } from '../test/normalize/harness.js';
import { sharedPath } from '../test/support/shared-data-path.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const ROUNDS = 15;
const PER_ROUND = 20_000;
const TICK = 10_000_000n;
const ROOT = { uid: 0, gid: 0, euid: 0, egid: 0 };

interface Side {
  name: string;
  normalizer: Normalizer;
  built: () => number;
  notBuilt: () => number;
}

function side(name: string, rules: readonly LoadedRule[], gate: boolean): Side {
  const normalizer = new Normalizer({
    host: HOST,
    logger: pino({ level: 'silent' }),
    excludePids: () => false,
    procFallback: false,
    procRoot: '/nonexistent',
    users: new UserDb({ nssLookup: false }),
    alreadyRunning: false,
  });
  const detector = new Detector(rules, DEFAULT_TUNING, { createMatcher: (cq) => createMatcher(cq) });
  let built = 0;
  let notBuilt = 0;
  normalizer.onEvent((e) => {
    built++;
    detector.push(e);
  });
  if (gate) normalizer.setDemand((k) => detector.wants(k));
  normalizer.onNotBuilt(() => notBuilt++);
  return { name, normalizer, built: () => built, notBuilt: () => notBuilt };
}

/** fork, exec and exit of a /bin/true child of pid 500, `count` times from `first` */
function* stream(first: number, count: number): Generator<RawEvent> {
  for (let i = 0; i < count; i++) {
    const pid = 10_000 + ((first + i) % 4_000_000);
    const ticks = 1_000 + first + i;
    const startNs = BigInt(ticks) * TICK;
    const t = 1e9 + (first + i) * 1e6;
    yield {
      kind: 'fork',
      ktimeNs: t,
      parentPid: 500,
      parentTid: 500,
      parentStartNs: 10n * TICK,
      childPid: pid,
      childStartNs: startNs,
    };
    yield {
      kind: 'exec',
      ktimeNs: t + 100,
      pid,
      tid: pid,
      startNs,
      ppid: 500,
      parentStartNs: 10n * TICK,
      comm: 'true',
      filename: '/bin/true',
      argv: ['/bin/true', '--version'],
      argvTruncated: false,
      cwd: '/home/user',
      ...ROOT,
    };
    yield { kind: 'exit', ktimeNs: t + 200, pid, tid: pid, startNs, exitCode: 0 };
  }
}

const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const bundled = loadRules([BUNDLED_RULES_DIR], { compile: compileQuery }).rules;
const corpus = loadRules([sharedPath('elastic-detection-rules')], { compile: compileQuery }).rules;
const pairs: [string, Side, Side][] = [
  ['the two bundled rules', side('all built', bundled, false), side('demand', bundled, true)],
  [
    `the corpus (${corpus.filter((r) => r.inactiveNeeds.length === 0).length} active rules)`,
    side('all built', corpus, false),
    side('demand', corpus, true),
  ],
];

const rows: string[] = [];
let next = 0;
const verdicts: string[] = [];
for (const [rules, all, demand] of pairs) {
  // warm-up: the JIT, and a process table in steady state
  for (const s of [all, demand]) for (const e of stream(next, PER_ROUND)) s.normalizer.push(e);
  next += PER_ROUND;
  const us: Record<string, number[]> = { [all.name]: [], [demand.name]: [] };
  const b0 = { all: all.built(), demand: demand.built(), nb: demand.notBuilt() };
  for (let r = 0; r < ROUNDS; r++) {
    for (const s of r % 2 === 0 ? [all, demand] : [demand, all]) {
      const events = [...stream(next, PER_ROUND)];
      // each round starts from an empty young generation: a collection the previous round left
      // due is not charged to this one
      gc();
      const c0 = cpuUs();
      for (const e of events) s.normalizer.push(e);
      (us[s.name] as number[]).push((cpuUs() - c0) / PER_ROUND);
    }
    next += PER_ROUND;
  }
  const n = ROUNDS * PER_ROUND;
  const fmt = (xs: number[]) =>
    `${median(xs).toFixed(1)} (${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)})`;
  const a = us[all.name] as number[];
  const d = us[demand.name] as number[];
  rows.push(
    `| ${rules} | ${fmt(a)} | ${fmt(d)} | ${((demand.built() - b0.demand) / n).toFixed(2)} of ${((all.built() - b0.all) / n).toFixed(2)} | ${((demand.notBuilt() - b0.nb) / n).toFixed(2)} |`,
  );
  process.stdout.write(`${rules}: all built ${fmt(a)} µs, demand ${fmt(d)} µs per fork+exec+exit\n`);
  if (rules.includes('bundled'))
    verdicts.push(
      `- with the bundled rules, less CPU per fork+exec+exit with the demand than with every document built, the demand's median below the least all-built round (${median(d).toFixed(1)} vs ${Math.min(...a).toFixed(1)} µs): ${median(d) < Math.min(...a) ? 'met' : '**missed**'}`,
    );
  else
    verdicts.push(
      `- with the corpus (every kind taken), asking costs no more than the spread: demand median within the all-built rounds (${Math.min(...a).toFixed(1)}–${Math.max(...a).toFixed(1)} µs): ${median(d) <= Math.max(...a) ? 'met' : '**missed**'}`,
    );
}

const lines = [
  '## Events no rule takes (bench/event-demand.bench.ts)',
  '',
  `- machine: kernel ${release()}, ${cpus()[0]?.model ?? 'unknown'} x ${cpus().length}, node ${process.version}`,
  `- command: \`npm run bench -- event-demand\` (date ${new Date().toISOString()}); no kernel: a synthetic stream of fork, exec and exit of /bin/true, normalizer and detector as \`eqld run\` joins them`,
  `- ${ROUNDS} alternating rounds of ${PER_ROUND.toLocaleString('en-US')} fork+exec+exit per side after a warm-up of as many; CPU of the process (process.cpuUsage) per fork+exec+exit, median (min–max) of the rounds, each after a full collection. Warm caches: at 100 execs/s on a real host each exec's work runs with cold caches and costs 3-10x as much (docs/collector.md).`,
  '',
  '| rules | all built, µs | demand, µs | documents built per fork+exec+exit (demand of all built) | not built per fork+exec+exit |',
  '|---|---|---|---|---|',
  ...rows,
  '',
  ...verdicts,
  '',
];
mkdirSync('docs/benchmarks', { recursive: true });
writeFileSync('docs/benchmarks/event-demand.md', lines.join('\n'));
process.stdout.write(`${lines.join('\n')}\n`);
