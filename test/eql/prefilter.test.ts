// The cross-rule prefilter (src/eql/prefilter.ts) is a NECESSARY condition: unit tests of what it
// derives from tricky queries, and differential properties over the 240 corpus rules eqld's
// telemetry can feed: every rule whose query (any stage, `until`, missing-event stage) accepts an
// event is offered it, and a Detector run with the (field, value) index raises exactly the alerts,
// push by push, of one that offers every event to every rule of its category.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Detector } from '../../src/alerts/detector.js';
import { DEFAULT_TUNING } from '../../src/alerts/tuning/config.js';
import {
  type CompiledQuery,
  compileQuery,
  conditionPrefilter,
  createMatcher,
  DEFAULT_GLOBAL_PARTIALS,
  type EqlEvent,
  type Expr,
  PartialBudget,
  type Prefilter,
  parseQuery,
  passesPrefilter,
} from '../../src/eql/index.js';
import { KIND_FIELDS } from '../../src/normalize/ecs-event.js';
import { getField } from '../../src/rules/field.js';
import { type LoadedRule, loadRules } from '../../src/rules/load-rules.js';
import { RuleSet } from '../../src/rules/rule-set.js';
import { type Doc, setPath } from '../support/doc-path.js';
import { describeShared, sharedPath } from '../support/shared-data.js';

/** the prefilter of an event query's condition, as {field: sorted values} (insensitive marked ~) */
function derive(query: string): Record<string, string[]> | undefined {
  const st = parseQuery(query);
  if (st.query.kind !== 'event') throw new Error('event query expected');
  const p = conditionPrefilter(st.query.condition);
  return p && shape(p);
}

function shape(p: Prefilter): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const t of p) {
    const k = `${t.field}${t.insensitive ? '~' : ''}`;
    const all = [
      ...t.values,
      ...[...t.prefixes].map((x) => `${x}*`),
      ...[...t.suffixes].map((x) => `*${x}`),
      ...[...t.contains].map((x) => `*${x}*`),
    ];
    out[k] = [...new Set([...(out[k] ?? []), ...all])].sort();
  }
  return out;
}

describe('prefilter derivation', () => {
  it('takes == and in on a field as a case-sensitive value set', () => {
    expect(derive('process where process.name == "nc"')).toEqual({ 'process.name': ['nc'] });
    expect(derive('process where "nc" == process.name')).toEqual({ 'process.name': ['nc'] });
    expect(derive('process where process.name in ("nc", "ncat")')).toEqual({
      'process.name': ['nc', 'ncat'],
    });
  });

  it('lower-cases the values of :, in~ and like~ and marks them insensitive', () => {
    expect(derive('process where process.name : "NetCat"')).toEqual({ 'process.name~': ['netcat'] });
    expect(derive('process where process.name in~ ("NC", "Ncat")')).toEqual({
      'process.name~': ['nc', 'ncat'],
    });
    expect(derive('process where process.name like~ "BASH"')).toEqual({ 'process.name~': ['bash'] });
    expect(derive('process where process.name like "Bash"')).toEqual({ 'process.name': ['Bash'] });
  });

  it('takes the literal head of a wildcard pattern, else its literal tail', () => {
    expect(derive('process where process.name : "NC*"')).toEqual({ 'process.name~': ['nc*'] });
    expect(derive('process where process.name : ("nc", "Py?.x")')).toEqual({
      'process.name~': ['nc', 'py*'],
    });
    expect(derive('process where process.name like~ "*SH"')).toEqual({ 'process.name~': ['*sh'] });
    expect(derive('process where process.name like "*/Bin/*sh"')).toEqual({ 'process.name': ['*sh'] });
    // a backslash is a literal character, not an escape (StringUtils.toLikePattern)
    expect(derive('process where process.name like "ab\\\\*c"')).toEqual({ 'process.name': ['ab\\*'] });
    expect(derive('process where process.name like "\\\\*abc"')).toEqual({ 'process.name': ['\\*'] });
  });

  it('takes the longest literal run of a pattern with neither head nor tail', () => {
    expect(derive('process where process.name : "*NC*"')).toEqual({ 'process.name~': ['*nc*'] });
    expect(derive('process where process.name : ("nc*", "*x?")')).toEqual({
      'process.name~': ['*x*', 'nc*'],
    });
    expect(derive('process where process.command_line like "*a*Longer*b?"')).toEqual({
      'process.command_line': ['*Longer*'],
    });
    // a backslash is a literal character and the `*` after it still a wildcard
    expect(derive('process where process.command_line like "*x\\\\*yzw*"')).toEqual({
      'process.command_line': ['*yzw*'],
    });
  });

  it('derives nothing from match-all patterns or from regex', () => {
    expect(derive('process where process.name : ("nc", "*")')).toBeUndefined();
    expect(derive('process where process.name : ("nc", "*?*")')).toBeUndefined();
    expect(derive('process where process.name regex "nc"')).toBeUndefined();
  });

  it('derives nothing from not, !=, not in, negated patterns, null literals and ?field', () => {
    expect(derive('process where not process.name == "nc"')).toBeUndefined();
    expect(derive('process where process.name != "nc"')).toBeUndefined();
    expect(derive('process where process.name not in ("nc")')).toBeUndefined();
    expect(derive('process where not process.name : "nc"')).toBeUndefined();
    expect(derive('process where process.name == null')).toBeUndefined();
    // the terms query drops the null: only "nc" can match
    expect(derive('process where process.name in ("nc", null)')).toEqual({ 'process.name': ['nc'] });
    expect(derive('process where ?process.name == "nc"')).toBeUndefined();
  });

  it('derives nothing from functions, computed values, ranges and field comparisons', () => {
    expect(derive('process where length(process.name) == 2')).toBeUndefined();
    expect(derive('process where startsWith(process.name, "nc")')).toBeUndefined();
    expect(derive('process where process.pid + 1 == 2')).toBeUndefined();
    expect(derive('process where process.pid > 2')).toBeUndefined();
    expect(derive('process where true')).toBeUndefined();
  });

  it('keeps one conjunct of an and (the narrowest) and ignores conjuncts it cannot use', () => {
    expect(
      derive(
        'process where event.type == "start" and not user.id == "0" and process.name regex ".*x.*" and process.name in ("nc", "ncat")',
      ),
    ).toEqual({ 'process.name': ['nc', 'ncat'] });
    // event.type is broad: a rule is filed under it only when nothing else is usable
    expect(derive('process where event.type == "start" and process.name regex ".*x.*"')).toEqual({
      'event.type': ['start'],
    });
    // a one- or two-character substring is found in most values: a value set is preferred to it
    expect(derive('process where process.name : "*x*" and event.action == "exec"')).toEqual({
      'event.action': ['exec'],
    });
    expect(derive('process where process.name : "*curl*" and event.action == "exec"')).toEqual({
      'process.name~': ['*curl*'],
    });
  });

  it('unions the sides of an or, and gives up when one side has nothing', () => {
    expect(derive('process where process.name == "nc" or process.parent.name : "Bash"')).toEqual({
      'process.name': ['nc'],
      'process.parent.name~': ['bash'],
    });
    expect(derive('process where process.name == "nc" or process.parent.name : "*b*"')).toEqual({
      'process.name': ['nc'],
      'process.parent.name~': ['*b*'],
    });
    expect(derive('process where process.name == "nc" or process.parent.name regex "b"')).toBeUndefined();
    expect(derive('process where process.name == "nc" or not process.name == "x"')).toBeUndefined();
  });

  it('compares values as text, as the engine does (numbers, booleans, arrays)', () => {
    const p = conditionPrefilter(
      (parseQuery('process where process.args_count == 2').query as { condition: Expr }).condition,
    ) as Prefilter;
    expect(passesPrefilter(p, { process: { args_count: 2 } })).toBe(true);
    expect(passesPrefilter(p, { process: { args_count: '2' } })).toBe(true);
    expect(passesPrefilter(p, { process: { args_count: 3 } })).toBe(false);
    const a = conditionPrefilter(
      (parseQuery('process where process.args : "-C"').query as { condition: Expr }).condition,
    ) as Prefilter;
    expect(passesPrefilter(a, { process: { args: ['bash', '-c', 'id'] } })).toBe(true);
    expect(passesPrefilter(a, { 'process.args': ['bash', '-C'] })).toBe(true);
    expect(passesPrefilter(a, { process: { args: ['bash', '-x'] } })).toBe(false);
    expect(passesPrefilter(a, { process: {} })).toBe(false);
    const b = conditionPrefilter(
      (parseQuery('process where process.interactive == true').query as { condition: Expr }).condition,
    ) as Prefilter;
    expect(passesPrefilter(b, { process: { interactive: true } })).toBe(true);
    expect(passesPrefilter(b, { process: { interactive: false } })).toBe(false);
  });

  it('gives a sequence the union over its stages, until and missing stages, or nothing', () => {
    const cq = compileQuery(
      'sequence by process.entity_id with maxspan=1m [process where process.name == "a"] ![process where process.name == "m"] [network where event.action == "c"] until [process where event.action == "end"]',
    );
    expect(shape(cq.prefilter as Prefilter)).toEqual({
      'event.action': ['c', 'end'],
      'process.name': ['a', 'm'],
    });
    expect(
      compileQuery(
        'sequence by process.entity_id [process where process.name == "a"] [network where process.name regex ".*b.*"]',
      ).prefilter,
    ).toBeUndefined();
    // a trailing missing-event stage: waiting sequences are released by any event's time
    expect(
      compileQuery(
        'sequence by process.entity_id with maxspan=1m [process where process.name == "a"] ![process where process.name == "m"]',
      ).prefilter,
    ).toBeUndefined();
    expect(
      compileQuery(
        'sample by host.id [process where process.name == "a"] [network where event.action == "c"]',
      ).prefilter,
    ).toBeDefined();
  });
});

// ---------------------------------------------------------------------------------------------
// Differential properties over the corpus

function flatten(doc: Doc, prefix = '', out: Doc = {}): Doc {
  for (const [k, v] of Object.entries(doc)) {
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) flatten(v as Doc, `${prefix}${k}.`, out);
    else out[`${prefix}${k}`] = v;
  }
  return out;
}

/** A source of choices: fast-check draws the numbers, so failures shrink and replay. */
type Pick = (n: number) => number;

const variants = (s: string, pick: Pick): string =>
  [s, s.toUpperCase(), s.toLowerCase(), s.charAt(0).toUpperCase() + s.slice(1)][pick(4)] as string;

/** Fills doc so that `e` is likely true: the literal fields its and/or tree tests. */
function satisfy(e: Expr, doc: Doc, pick: Pick): void {
  const put = (f: Expr, v: unknown) => {
    if (f.kind === 'field') setPath(doc, f.name, v, pick(4) === 0);
  };
  switch (e.kind) {
    case 'logical':
      if (e.op === 'and') {
        satisfy(e.left, doc, pick);
        satisfy(e.right, doc, pick);
      } else satisfy(pick(2) === 0 ? e.left : e.right, doc, pick);
      return;
    case 'compare': {
      const [f, lit] = e.right.kind === 'literal' ? [e.left, e.right] : [e.right, e.left];
      if (lit.kind !== 'literal' || lit.value === null) return;
      const v = lit.value;
      if (e.op === '==') put(f, pick(5) === 0 && typeof v === 'number' ? String(v) : v);
      else if (typeof v === 'number') put(f, e.op.startsWith('>') ? v + pick(2) : v - pick(2));
      else if (e.op === '!=') put(f, `${String(v)}x`);
      return;
    }
    case 'in': {
      if (e.negated) return;
      const lits = e.values.filter((v) => v.kind === 'literal').map((v) => v.value);
      const v = lits[pick(Math.max(lits.length, 1))];
      if (v === undefined || v === null) return;
      put(e.left, e.insensitive && typeof v === 'string' ? variants(v, pick) : v);
      return;
    }
    case 'match': {
      if (e.negated || e.op === 'regex' || e.op === 'regex~') return;
      const p = e.patterns[pick(e.patterns.length)]?.value;
      if (typeof p !== 'string') return;
      const fill = ['', 'x', '/tmp/', ' -c '][pick(4)] as string;
      let s = p.replace(/\\(.)/g, '$1').replace(/\*/g, fill).replace(/\?/g, 'a');
      if (e.op !== 'like') s = variants(s, pick);
      put(e.left, s);
      return;
    }
    default:
      return;
  }
}

function stagesOf(cq: CompiledQuery): { category: string; condition: Expr }[] {
  const q = cq.statement.query;
  if (q.kind === 'event') return [{ category: q.category, condition: q.condition }];
  const all = [...q.stages, ...(q.kind === 'sequence' && q.until ? [q.until] : [])];
  return all.map((s) => ({ category: s.query.category, condition: s.query.condition }));
}

const ENTITIES = ['e1', 'e2'];

/** An event aimed at one stage of one rule, with shared join-key values so sequences can form. */
function eventFor(rules: readonly LoadedRule[], pick: Pick): Doc {
  const r = rules[pick(rules.length)] as LoadedRule;
  const stages = stagesOf(r.compiled);
  const st = stages[pick(stages.length)] as { category: string; condition: Expr };
  const cat = st.category === 'any' ? ['process', 'network'][pick(2)] : st.category;
  const entity = ENTITIES[pick(2)] as string;
  const doc: Doc = {
    event: {
      category: [cat],
      type: ['start'],
      action: ['exec', 'fork', 'end', 'connection_attempted'][pick(4)],
    },
    host: { id: 'h1', os: { type: 'linux' } },
    user: { id: '0' },
    process: {
      entity_id: entity,
      pid: 100,
      parent: { entity_id: ENTITIES[pick(2)], pid: 1 },
      group_leader: { entity_id: entity },
      session_leader: { entity_id: entity },
    },
  };
  satisfy(st.condition, doc, pick);
  // now and then: a second rule's literals on top, or the flattened layout Elasticsearch accepts
  if (pick(3) === 0) {
    const o = rules[pick(rules.length)] as LoadedRule;
    const os = stagesOf(o.compiled);
    satisfy((os[pick(os.length)] as { condition: Expr }).condition, doc, pick);
  }
  // now and then a nested array, which the engine flattens and the rule layer's routing does not
  const other = cat === 'process' ? 'network' : 'process';
  (doc.event as Doc).category = pick(8) === 0 ? [other, [cat]] : [cat];
  return pick(6) === 0 ? flatten(doc) : doc;
}

/** every condition of the query that could use the event: event filter, stages, until */
function queryUses(cq: CompiledQuery, doc: Doc): boolean {
  if (cq.filter?.test(doc)) return true;
  if (cq.stages.some((s) => s.filter.test(doc))) return true;
  return cq.until?.filter.test(doc) ?? false;
}

const picker = (seeds: number[]): Pick => {
  let i = 0;
  return (n) => (n <= 1 ? 0 : (seeds[i++ % seeds.length] as number) % n);
};

describeShared('prefilter over the corpus rules eqld can feed', () => {
  const corpus = loadRules([sharedPath('elastic-detection-rules')], { compile: compileQuery });
  const fed = corpus.rules.filter((r) => r.inactiveNeeds.length === 0);
  const withIndex = new RuleSet(fed);
  const without = new RuleSet(fed, { prefilter: false });
  const seedsArb = fc.array(fc.nat(1 << 30), { minLength: 64, maxLength: 64 });

  it('covers the 240 rules, sequences included, most of them with a prefilter', () => {
    expect(fed.length).toBeGreaterThanOrEqual(200);
    const seqs = fed.filter((r) => r.compiled.kind === 'sequence');
    expect(seqs.length).toBeGreaterThanOrEqual(30);
    expect(fed.filter((r) => r.compiled.prefilter).length).toBeGreaterThan(fed.length * 0.8);
    expect(seqs.filter((r) => r.compiled.prefilter).length).toBeGreaterThan(seqs.length * 0.8);
  });

  it('offers every event to every rule any part of whose query accepts it', () => {
    let used = 0;
    let offeredWith = 0;
    let offeredWithout = 0;
    const usingRules = new Set<string>();
    fc.assert(
      fc.property(seedsArb, (seeds) => {
        const doc = eventFor(fed, picker(seeds));
        const got = new Set(withIndex.candidates(doc));
        const all = without.candidates(doc);
        offeredWith += got.size;
        offeredWithout += all.length;
        for (const r of got) expect(all).toContain(r);
        for (const r of all) {
          if (!queryUses(r.compiled, doc)) continue;
          used++;
          usingRules.add(r.rule.ruleId);
          expect(got.has(r), `${r.rule.name} accepts ${JSON.stringify(doc)}`).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
    // the generator reaches most rules, and the index does narrow what is offered
    expect(used).toBeGreaterThan(1000);
    expect(usingRules.size).toBeGreaterThan(fed.length / 2);
    expect(offeredWith * 3).toBeLessThan(offeredWithout);
  });

  it('wants the kind of every event any part of some query accepts', () => {
    // an event's kind: the values of the fields its kind fixes, what the normalizer asks about
    // before it builds a document (RuleSet.wants())
    const kindOf = (doc: Doc): Doc => {
      const k: Doc = {};
      for (const f of KIND_FIELDS) {
        const v = getField(doc, f);
        if (v !== null && v !== undefined) setPath(k, f, v, false);
      }
      return k;
    };
    let used = 0;
    fc.assert(
      fc.property(seedsArb, (seeds) => {
        const doc = eventFor(fed, picker(seeds));
        const user = fed.find((r) => queryUses(r.compiled, doc));
        if (user === undefined) return;
        used++;
        expect(withIndex.wants(kindOf(doc)), `${user.rule.name} accepts ${JSON.stringify(doc)}`).toBe(true);
      }),
      { numRuns: 2000 },
    );
    expect(used).toBeGreaterThan(1000);
  });

  it('a Detector with the index raises exactly the alerts of one without, push by push', () => {
    const plain = fed.map((r) => {
      const { prefilter: _drop, ...compiled } = r.compiled;
      return { ...r, compiled: compiled as CompiledQuery };
    });
    let alerts = 0;
    const ruleIds = new Set<string>();
    // each detector gets its own partial budget: the process-wide one couples the two (and every
    // earlier run's) matchers through its oldest-first eviction, which breaks ties by registration
    const make = (rules: readonly LoadedRule[]) => {
      const budget = new PartialBudget(DEFAULT_GLOBAL_PARTIALS);
      return new Detector(rules, DEFAULT_TUNING, {
        createMatcher: (cq) => createMatcher(cq, { budget }),
        now: () => new Date(0),
      });
    };
    // half the events aim at a sequence rule's stage, so sequences do complete
    const seqRules = fed.filter((r) => r.compiled.kind === 'sequence');
    const fp = (recs: { id: string; type: string; document: unknown }[]) =>
      recs.map((x) => JSON.stringify([x.type, x.id, x.document]));
    fc.assert(
      fc.property(fc.array(seedsArb, { minLength: 10, maxLength: 40 }), (stream) => {
        const a = make(fed);
        const b = make(plain);
        let t = 1_700_000_000_000;
        for (const [i, seeds] of stream.entries()) {
          const pick = picker(seeds);
          const doc = eventFor(pick(2) === 0 ? seqRules : fed, pick);
          t += pick(3) * 500;
          const e: EqlEvent = { doc, timestamp: t, sequence: i };
          expect(fp(a.advance(t))).toEqual(fp(b.advance(t)));
          const ra = a.push(e);
          expect(fp(ra)).toEqual(fp(b.push(e)));
          alerts += ra.length;
          for (const x of ra) ruleIds.add(x.rule.id);
        }
        expect(fp(a.flush())).toEqual(fp(b.flush()));
        const sa = a.stats().rules.map((s) => [s.ruleId, s.matches, s.alerts, s.suppressed]);
        const sb = b.stats().rules.map((s) => [s.ruleId, s.matches, s.alerts, s.suppressed]);
        expect(sa).toEqual(sb);
      }),
      { numRuns: 120 },
    );
    const seqIds = new Set(fed.filter((r) => r.compiled.kind === 'sequence').map((r) => r.rule.ruleId));
    expect(alerts).toBeGreaterThan(100);
    expect([...ruleIds].filter((id) => seqIds.has(id)).length).toBeGreaterThan(3);
  });
});
