// compileQuery: EQL text -> CompiledQuery, a parsed and validated query whose conditions are
// closures (compile-expr.ts), ready for createMatcher(). It names the event categories the query
// reads so the rule layer offers it only those events ('any' when a stage is `any where`).
import type { EventQuery, Expr, Pipe, Stage, Statement } from './ast.js';
import { type CompileOptions, type Eval, ExprCompiler, type Pred } from './compile-expr.js';
import { EqlError } from './errors.js';
import { keyConstraints, replaceField } from './join-constraints.js';
import { parseQuery } from './parser.js';
import { type Prefilter, queryPrefilter } from './prefilter.js';

export interface EventFilter {
  category: string;
  test: Pred;
}

export interface JoinKey {
  get: Eval;
  /** a null value joins as null instead of excluding the event: `?field` keys (Elasticsearch adds
   *  the not-null filter only for plain field keys, Optimizer.AddMandatoryJoinKeyFilter) and every
   *  `until` key (the filter is not added to `until`) */
  optional: boolean;
  source: string;
}

export interface CompiledStage {
  filter: EventFilter;
  keys: JoinKey[];
  missing: boolean;
}

export interface CompiledQuery {
  kind: 'event' | 'sequence' | 'sample';
  categories: ReadonlySet<string> | 'any';
  source: string;
  statement: Statement;
  /** event queries */
  filter?: EventFilter;
  /** sequence/sample stages, `runs` expanded */
  stages: CompiledStage[];
  until?: CompiledStage;
  maxspanMs?: number;
  pipes: Pipe[];
  /** necessary literal condition for the rule layer's (field, value) index (prefilter.ts); absent: none */
  prefilter?: Prefilter;
  /** evaluations of computed conditions Elasticsearch would have failed (overflow, division by zero) */
  evalErrors: () => number;
}

export { inCategory } from './compile-expr.js';

function compileFilter(q: EventQuery, ec: ExprCompiler, rewritten = ec.rewrite(q.condition)): EventFilter {
  return { category: q.category, test: ec.filter(q.category, rewritten) };
}

function keyOf(e: Expr, ec: ExprCompiler, text: string, nullable = false): JoinKey {
  const k = ec.key(e);
  return {
    get: k.get,
    optional: nullable || k.constant || (e.kind === 'field' && e.optional),
    source: e.kind === 'field' ? e.name : text.slice(e.at, e.at + 40),
  };
}

export function compileStatement(st: Statement, opts: CompileOptions = {}): CompiledQuery {
  const ec = new ExprCompiler(st.source, opts);
  const evalErrors = () => ec.counters.errors;
  const q = st.query;
  if (q.kind === 'event') {
    const ev: CompiledQuery = {
      kind: 'event',
      categories: q.category === 'any' ? 'any' : new Set([q.category]),
      source: st.source,
      statement: st,
      filter: compileFilter(q, ec),
      stages: [],
      pipes: st.pipes,
      evalErrors,
    };
    return withPrefilter(ev);
  }
  const top = q.by.map((k) => keyOf(k, ec, st.source));
  const stage = (s: Stage, isUntil = false, filter?: EventFilter): CompiledStage => ({
    filter: filter ?? compileFilter(s.query, ec),
    keys: [
      ...(isUntil ? q.by.map((k) => keyOf(k, ec, st.source, true)) : top),
      ...s.by.map((k) => keyOf(k, ec, st.source, isUntil)),
    ],
    missing: s.missing,
  });
  // each stage's condition with the constraints the other stages put on their join keys
  // (Optimizer.PropagateJoinKeyConstraints, join-constraints.ts); not for `until`
  const rewritten = q.stages.map((s) => ec.rewrite(s.query.condition));
  const keyExprs = q.stages.map((s) => [...q.by, ...s.by].map((k) => ec.rewrittenKey(k)));
  const constraints = keyConstraints(
    rewritten,
    keyExprs.map((ks) => ks.map((k) => (k.kind === 'field' ? k.name : null))),
    q.stages.map((s) => s.missing),
  );
  const stages: CompiledStage[] = [];
  q.stages.forEach((s, t) => {
    const also = constraints
      .filter((c) => c.stage !== t)
      .map((c) => {
        const target = (keyExprs[t] as Expr[])[c.key] as Expr;
        const e = replaceField(c.condition, c.field, target);
        return target.kind === 'field' ? e : ec.foldConstant(e);
      });
    const c = stage(s, false, compileFilter(s.query, ec, ec.withConjuncts(rewritten[t] as Expr, also)));
    for (let i = 0; i < s.runs; i++) stages.push(c);
  });
  const widths = new Set(stages.map((s) => s.keys.length));
  const until = q.kind === 'sequence' && q.until ? stage(q.until, true) : undefined;
  if (until) widths.add(until.keys.length);
  if (widths.size > 1) {
    const bad = [...q.stages, ...(q.kind === 'sequence' && q.until ? [q.until] : [])].find(
      (s) => s.by.length !== (q.stages[0] as Stage).by.length,
    ) as Stage;
    throw new EqlError(
      'syntax',
      'Every stage must have the same number of `by` join keys',
      st.source,
      bad.at,
    );
  }
  const all = [...q.stages, ...(q.kind === 'sequence' && q.until ? [q.until] : [])];
  const categories = all.some((s) => s.query.category === 'any')
    ? 'any'
    : new Set(all.map((s) => s.query.category));
  const out: CompiledQuery = {
    kind: q.kind,
    categories,
    source: st.source,
    statement: st,
    stages,
    pipes: st.pipes,
    evalErrors,
  };
  if (until) out.until = until;
  if (q.kind === 'sequence' && q.maxspanMs !== undefined) out.maxspanMs = q.maxspanMs;
  return withPrefilter(out);
}

function withPrefilter(cq: CompiledQuery): CompiledQuery {
  const p = queryPrefilter(cq);
  if (p) cq.prefilter = p;
  return cq;
}

/** Parses, validates and compiles a query; throws EqlError (line, column, caret) on any problem.
 *  `fields`, when given, is the data's mapping: what optional fields resolve against. */
export function compileQuery(text: string, opts: CompileOptions = {}): CompiledQuery {
  return compileStatement(parseQuery(text), opts);
}
