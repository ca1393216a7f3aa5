// Decides whether eqld's documents can ever satisfy a rule, from the rule's syntax tree and the
// catalogue of what eqld fills per event kind (src/normalize/field-catalogue.ts). Each step of a
// query is evaluated, for each kind of its event category, in three values: a field that the kind
// holds as a constant (event.action, event.type, host.os.type, ...) has its value, a field the
// kind may fill is unknown, a field it never fills is null; a sub-expression whose fields are all
// known is evaluated by the EQL engine itself (so null semantics are the engine's), and/or/not
// combine the three values. A step that is false for every kind can never match:
// - no kind passes its event.action/type tests: the rule `needs <category> <actions> events`;
// - a kind passes those, but a field it never fills is required: `needs <field> (<kind> events)`;
// - it reads dns.*: `needs DNS events`.
// In a step that can match, a field never filled on the kinds it matches is reported when it
// sits under a negation: the exclusion never applies (the rule alerts where Elastic Defend, which
// fills it, would not). Sequence `by` keys count as required fields (a null key never joins).
import { EVENT_KINDS, type EventKindFields } from '../normalize/field-catalogue.js';
import { compileStatement, type Expr, type Statement } from './engine.js';

type EventQuery = Extract<Statement['query'], { kind: 'event' }>;
type Stage = Extract<Statement['query'], { kind: 'sequence' }>['stages'][number];

/** Three-valued result of a condition over the documents of one event kind. */
type Tri = 'true' | 'false' | 'unknown';

type Doc = Record<string, unknown>;

/** Field names read by an expression. */
function fieldsOf(e: Expr, out: Set<string> = new Set()): Set<string> {
  switch (e.kind) {
    case 'field':
      out.add(e.name);
      break;
    case 'literal':
      break;
    case 'not':
    case 'neg':
      fieldsOf(e.expr, out);
      break;
    case 'logical':
    case 'compare':
    case 'arith':
      fieldsOf(e.left, out);
      fieldsOf(e.right, out);
      break;
    case 'in':
      fieldsOf(e.left, out);
      for (const v of e.values) fieldsOf(v, out);
      break;
    case 'match':
      fieldsOf(e.left, out);
      break;
    case 'call':
      for (const a of e.args) fieldsOf(a, out);
      break;
  }
  return out;
}

/** Where a field is read: under an even (positive) or odd (negative) number of negations. */
function polarities(e: Expr, negative: boolean, out: Map<string, Set<boolean>>): void {
  const note = (x: Expr, neg: boolean) => {
    for (const f of fieldsOf(x)) {
      const s = out.get(f) ?? new Set<boolean>();
      s.add(neg);
      out.set(f, s);
    }
  };
  switch (e.kind) {
    case 'not':
      polarities(e.expr, !negative, out);
      return;
    case 'logical':
      polarities(e.left, negative, out);
      polarities(e.right, negative, out);
      return;
    case 'compare':
      note(e, e.op === '!=' ? !negative : negative);
      return;
    case 'in':
    case 'match':
      note(e, e.negated ? !negative : negative);
      return;
    default:
      note(e, negative);
  }
}

/** A document holding `fields` (dotted name -> value) as nested objects. */
function nestedDoc(fields: Readonly<Record<string, unknown>>): Doc {
  const doc: Doc = {};
  for (const [name, value] of Object.entries(fields)) {
    const parts = name.split('.');
    let at = doc;
    for (const p of parts.slice(0, -1)) {
      let next = at[p] as Doc | undefined;
      if (next === undefined) at[p] = next = {};
      at = next;
    }
    at[parts[parts.length - 1] as string] = value;
  }
  return doc;
}

/** What a step is evaluated against: the kind's constants, and which other fields it fills. */
interface Assumption {
  constants: Readonly<Record<string, unknown>>;
  filled: (field: string) => boolean;
}

class StepEvaluator {
  /** compiled sub-expressions, by node: evaluated against the constants */
  private readonly compiled = new Map<Expr, (d: Doc) => boolean>();

  constructor(private readonly source: string) {}

  eval(e: Expr, a: Assumption): Tri {
    const fields = fieldsOf(e);
    const known = [...fields].every((f) => f in a.constants || !a.filled(f));
    if (known) return this.concrete(e, a) ? 'true' : 'false';
    switch (e.kind) {
      case 'not': {
        const v = this.eval(e.expr, a);
        return v === 'unknown' ? v : v === 'true' ? 'false' : 'true';
      }
      case 'logical': {
        const l = this.eval(e.left, a);
        const r = this.eval(e.right, a);
        if (e.op === 'and') {
          if (l === 'false' || r === 'false') return 'false';
          return l === 'true' && r === 'true' ? 'true' : 'unknown';
        }
        if (l === 'true' || r === 'true') return 'true';
        return l === 'false' && r === 'false' ? 'false' : 'unknown';
      }
      default:
        return 'unknown';
    }
  }

  /** The engine's own verdict on e over a document that holds only the kind's constants. */
  private concrete(e: Expr, a: Assumption): boolean {
    let test = this.compiled.get(e);
    if (test === undefined) {
      const st: Statement = {
        query: { kind: 'event', category: 'any', condition: e, at: e.at },
        pipes: [],
        source: this.source,
      };
      const filter = compileStatement(st).filter;
      test = filter ? filter.test : () => false;
      this.compiled.set(e, test);
    }
    return test(nestedDoc(a.constants));
  }
}

const kindLabel = (k: EventKindFields) => `${k.category} ${k.action}`;

function withoutKeys<T>(o: Readonly<Record<string, T>>, keys: readonly string[]): Record<string, T> {
  const rest = { ...o };
  for (const k of keys) delete rest[k];
  return rest;
}

interface StepVerdict {
  /** why the step can never match; empty when it can */
  needs: string[];
  /** fields never set on the kinds it matches, read under a negation */
  neverSetExclusions: string[];
  /** fields never set on the kinds it matches, read only in positive position (an alternative) */
  neverSetAlternatives: string[];
}

function actionsRequired(q: EventQuery): string[] {
  // the event.action literals the step compares positively (for the message only)
  const out = new Set<string>();
  const walk = (e: Expr, negative: boolean): void => {
    if (e.kind === 'not') {
      walk(e.expr, !negative);
      return;
    }
    if (e.kind === 'logical') {
      walk(e.left, negative);
      walk(e.right, negative);
      return;
    }
    if (negative) return;
    const isAction = (x: Expr) => x.kind === 'field' && x.name === 'event.action';
    if (e.kind === 'compare' && e.op === '==' && isAction(e.left) && e.right.kind === 'literal')
      out.add(String(e.right.value));
    if (e.kind === 'in' && !e.negated && isAction(e.left))
      for (const v of e.values) if (v.kind === 'literal') out.add(String(v.value));
    if (e.kind === 'match' && !e.negated && isAction(e.left))
      for (const p of e.patterns) out.add(String(p.value));
  };
  walk(q.condition, false);
  return [...out].sort();
}

/** The step's condition with `key != null` added for each non-optional join key. */
function withKeys(q: EventQuery, keys: readonly Expr[]): Expr {
  let cond = q.condition;
  for (const k of keys) {
    if (k.kind === 'field' && k.optional) continue;
    const present: Expr = {
      kind: 'compare',
      op: '!=',
      left: k,
      right: { kind: 'literal', value: null, at: k.at },
      at: k.at,
    };
    cond = { kind: 'logical', op: 'and', left: cond, right: present, at: q.at };
  }
  return cond;
}

function analyseStep(
  ev: StepEvaluator,
  q: EventQuery,
  keys: readonly Expr[],
  kinds: readonly EventKindFields[],
): StepVerdict {
  const cond = withKeys(q, keys);
  const candidates = q.category === 'any' ? kinds : kinds.filter((k) => k.category === q.category);
  const read = fieldsOf(cond);
  if (candidates.length === 0)
    return { needs: [`${q.category} events`], neverSetExclusions: [], neverSetAlternatives: [] };
  // kinds whose constant fields (event.action, event.type, ...) the step accepts
  const anyField: Assumption['filled'] = () => true;
  const byConstants = candidates.filter(
    (k) => ev.eval(cond, { constants: k.constants, filled: anyField }) !== 'false',
  );
  if (byConstants.length === 0) {
    // a step for other data: another operating system (the cross-platform rules' Windows steps),
    // another module or dataset (Suricata, PAN-OS, ...): the constant fields it reads are all it lacks
    const tested = [...read]
      .filter((f) => f !== 'event.action' && f !== 'event.type' && candidates.some((k) => f in k.constants))
      .sort();
    for (const fields of [...tested.map((f) => [f]), ...(tested.length > 1 ? [tested] : [])]) {
      const other = candidates.some(
        (k) => ev.eval(cond, { constants: withoutKeys(k.constants, fields), filled: anyField }) !== 'false',
      );
      if (other) {
        const what = `${q.category} events of another ${fields.join(' and ')}`;
        return { needs: [what], neverSetExclusions: [], neverSetAlternatives: [] };
      }
    }
    const actions = actionsRequired(q);
    return {
      needs: [
        actions.length > 0 ? `${q.category} ${actions.join('/')} events` : `other ${q.category} events`,
      ],
      neverSetExclusions: [],
      neverSetAlternatives: [],
    };
  }
  const matching = byConstants.filter(
    (k) => ev.eval(cond, { constants: k.constants, filled: (f) => k.fields.has(f) }) !== 'false',
  );
  if (matching.length === 0) {
    if ([...read].some((f) => f.startsWith('dns.')))
      return { needs: ['DNS events'], neverSetExclusions: [], neverSetAlternatives: [] };
    return {
      needs: missingFields(ev, cond, read, byConstants),
      neverSetExclusions: [],
      neverSetAlternatives: [],
    };
  }
  const pol = new Map<string, Set<boolean>>();
  polarities(cond, false, pol);
  const unset = [...read]
    .filter((f) => matching.every((k) => !(f in k.constants) && !k.fields.has(f)))
    .sort();
  return {
    needs: [],
    neverSetExclusions: unset.filter((f) => pol.get(f)?.has(true)),
    neverSetAlternatives: unset.filter((f) => !pol.get(f)?.has(true)),
  };
}

/** `<field> (<kinds> events)`: the fields whose absence alone keeps the step from matching. */
function missingFields(
  ev: StepEvaluator,
  cond: Expr,
  read: ReadonlySet<string>,
  kinds: readonly EventKindFields[],
): string[] {
  const byField = new Map<string, string[]>();
  const add = (field: string, k: EventKindFields) => {
    const list = byField.get(field) ?? [];
    list.push(kindLabel(k));
    byField.set(field, list);
  };
  for (const k of kinds) {
    const absent = [...read].filter((f) => !(f in k.constants) && !k.fields.has(f));
    const alone = absent.filter(
      (f) => ev.eval(cond, { constants: k.constants, filled: (g) => g === f || k.fields.has(g) }) !== 'false',
    );
    if (alone.length > 0) add(alone.sort().join(' or '), k);
    else if (absent.length > 0) add(absent.sort().join(' and '), k);
  }
  return [...byField].map(([field, ks]) => `${field} (${ks.join(', ')} events)`);
}

export interface Coverage {
  /** why the rule can never match eqld's documents; empty when it can */
  needs: string[];
  /** `<field> is never set: the exclusion never applies`, one per such field */
  notes: string[];
}

/** Whether eqld's documents (the catalogue `kinds`) can ever satisfy the query. */
export function ruleCoverage(st: Statement, kinds: readonly EventKindFields[] = EVENT_KINDS): Coverage {
  const ev = new StepEvaluator(st.source);
  const q = st.query;
  const steps: { query: EventQuery; keys: Expr[] }[] =
    q.kind === 'event'
      ? [{ query: q, keys: [] }]
      : q.stages
          .filter((s: Stage) => !s.missing)
          .map((s: Stage) => ({ query: s.query, keys: [...q.by, ...s.by] }));
  const needs = new Set<string>();
  const exclusions = new Set<string>();
  const alternatives = new Set<string>();
  for (const s of steps) {
    const v = analyseStep(ev, s.query, s.keys, kinds);
    for (const n of v.needs) needs.add(n);
    for (const f of v.neverSetExclusions) exclusions.add(f);
    for (const f of v.neverSetAlternatives) alternatives.add(f);
  }
  return {
    needs: [...needs],
    notes:
      needs.size > 0
        ? []
        : [
            ...[...exclusions].map((f) => `${f} is never set: the exclusion never applies`),
            ...[...alternatives]
              .filter((f) => !exclusions.has(f))
              .map((f) => `${f} is never set: a condition on it never matches`),
          ],
  };
}

/** a step's evaluator per statement, kept while the statement is (its compiled sub-expressions) */
const evaluators = new WeakMap<Statement, StepEvaluator>();

/**
 * Whether some step of the query (its stages, `until` and missing-event stages) may take an event
 * of a kind of which only `constants` are known (dotted field -> value: what an event's kind fixes
 * before its document is built, kindDocument() in src/normalize/ecs-event.ts). `isKindField` names
 * every field the kind fixes: one of them absent from `constants` is absent from the documents;
 * every other field may hold anything. A step of another category never takes it; a sequence
 * ending in a missing-event stage takes every kind of its categories (any event's time may
 * release its waiting results). The three values and the engine's own comparisons are those of
 * ruleCoverage(), so `!=`, `not` and conjunctions of kind tests count.
 */
export function queryMayTakeKind(
  st: Statement,
  constants: Readonly<Record<string, unknown>>,
  isKindField: (field: string) => boolean,
): boolean {
  let ev = evaluators.get(st);
  if (ev === undefined) {
    ev = new StepEvaluator(st.source);
    evaluators.set(st, ev);
  }
  const raw = constants['event.category'];
  const categories = Array.isArray(raw) ? raw : [raw];
  const assumption: Assumption = { constants, filled: (f) => !isKindField(f) };
  const q = st.query;
  const steps: EventQuery[] =
    q.kind === 'event'
      ? [q]
      : [...q.stages, ...(q.kind === 'sequence' && q.until ? [q.until] : [])].map((s: Stage) => s.query);
  const trailingMissing = q.kind === 'sequence' && q.stages[q.stages.length - 1]?.missing === true;
  return steps.some((step) => {
    if (step.category !== 'any' && !categories.includes(step.category)) return false;
    return trailingMissing || ev.eval(step.condition, assumption) !== 'false';
  });
}
