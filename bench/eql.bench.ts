// EQL engine throughput and state bounds. Writes docs/benchmarks/eql.md.
// (a) the two bundled rules and (b) every corpus rule eqld's telemetry can feed (the rule layer's
// inactiveNeeds is empty), each event offered only to the rules the rule layer's RuleSet picks for it
// (category, literal prefilter, index patterns; also once without the prefilter), over a synthetic
// mixed stream of 1M Defend-shaped ECS events (exec/fork/end/session_id_change + connection_attempted;
// synthetic, seeded, as no recorded stream of that size ships with the repository); then the peak
// state and heap under a stage-1 flood of distinct join keys against the per-matcher cap.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  type CompiledQuery,
  compileQuery,
  createMatcher,
  type EqlEvent,
  type Matcher,
} from '../src/eql/index.js';
import { BUNDLED_RULES_DIR } from '../src/rules/bundled.js';
import { type LoadedRule, loadRules } from '../src/rules/load-rules.js';
import { RuleSet } from '../src/rules/rule-set.js';
import { mulberry32 as rng } from '../test/support/prng.js';

const N = Number(process.env.EQLD_BENCH_EVENTS ?? 1_000_000);
// (b) over the 1M events too (~15 s): over 100,000 the first ~25,000 events carry the
// JIT's warm-up of the corpus rules (its compiler threads' CPU counts too) and skew the figure
const NB = Number(process.env.EQLD_BENCH_EVENTS_B ?? 1_000_000);
// the comparison run without the prefilter is ~20x slower per event
const NB0 = Number(process.env.EQLD_BENCH_EVENTS_B0 ?? 20_000);
const POOL = 1_000;
v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
/** the corpus, found as test/support/shared-data.ts finds it (that module imports vitest, which
 *  throws outside a test run): $EQLD_SHARED_DATA, ../shared/data beside the checkout, /work/shared/data */
function corpusDir(): string {
  const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const found = [process.env.EQLD_SHARED_DATA, join(repo, '..', 'shared', 'data'), '/work/shared/data']
    .filter((p): p is string => typeof p === 'string' && p.length > 0)
    .map((p) => join(p, 'elastic-detection-rules'))
    .find((p) => existsSync(p));
  if (!found) throw new Error('shared data not found (set EQLD_SHARED_DATA)');
  return found;
}
const CORPUS = corpusDir();

const NAMES = [
  'bash',
  'sh',
  'python3',
  'curl',
  'wget',
  'sshd',
  'cron',
  'systemd',
  'nc',
  'ls',
  'cat',
  'grep',
  'node',
  'git',
  'sudo',
  'id',
  'openssl',
  'perl',
];
const DIRS = ['/usr/bin', '/bin', '/usr/sbin', '/tmp', '/home/u', '/opt/app'];
const IPS = [
  '10.0.0.5',
  '8.8.8.8',
  '1.1.1.1',
  '192.168.1.20',
  '127.0.0.1',
  '203.0.113.9',
  '2606:4700::1111',
  '::1',
];

/** A pool of distinct documents; the stream cycles through it with fresh timestamps. */
function makeDocs(count: number): Record<string, unknown>[] {
  const r = rng(42);
  const pick = <T>(a: readonly T[]) => a[Math.floor(r() * a.length)] as T;
  const docs: Record<string, unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const name = pick(NAMES);
    const pname = pick(NAMES);
    const entity = `e${Math.floor(r() * 5000)}`;
    const parentEntity = `e${Math.floor(r() * 5000)}`;
    const exe = `${pick(DIRS)}/${name}`;
    const args = [
      exe,
      ...Array.from({ length: Math.floor(r() * 4) }, () => pick(['-c', '-e', 'x', '/tmp/a', '--help', '-l'])),
    ];
    const process = {
      pid: 1000 + i,
      name,
      executable: exe,
      args,
      args_count: args.length,
      command_line: args.join(' '),
      working_directory: pick(DIRS),
      entity_id: entity,
      parent: {
        pid: 900,
        name: pname,
        executable: `/usr/bin/${pname}`,
        entity_id: parentEntity,
        args: [pname],
        command_line: pname,
      },
    };
    const roll = r();
    const base = {
      host: { id: 'h1', os: { type: 'linux' }, name: 'bench' },
      user: { id: r() < 0.3 ? '0' : '1000', name: r() < 0.3 ? 'root' : 'u' },
      process,
    };
    if (roll < 0.25) {
      docs.push({
        ...base,
        event: { category: ['network'], type: ['start'], action: 'connection_attempted' },
        destination: { ip: pick(IPS), port: pick([22, 80, 443, 4444, 53]) },
        source: { ip: '10.0.0.2', port: 40000 + (i % 20000) },
        network: { direction: 'egress', transport: 'tcp' },
      });
    } else if (roll < 0.3) {
      docs.push({ ...base, event: { category: ['process'], type: ['change'], action: 'session_id_change' } });
    } else if (roll < 0.45) {
      docs.push({
        ...base,
        event: { category: ['process'], type: ['end'], action: 'end' },
        process: { ...process, exit_code: 0 },
      });
    } else if (roll < 0.6) {
      docs.push({ ...base, event: { category: ['process'], type: ['start'], action: 'fork' } });
    } else {
      docs.push({ ...base, event: { category: ['process'], type: ['start'], action: 'exec' } });
    }
  }
  return docs;
}

interface Routed {
  set: RuleSet;
  matchers: Map<LoadedRule, Matcher>;
}

/** the rule layer's routing (src/rules/rule-set.ts): category, literal prefilter, index patterns */
function route(rules: readonly LoadedRule[], prefilter = true): Routed {
  const matchers = new Map<LoadedRule, Matcher>();
  for (const r of rules) matchers.set(r, createMatcher(r.compiled as CompiledQuery));
  return { set: new RuleSet(rules, { prefilter }), matchers };
}

function run(
  routed: Routed,
  docs: Record<string, unknown>[],
  n: number,
): { seconds: number; matches: number; cpu: number; offered: number } {
  let matches = 0;
  let offered = 0;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const doc = docs[i % docs.length] as Record<string, unknown>;
    const e: EqlEvent = { doc, timestamp: 1_700_000_000_000 + i, sequence: i };
    for (const r of routed.set.candidates(doc)) {
      offered++;
      matches += (routed.matchers.get(r) as Matcher).push(e).length;
    }
    if ((i & 0xffff) === 0) {
      for (const m of routed.matchers.values()) matches += m.advance(e.timestamp).length;
    }
  }
  for (const m of routed.matchers.values()) matches += m.flush().length;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(cpu0);
  return { seconds, matches, cpu: (c.user + c.system) / 1e6, offered };
}

function flood(cap: number, n: number): { peak: number; evicted: number; heapMiB: number } {
  const cq = compileQuery(
    'sequence by process.entity_id with maxspan=1h [process where event.action == "exec"] [network where true]',
  );
  gc();
  const heap0 = process.memoryUsage().heapUsed;
  const m = createMatcher(cq, { maxPartials: cap });
  for (let i = 0; i < n; i++) {
    m.push({
      doc: { event: { category: 'process', action: 'exec' }, process: { entity_id: `flood-${i}` } },
      timestamp: 1_700_000_000_000 + i,
      sequence: i,
    });
  }
  gc();
  const heapMiB = (process.memoryUsage().heapUsed - heap0) / 2 ** 20;
  const st = m.stats();
  m.push({ doc: {}, timestamp: 0, sequence: 0 }); // keep m alive across the measurement
  return { peak: st.peakPartials, evicted: st.evictedOldest, heapMiB };
}

const sh = (cmd: string, args: string[]) => {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8' }).trim();
  } catch {
    return 'unavailable';
  }
};

const docs = makeDocs(POOL);
const load0 = loadavg()[0] as number;
const bundled = loadRules([BUNDLED_RULES_DIR], { compile: compileQuery });
const corpus = loadRules([CORPUS], { compile: compileQuery });
const fed = corpus.rules.filter((r) => r.inactiveNeeds.length === 0);
const fedSequences = fed.filter((r) => r.compiled.kind === 'sequence').length;

process.stdout.write(
  `bundled rules: ${bundled.rules.length}; corpus rules fed by eqld telemetry: ${fed.length} (${fedSequences} sequences)\n`,
);
const a = run(route(bundled.rules), docs, N);
process.stdout.write(`(a) ${(N / a.cpu).toFixed(0)} events/s per CPU-second, ${a.matches} matches\n`);
const b = run(route(fed), docs, NB);
process.stdout.write(
  `(b) ${(NB / b.cpu).toFixed(0)} events/s per CPU-second, ${b.matches} matches, ${(b.offered / NB).toFixed(1)} rules offered per event\n`,
);
// the same without the literal prefilter (every event offered to every rule of its category)
const b0 = run(route(fed, false), docs, NB0);
process.stdout.write(
  `(b, no prefilter) ${(NB0 / b0.cpu).toFixed(0)} events/s per CPU-second, ${b0.matches} matches, ${(b0.offered / NB0).toFixed(1)} rules offered per event\n`,
);
const floods = [10_000, 100_000].map((cap) => ({ cap, ...flood(cap, 1_000_000) }));
for (const f of floods)
  process.stdout.write(
    `flood cap ${f.cap}: peak ${f.peak}, evicted ${f.evicted}, heap +${f.heapMiB.toFixed(1)} MiB\n`,
  );

const rate = (x: { cpu: number; n: number }) => x.n / x.cpu;
const ra = rate({ ...a, n: N });
const rb = rate({ ...b, n: NB });
const verdict = (ok: boolean) => (ok ? 'met' : '**missed**');
const md = [
  '## EQL engine (bench/eql.bench.ts)',
  '',
  `- machine: ${cpus()[0]?.model ?? 'unknown'} x ${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, kernel ${sh('uname', ['-r'])}, node ${process.version}`,
  `- date: ${new Date().toISOString()}`,
  '- command: `npm run bench -- eql` (or `npx vite-node bench/eql.bench.ts`)',
  `- stream: synthetic Defend-shaped events (45% exec, 15% fork, 15% end, 5% session_id_change, 20-25% network connection_attempted) cycling ${POOL.toLocaleString('en')} distinct seeded documents (so they stay in cache, like freshly built events) with increasing @timestamp; ${N.toLocaleString('en')} events for (a), ${NB.toLocaleString('en')} for (b) (${NB0.toLocaleString('en')} without the prefilter); each event offered only to the rules the rule layer's RuleSet picks (category, literal prefilter of src/eql/prefilter.ts, index patterns); single thread, so events per CPU-second is per core`,
  `- load average when the run started: ${load0.toFixed(1)} on ${cpus().length} CPUs (other work was running; figures on an idle machine are higher)`,
  '',
  '| workload | rules | events/s per core (CPU time) | wall s | matches |',
  '| --- | --- | --- | --- | --- |',
  `| (a) bundled rules | ${bundled.rules.length} | ${ra.toFixed(0)} | ${a.seconds.toFixed(2)} | ${a.matches} |`,
  `| (b) corpus rules the telemetry can feed | ${fed.length} (${fedSequences} sequences) | ${rb.toFixed(0)} | ${b.seconds.toFixed(2)} | ${b.matches} |`,
  `| (b) the same, prefilter off (category routing only) | ${fed.length} | ${rate({ ...b0, n: NB0 }).toFixed(0)} | ${b0.seconds.toFixed(2)} | ${b0.matches} |`,
  '',
  '| stage-1 flood (1,000,000 distinct join keys, maxspan 1h) | peak partial sequences | evicted oldest | heap growth |',
  '| --- | --- | --- | --- |',
  ...floods.map(
    (f) =>
      `| cap ${f.cap.toLocaleString('en')} | ${f.peak.toLocaleString('en')} | ${f.evicted.toLocaleString('en')} | ${f.heapMiB.toFixed(1)} MiB |`,
  ),
  '',
  'Targets (issue #4):',
  `- (a) at least 1,000,000 events/s per core: ${verdict(ra >= 1e6)} (${ra.toFixed(0)})`,
  `- (b) at least 100,000 events/s per core: ${verdict(rb >= 1e5)} (${rb.toFixed(0)})`,
  `- memory bounded by the configured cap under a flood: ${verdict(floods.every((f) => f.peak <= f.cap))} (peak never above the cap; heap grows with the cap, not with the flood)`,
  '',
];
mkdirSync('docs/benchmarks', { recursive: true });
writeFileSync('docs/benchmarks/eql.md', `${md.join('\n')}\n`);
process.stdout.write('wrote docs/benchmarks/eql.md\n');
