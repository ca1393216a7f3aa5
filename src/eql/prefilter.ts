// Cross-rule prefilter: for a compiled query, a cheap NECESSARY condition on literal keyword fields,
// so the rule layer can index rules by (field, value) and offer an event only to the rules it could
// possibly match. The condition is a disjunction of terms "field has a value in this set"; a query
// can match an event (or use it in any stage, `until` or missing-event stage) only if the event
// passes at least one term. It is derived from the AST with the engine's own semantics
// (compile-expr.ts, term-queries.ts): `==`, `in`, `like` match a value whose text (String(value))
// is the literal as a keyword or as a number or boolean it parses to, `:`, `in~`, `like~` compare
// lower-cased text, `in` ignores null literals, a multi-valued field passes when any value does; a
// wildcard pattern (`*` and `?`, no escape character) contributes its literal head (`nc*`: starts
// with "nc"), else its literal tail (`*sh`: ends with "sh"), else its longest literal run
// (`*curl*`: contains "curl"). Anything it cannot prove necessary (`not`, `!=`, `not in`, `*`,
// regex, functions, `== null`, `?field`, comparisons of computed values) yields no term, and a
// query with a stage that yields none gets no prefilter at all (offered every event of its
// categories, as before).
import type { Expr, LiteralNode, Stage } from './ast.js';
import type { CompiledQuery } from './compile.js';
import { fieldGetter, lowerFieldGetter, type Value } from './field.js';
import { wildcardLiterals } from './patterns.js';
import { keywordString, numericTerm } from './term-queries.js';

export interface PrefilterTerm {
  /** the event category the term's stage reads ('any' for `any where`): only such events need it */
  category: string;
  field: string;
  /** values compared lower-cased (`:`, `in~`, `like~`): `values` and `read` are both lower case */
  insensitive: boolean;
  /** the field's possible values as the engine compares them (String(x), lower-cased if insensitive) */
  values: ReadonlySet<string>;
  /** or a value starting with one of these (the literal head of a wildcard pattern `head*...`) */
  prefixes: ReadonlySet<string>;
  /** or a value ending with one of these (the literal tail of a wildcard pattern `...*tail`) */
  suffixes: ReadonlySet<string>;
  /** or a value containing one of these (the longest literal run of a pattern with neither) */
  contains: ReadonlySet<string>;
  /** reads the field as the engine does (lower-cased text when insensitive) */
  read: (doc: Record<string, unknown>) => Value;
}

/** The query may match (or use) an event only if the event passes one of these terms. */
export type Prefilter = readonly PrefilterTerm[];

/** Fields with few distinct values across events: a term on them barely narrows anything. */
const BROAD_FIELDS = new Set([
  'event.type',
  'event.category',
  'event.kind',
  'event.outcome',
  'event.module',
  'event.dataset',
  'data_stream.dataset',
  'data_stream.namespace',
  'data_stream.type',
  'agent.type',
  'host.os.type',
  'host.os.name',
  'host.os.family',
  'host.os.platform',
  'network.direction',
  'network.transport',
  'network.protocol',
  'network.type',
  'user.id',
  'user.name',
]);

/** a substring shorter than this (`-`, `/`) is found in most values: such a term barely narrows */
const MIN_SELECTIVE_CONTAINS = 3;

/** heuristic cost of indexing a rule under a disjunction (lower narrows more) */
function cost(terms: Prefilter): number {
  let c = 0;
  for (const t of terms) {
    const w = BROAD_FIELDS.has(t.field) ? 1000 : t.field === 'event.action' ? 50 : 1;
    let short = 0;
    for (const x of t.contains) if (x.length < MIN_SELECTIVE_CONTAINS) short++;
    c +=
      w +
      0.05 * (t.values.size + 2 * (t.prefixes.size + t.suffixes.size) + 4 * t.contains.size) +
      100 * short;
  }
  return c;
}

/** the texts of values a term query for the literal matches (String(x) of a keyword, a number or
 *  a boolean value) */
function termTexts(lit: LiteralNode): string[] {
  const s = keywordString(lit);
  if (s === null) return [];
  const out = [s];
  const n = numericTerm(lit);
  if (n !== null && !Number.isNaN(n) && String(n) !== s) out.push(String(n));
  return out;
}

function term(
  category: string,
  field: string,
  insensitive: boolean,
  values: string[],
  prefixes: string[] = [],
  suffixes: string[] = [],
  contains: string[] = [],
): PrefilterTerm {
  const low = (a: string[]) => new Set(insensitive ? a.map((v) => v.toLowerCase()) : a);
  return {
    category,
    field,
    insensitive,
    values: low(values),
    prefixes: low(prefixes),
    suffixes: low(suffixes),
    contains: low(contains),
    read: insensitive ? lowerFieldGetter(field) : fieldGetter(field),
  };
}

/** A term for one comparison-like node, or undefined when it is not a plain literal test. */
function literalTerm(e: Expr, category: string): PrefilterTerm | undefined {
  switch (e.kind) {
    case 'compare': {
      if (e.op !== '==') return undefined;
      const [f, lit] =
        e.left.kind === 'field' && e.right.kind === 'literal'
          ? [e.left, e.right]
          : e.right.kind === 'field' && e.left.kind === 'literal'
            ? [e.right, e.left]
            : [undefined, undefined];
      if (!f || !lit || f.optional) return undefined;
      const texts = termTexts(lit);
      return texts.length === 0 ? undefined : term(category, f.name, false, texts);
    }
    case 'in': {
      if (e.negated || e.left.kind !== 'field' || e.left.optional) return undefined;
      const vals: string[] = [];
      for (const v of e.values) {
        if (v.kind !== 'literal') return undefined;
        // null values are dropped from the terms query
        if (e.insensitive) {
          const s = keywordString(v);
          if (s !== null) vals.push(s);
        } else vals.push(...termTexts(v));
      }
      return vals.length === 0 ? undefined : term(category, e.left.name, e.insensitive, vals);
    }
    case 'match': {
      if (e.negated || e.left.kind !== 'field' || e.left.optional) return undefined;
      if (e.op === 'regex' || e.op === 'regex~') return undefined;
      const insensitive = e.op !== 'like';
      const vals: string[] = [];
      const heads: string[] = [];
      const tails: string[] = [];
      const inner: string[] = [];
      for (const p of e.patterns) {
        if (typeof p.value !== 'string') return undefined;
        const s = insensitive ? p.value.toLowerCase() : p.value;
        const first = s.search(/[*?]/);
        if (first < 0) {
          vals.push(s);
          continue;
        }
        // text before the first wildcard is a literal head every match starts with, text after the
        // last one a literal tail every match ends with
        let last = first;
        for (let i = s.length - 1; i > first; i--)
          if (s[i] === '*' || s[i] === '?') {
            last = i;
            break;
          }
        if (first > 0) heads.push(s.slice(0, first));
        else if (last < s.length - 1) tails.push(s.slice(last + 1));
        else {
          // neither: every match contains each literal run of the pattern; the longest is kept
          let longest = '';
          for (const lit of wildcardLiterals(s)) if (lit.length > longest.length) longest = lit;
          if (longest === '') return undefined;
          inner.push(longest);
        }
      }
      return term(category, e.left.name, insensitive, vals, heads, tails, inner);
    }
    default:
      return undefined;
  }
}

/** Flattens a chain of one logical operator (left-deep trees) without recursion. */
function chain(e: Expr, op: 'and' | 'or'): Expr[] {
  const parts: Expr[] = [];
  const todo: Expr[] = [e];
  while (todo.length > 0) {
    const x = todo.pop() as Expr;
    if (x.kind === 'logical' && x.op === op) todo.push(x.right, x.left);
    else parts.push(x);
  }
  return parts;
}

/**
 * A necessary condition for `condition` as a disjunction of terms, or undefined when none is
 * derivable. For `a and b` any conjunct's condition is necessary (the cheapest is kept); for
 * `a or b` it is the union of both sides' conditions, and only if both have one.
 */
export function conditionPrefilter(condition: Expr, category = 'any', depth = 0): Prefilter | undefined {
  if (depth > 16) return undefined;
  if (condition.kind === 'logical' && condition.op === 'and') {
    let best: Prefilter | undefined;
    for (const c of chain(condition, 'and')) {
      const p = conditionPrefilter(c, category, depth + 1);
      if (p && (!best || cost(p) < cost(best))) best = p;
    }
    return best;
  }
  if (condition.kind === 'logical' && condition.op === 'or') {
    const out: PrefilterTerm[] = [];
    for (const c of chain(condition, 'or')) {
      const p = conditionPrefilter(c, category, depth + 1);
      if (!p) return undefined;
      out.push(...p);
    }
    return out;
  }
  const t = literalTerm(condition, category);
  return t ? [t] : undefined;
}

function stagePrefilter(s: Stage): Prefilter | undefined {
  return conditionPrefilter(s.query.condition, s.query.category);
}

/**
 * The query's prefilter: an event passing none of its terms can neither match an event query nor
 * take part in any stage, `until` or missing-event stage of a sequence or sample. Undefined when
 * some part of the query has no derivable condition, and for sequences ending in a missing-event
 * stage (their waiting results are released by the time any event brings, so they see every event).
 */
export function queryPrefilter(cq: Pick<CompiledQuery, 'statement'>): Prefilter | undefined {
  const q = cq.statement.query;
  if (q.kind === 'event') return conditionPrefilter(q.condition, q.category);
  const parts = [...q.stages, ...(q.kind === 'sequence' && q.until ? [q.until] : [])];
  if (q.kind === 'sequence' && q.stages[q.stages.length - 1]?.missing) return undefined;
  const out: PrefilterTerm[] = [];
  for (const s of parts) {
    const p = stagePrefilter(s);
    if (!p) return undefined;
    out.push(...p);
  }
  return out;
}

const categoryOf = fieldGetter('event.category');

function hasCategory(doc: Record<string, unknown>, category: string): boolean {
  const c = categoryOf(doc);
  return Array.isArray(c) ? c.includes(category) : c === category;
}

/** True when the event passes the prefilter: some term of its category (or of 'any') has a value
 *  of the event's field in its set. */
export function passesPrefilter(p: Prefilter, doc: Record<string, unknown>): boolean {
  for (const t of p) {
    if (t.category !== 'any' && !hasCategory(doc, t.category)) continue;
    const v = t.read(doc);
    if (v === null) continue;
    for (const x of Array.isArray(v) ? v : [v]) {
      if (x === null) continue;
      const s = typeof x === 'string' ? x : String(x);
      if (t.values.has(s)) return true;
      for (const h of t.prefixes) if (s.startsWith(h)) return true;
      for (const h of t.suffixes) if (s.endsWith(h)) return true;
      for (const h of t.contains) if (s.includes(h)) return true;
    }
  }
  return false;
}
