// One measurement of bench/eql.bench.ts, run in a fresh `node` process on the built engine of a
// checkout (its dist/), so the engine runs as eqld runs it (no vite-node module wrapper) and two
// checkouts can be measured alike, one process each, in alternating order.
//   node --expose-gc bench/eql-engine.mjs CHECKOUT rules|rules-noprefilter DOCS.json RULES_DIR N
//   node --expose-gc bench/eql-engine.mjs CHECKOUT flood CAP N
// Prints one JSON line.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [root, workload, ...rest] = process.argv.slice(2);
const imp = (p) => import(pathToFileURL(join(root, 'dist', p)).href);
const eql = await imp('eql/index.js');
const gc = globalThis.gc ?? (() => {});

if (workload === 'flood') {
  const cap = Number(rest[0]);
  const n = Number(rest[1]);
  const cq = eql.compileQuery(
    'sequence by process.entity_id with maxspan=1h [process where event.action == "exec"] [network where true]',
  );
  gc();
  const heap0 = process.memoryUsage().heapUsed;
  const m = eql.createMatcher(cq, { maxPartials: cap });
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
  process.stdout.write(`${JSON.stringify({ peak: st.peakPartials, evicted: st.evictedOldest, heapMiB })}\n`);
} else {
  const [docsFile, rulesDir, count] = rest;
  const n = Number(count);
  const { loadRules } = await imp('rules/load-rules.js');
  const { RuleSet } = await imp('rules/rule-set.js');
  const docs = JSON.parse(readFileSync(docsFile, 'utf8'));
  const compile = (text) => eql.compileQuery(text);
  // the rules eqld's telemetry can feed (the rule layer's inactiveNeeds is empty)
  const rules = loadRules([rulesDir], { compile }).rules.filter((r) => r.inactiveNeeds.length === 0);
  const matchers = rules.map((r) => eql.createMatcher(r.compiled));
  const set = new RuleSet(rules, { prefilter: workload === 'rules' });
  // the detector's per-event path (src/alerts/detector.ts push): RuleSet.select() and the rules'
  // states by position; a checkout from before select() (a comparison run) gets its own path,
  // candidates() and a Map lookup per offered rule
  const position = new Map(rules.map((r, i) => [r, i]));
  const picked = typeof set.select === 'function' ? set.selected : new Int32Array(rules.length);
  const select =
    typeof set.select === 'function'
      ? (doc) => set.select(doc)
      : (doc) => {
          const rs = set.candidates(doc);
          for (let k = 0; k < rs.length; k++) picked[k] = position.get(rs[k]);
          return rs.length;
        };
  let matches = 0;
  let offered = 0;
  // one event, in a function of its own: V8 optimizes it as any function, where a loop in the
  // module's top-level code depends on on-stack replacement, whose timing varies (under valgrind
  // it once left the loop in baseline code, doubling the instructions counted)
  const offer = (i) => {
    const doc = docs[i % docs.length];
    const e = { doc, timestamp: 1_700_000_000_000 + i, sequence: i };
    const k1 = select(doc);
    for (let k = 0; k < k1; k++) {
      offered++;
      matches += matchers[picked[k]].push(e).length;
    }
    if ((i & 0xffff) === 0) for (const m of matchers) matches += m.advance(e.timestamp).length;
  };
  gc();
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) offer(i);
  for (const m of matchers) matches += m.flush().length;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(cpu0);
  process.stdout.write(
    `${JSON.stringify({
      n,
      seconds,
      cpu: (c.user + c.system) / 1e6,
      matches,
      offered,
      rules: rules.length,
      sequences: rules.filter((r) => r.compiled.kind === 'sequence').length,
    })}\n`,
  );
}
