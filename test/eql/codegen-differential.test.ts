// Generated filters (src/eql/codegen.ts) against the closures they replace: for every query at
// hand (Elastic's Linux corpus, the bundled rules, every query written in the EQL tests, and
// Elasticsearch's spec queries when their files are present), each filter of the query (event
// query, sequence/sample stages, until) is compiled both ways and both must give the same answer
// on every document of a large set: the EQL bench's stream, the Elastic Defend samples, and near
// misses built from the query's own fields and literals (each field removed, null, re-cased,
// multi-valued, a number as a string and back, nested arrays, lone surrogates, flattened keys).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import type { Expr } from '../../src/eql/ast.js';
import { logicalParts } from '../../src/eql/chains.js';
import { type CompiledQuery, type CompileOptions, compileQuery, parseQuery } from '../../src/eql/index.js';
import { BUNDLED_RULES_DIR } from '../../src/rules/bundled.js';
import { type Doc, setPath } from '../support/doc-path.js';
import { mulberry32 } from '../support/prng.js';
import { SHARED_DATA, sharedPath } from '../support/shared-data.js';
import { makeDocs } from '../support/synthetic-ecs.js';
import { loadSuites, missingUpstreamFiles } from './conformance/upstream.js';

interface Source {
  origin: string;
  query: string;
  opts?: CompileOptions;
  docs?: Doc[];
}

/** every string literal in the EQL and rule tests that compiles as a query */
function testQueries(): Source[] {
  const dirs = [new URL('.', import.meta.url).pathname, new URL('../rules/', import.meta.url).pathname];
  const out: Source[] = [];
  const seen = new Set<string>();
  for (const dir of dirs)
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.ts'))) {
      const file = join(dir, f);
      const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
      const visit = (n: ts.Node): void => {
        if ((ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) && /\bwhere\b/.test(n.text)) {
          if (!seen.has(n.text)) {
            seen.add(n.text);
            try {
              compileQuery(n.text);
              out.push({ origin: f, query: n.text });
            } catch {
              // not a query, or one the test expects to be rejected
            }
          }
        }
        ts.forEachChild(n, visit);
      };
      visit(sf);
    }
  return out;
}

function corpusQueries(): Source[] {
  if (!SHARED_DATA) return [];
  const rules = JSON.parse(readFileSync(sharedPath('elastic-linux-eql-rules.json'), 'utf8')) as {
    path: string;
    query: string;
  }[];
  return rules.map((r) => ({ origin: r.path, query: r.query }));
}

function bundledQueries(): Source[] {
  return readdirSync(BUNDLED_RULES_DIR)
    .filter((f) => f.endsWith('.toml'))
    .map((f) => {
      const t = parseToml(readFileSync(join(BUNDLED_RULES_DIR, f), 'utf8')) as { rule: { query: string } };
      return { origin: `rules/${f}`, query: t.rule.query };
    });
}

function specQueries(): Source[] {
  if (missingUpstreamFiles().length > 0) return [];
  return loadSuites().flatMap((s) => {
    const docs = s.data.events.map((e) => e.doc);
    return s.cases.map((c) => ({
      origin: `${s.name}/${c.name}`,
      query: c.query,
      opts: { fields: s.data.fields },
      docs,
    }));
  });
}

function defendSamples(): Doc[] {
  if (!SHARED_DATA) return [];
  const dir = sharedPath('elastic-defend-samples');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Doc);
}

// ---- near misses from the query itself

/** a string a wildcard pattern matches (`*` dropped, `?` as one letter) */
const wildcardSample = (p: string) => p.replaceAll('*', '').replaceAll('?', 'q');

/** the fields an expression reads, each with values that decide its leaves one way or the other */
function fieldSamples(e: Expr, out: Map<string, unknown[]>): void {
  const add = (name: string, v: unknown) => {
    const l = out.get(name) ?? [];
    if (!l.some((x) => Object.is(x, v))) l.push(v);
    out.set(name, l);
  };
  const walk = (x: Expr): void => {
    switch (x.kind) {
      case 'field':
        add(x.name, true);
        return;
      case 'literal':
        return;
      case 'not':
      case 'neg':
      case 'isnull':
        walk(x.expr);
        return;
      case 'logical':
        for (const p of logicalParts(x)) walk(p);
        return;
      case 'compare':
      case 'arith':
        if (x.left.kind === 'field' && x.right.kind === 'literal') add(x.left.name, x.right.value);
        if (x.right.kind === 'field' && x.left.kind === 'literal') add(x.right.name, x.left.value);
        walk(x.left);
        walk(x.right);
        return;
      case 'in':
        if (x.left.kind === 'field')
          for (const v of x.values) if (v.kind === 'literal') add(x.left.name, v.value);
        walk(x.left);
        for (const v of x.values) walk(v);
        return;
      case 'match':
        if (x.left.kind === 'field')
          for (const p of x.patterns) {
            add(x.left.name, wildcardSample(String(p.value)));
            add(x.left.name, String(p.value));
          }
        walk(x.left);
        return;
      case 'call': {
        const [a0, ...rest] = x.args;
        if (a0?.kind === 'field')
          for (const a of rest)
            if (a.kind === 'literal' && typeof a.value === 'string') {
              add(a0.name, a.value);
              add(a0.name, `${a.value.split('/')[0]}`);
              add(a0.name, `pre${a.value}post`);
            }
        for (const a of x.args) walk(a);
        return;
      }
    }
  };
  walk(e);
}

/** the ways a value is turned into a near miss */
const VARIANTS: ((v: unknown) => unknown)[] = [
  () => undefined,
  () => null,
  () => [],
  (v) => (typeof v === 'string' ? v.toUpperCase() : v),
  (v) => (typeof v === 'string' ? v.toLowerCase() : v),
  (v) => (typeof v === 'string' ? `${v[0]?.toUpperCase() ?? ''}${v.slice(1)}` : v),
  (v) => [v, 'zz'],
  (v) => ['zz', v],
  (v) => [[v], null],
  (v) => [{ nested: v }],
  (v) => (typeof v === 'number' ? String(v) : typeof v === 'string' && v !== '' ? Number(v) : v),
  (v) => (typeof v === 'boolean' ? String(v) : v === 'true' ? true : v === 'false' ? false : 1),
  (v) => `${String(v)}\ud800`,
  (v) => `\udc00${String(v)}`,
  (v) => `x${String(v)}`,
  (v) => `${String(v)}x`,
  (v) => (typeof v === 'number' ? v + 0.5 : typeof v === 'number' ? -v : 0),
  (v) => (typeof v === 'number' ? -v : 2 ** 40),
  () => Number.NaN,
  () => '',
  () => ({ a: 1 }),
];

function nearMisses(q: CompiledQuery, fields: Map<string, unknown[]>, seed: number): Doc[] {
  const names = [...fields.keys()];
  const cats = q.categories === 'any' ? ['process', 'network', 'file'] : [...q.categories, 'other-category'];
  const r = mulberry32(seed);
  const docs: Doc[] = [];
  const build = (cat: unknown, pick: (f: string, i: number) => unknown, flat = false): Doc => {
    const d: Doc = {};
    setPath(d, 'event.category', cat);
    names.forEach((f, i) => {
      const v = pick(f, i);
      if (v === undefined) return;
      if (flat) d[f] = v;
      else setPath(d, f, v);
    });
    return d;
  };
  for (const cat of cats) {
    const first = (f: string) => (fields.get(f) as unknown[])[0];
    docs.push(build([cat, 'x'], first), build(cat, first, true));
    // the k-th value of every field
    const most = Math.max(...[...fields.values()].map((vs) => vs.length));
    for (let k = 0; k < Math.min(most, 12); k++)
      docs.push(build(cat, (f) => (fields.get(f) as unknown[])[k % (fields.get(f) as unknown[]).length]));
    for (const f of names) {
      for (const v of fields.get(f) as unknown[]) docs.push(build(cat, (g) => (g === f ? v : first(g))));
      for (const vary of VARIANTS) docs.push(build(cat, (g) => (g === f ? vary(first(g)) : first(g))));
    }
    for (let k = 0; k < 120; k++)
      docs.push(
        build(cat, (f) => {
          const vs = fields.get(f) as unknown[];
          const v = vs[Math.floor(r() * vs.length)];
          return r() < 0.2 ? (VARIANTS[Math.floor(r() * VARIANTS.length)] as (x: unknown) => unknown)(v) : v;
        }),
      );
  }
  return docs;
}

function filters(q: CompiledQuery): { name: string; test: (d: Doc) => boolean }[] {
  const out = q.filter ? [{ name: 'filter', test: q.filter.test }] : [];
  q.stages.forEach((s, i) => {
    out.push({ name: `stage ${i + 1}`, test: s.filter.test });
  });
  if (q.until) out.push({ name: 'until', test: q.until.filter.test });
  return out;
}

interface Outcome {
  filters: number;
  evaluations: number;
  /** filters some document passed */
  matched: number;
  mismatches: string[];
}

function compare(sources: Source[], common: Doc[]): Outcome {
  const o: Outcome = { filters: 0, evaluations: 0, matched: 0, mismatches: [] };
  sources.forEach((s, n) => {
    let closures: CompiledQuery;
    try {
      closures = compileQuery(s.query, { ...s.opts, codegen: false });
    } catch {
      // rejected either way (the spec has queries Elasticsearch rejects)
      expect(() => compileQuery(s.query, s.opts), s.origin).toThrow();
      return;
    }
    const generated = compileQuery(s.query, s.opts);
    const fields = new Map<string, unknown[]>();
    const st = parseQuery(s.query).query;
    const conditions =
      st.kind === 'event'
        ? [st.condition]
        : [...st.stages, ...(st.kind === 'sequence' && st.until ? [st.until] : [])].map(
            (x) => x.query.condition,
          );
    for (const c of conditions) fieldSamples(c, fields);
    const docs = [...common, ...(s.docs ?? []), ...nearMisses(closures, fields, n + 1)];
    const want = filters(closures);
    const got = filters(generated);
    want.forEach((w, i) => {
      const g = got[i] as (typeof got)[number];
      o.filters++;
      let matched = false;
      for (const d of docs) {
        const a = w.test(d);
        const b = g.test(d);
        o.evaluations++;
        if (a) matched = true;
        if (a !== b && o.mismatches.length < 20)
          o.mismatches.push(
            `${s.origin} ${w.name}: closures ${a}, generated ${b} on ${JSON.stringify(d)}\n  ${s.query}`,
          );
      }
      if (matched) o.matched++;
    });
  });
  return o;
}

describe('generated filters agree with the closures they replace', () => {
  const common = [...makeDocs(300), ...defendSamples()];

  it.each([
    ['the corpus rules', corpusQueries],
    ['the bundled rules', bundledQueries],
    ['the queries of the EQL and rule tests', testQueries],
    ["Elasticsearch's spec queries (when present)", specQueries],
  ] as const)('on %s, over the bench stream, Defend samples and near misses', (_name, load) => {
    const sources = load();
    const o = compare(sources, common);
    expect(o.mismatches).toEqual([]);
    if (sources.length === 0) return;
    // the documents decide both ways: most filters pass some of them
    expect(o.matched / o.filters).toBeGreaterThan(0.5);
    expect(o.evaluations).toBeGreaterThan(sources.length * 100);
  });
});
