// Compiles EQL expressions (ast.ts) to closures over a JSON document, once per query; patterns,
// CIDR blocks and literal lists are precompiled. Elasticsearch semantics (sources in docs/eql.md):
// - a missing field reads as null; a multi-valued field satisfies a comparison, lookup or pattern
//   when any value does; `==`/`in`/`like`/`regex` are case-sensitive, `:`/`in~`/`like~`/`regex~` not;
// - `!=`, `not in` and `not` on a field are the complement of the positive test (Elasticsearch
//   translates them to a negated term query), so a missing field is `!=` any value; on a computed
//   value (function, arithmetic) a null operand makes the comparison false, as a script does;
// - values compare as the keyword/number field would index them: 1 == "1".
import type { CallNode, CompareNode, Expr, InNode, MatchNode } from './ast.js';
import { compileCidrs } from './cidr.js';
import { EqlError } from './errors.js';
import { fieldGetter, lowerFieldGetter, type Scalar, type Value } from './field.js';
import { FUNCTION_NAMES, FUNCTIONS } from './functions.js';
import {
  compileRegex,
  compileRegexList,
  compileWildcardList,
  RegexSyntaxError,
  type StringTest,
} from './patterns.js';

export type Doc = Record<string, unknown>;
export type Eval = (d: Doc) => Value;
export type Pred = (d: Doc) => boolean;

/** most argument combinations a function call over multi-valued fields expands to */
const MAX_FANOUT = 4096;

const norm = (s: Scalar): string | null => (s === null ? null : typeof s === 'string' ? s : String(s));

function compareScalars(a: Scalar, b: Scalar): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'number' && typeof b === 'string' && b.trim() !== '' && !Number.isNaN(Number(b)))
    return a - Number(b);
  if (typeof a === 'string' && typeof b === 'number' && a.trim() !== '' && !Number.isNaN(Number(a)))
    return Number(a) - b;
  return Number.NaN;
}

const some = (v: Value, f: (s: Scalar) => boolean): boolean => {
  if (Array.isArray(v)) {
    for (const x of v) if (f(x)) return true;
    return false;
  }
  return f(v);
};

const truthy = (v: Value): boolean => (Array.isArray(v) ? v.includes(true) : v === true);

function hasField(e: Expr): boolean {
  switch (e.kind) {
    case 'field':
      return true;
    case 'literal':
      return false;
    case 'not':
    case 'neg':
      return hasField(e.expr);
    case 'logical':
    case 'compare':
    case 'arith':
      return hasField(e.left) || hasField(e.right);
    case 'in':
      return hasField(e.left) || e.values.some(hasField);
    case 'match':
      return hasField(e.left);
    case 'call':
      return e.args.some(hasField);
  }
}

/** Applies f to every combination of (possibly multi-valued) arguments. */
function fanOut(args: Value[], f: (a: Scalar[]) => Scalar): Value {
  if (!args.some(Array.isArray)) return f(args as Scalar[]);
  let combos: Scalar[][] = [[]];
  for (const a of args) {
    const vals = Array.isArray(a) ? a : [a];
    const next: Scalar[][] = [];
    for (const c of combos) for (const v of vals) next.push([...c, v]);
    if (next.length > MAX_FANOUT) return null;
    combos = next;
  }
  return combos.map(f);
}

/** how many evaluations between re-orderings of an and/or chain */
const REORDER_EVERY = 4096;

/**
 * An and/or chain that learns its order: conditions are side-effect free, so the result does not
 * depend on their order, and the one that most often decides the outcome (false for `and`, true
 * for `or`) is moved to the front. Rules put always-true tests such as host.os.type == "linux"
 * first; this skips them for most events.
 */
function adaptiveChain(preds: Pred[], isAnd: boolean): Pred {
  if (preds.length === 2) return adaptivePair(preds[0] as Pred, preds[1] as Pred, isAnd);
  const n = preds.length;
  let order = preds.slice();
  let decided = new Float64Array(n);
  let calls = 0;
  const reorder = () => {
    const idx = order.map((_, i) => i).sort((a, b) => (decided[b] as number) - (decided[a] as number));
    order = idx.map((i) => order[i] as Pred);
    decided = new Float64Array(idx.map((i) => (decided[i] as number) / 2));
  };
  if (isAnd)
    return (d) => {
      if (++calls === REORDER_EVERY) {
        calls = 0;
        reorder();
      }
      for (let i = 0; i < n; i++)
        if (!(order[i] as Pred)(d)) {
          decided[i] = (decided[i] as number) + 1;
          return false;
        }
      return true;
    };
  return (d) => {
    if (++calls === REORDER_EVERY) {
      calls = 0;
      reorder();
    }
    for (let i = 0; i < n; i++)
      if ((order[i] as Pred)(d)) {
        decided[i] = (decided[i] as number) + 1;
        return true;
      }
    return false;
  };
}

/** adaptiveChain for two conditions (the commonest chain), without the arrays */
function adaptivePair(first: Pred, second: Pred, isAnd: boolean): Pred {
  let a = first;
  let b = second;
  let da = 0;
  let db = 0;
  let calls = 0;
  const reorder = () => {
    if (db > da) {
      const p = a;
      a = b;
      b = p;
      const n = da;
      da = db;
      db = n;
    }
    da /= 2;
    db /= 2;
  };
  if (isAnd)
    return (d) => {
      if (++calls === REORDER_EVERY) {
        calls = 0;
        reorder();
      }
      if (!a(d)) {
        da++;
        return false;
      }
      if (!b(d)) {
        db++;
        return false;
      }
      return true;
    };
  return (d) => {
    if (++calls === REORDER_EVERY) {
      calls = 0;
      reorder();
    }
    if (a(d)) {
      da++;
      return true;
    }
    if (b(d)) {
      db++;
      return true;
    }
    return false;
  };
}

/** most distinct shared predicates kept for reuse by later compilations */
const MAX_SHARED = 50_000;
/** a compiled test, and the memoized one its later users share */
const SHARED = new Map<string, { pred: Pred; memo?: Pred }>();

function memoize(p: Pred): Pred {
  let lastDoc: Doc | undefined;
  let last = false;
  return (d) => {
    if (d === lastDoc) return last;
    last = p(d);
    lastDoc = d;
    return last;
  };
}

/**
 * Identical tests are compiled once for all queries and their result is remembered for the
 * document last seen: the corpus repeats `event.type == "start"`, the same `event.action in (...)`
 * list and the like in hundreds of rules, and each is then evaluated once per event. The first
 * query to use a test gets it plain (most tests are used by one query, and the memo would only
 * add a call); the queries after it share one memoized copy. Tests are pure, so this cannot change
 * a result (documents must not be changed after they are pushed).
 */
function shared(e: Expr, build: () => Pred): Pred {
  const key = JSON.stringify(e, (k, v) => (k === 'at' ? undefined : v));
  const hit = SHARED.get(key);
  if (hit) {
    hit.memo ??= memoize(hit.pred);
    return hit.memo;
  }
  const p = build();
  if (SHARED.size >= MAX_SHARED) SHARED.clear();
  SHARED.set(key, { pred: p });
  return p;
}

export class ExprCompiler {
  constructor(private readonly text: string) {}

  private err(
    kind: 'type' | 'unsupported' | 'unknown-function',
    reason: string,
    at: number,
    cause?: unknown,
  ): never {
    throw new EqlError(kind, reason, this.text, at, cause === undefined ? undefined : { cause });
  }

  value(e: Expr): Eval {
    switch (e.kind) {
      case 'literal': {
        const v = e.value;
        return () => v;
      }
      case 'field':
        return fieldGetter(e.name);
      case 'neg': {
        const inner = this.value(e.expr);
        return (d) => fanOut([inner(d)], ([x]) => (typeof x === 'number' ? -x : null));
      }
      case 'arith': {
        const spec =
          FUNCTIONS[{ '+': 'add', '-': 'subtract', '*': 'multiply', '/': 'divide', '%': 'modulo' }[e.op]];
        const impl = spec?.impl as (a: Scalar[], ci: boolean) => Scalar;
        const l = this.value(e.left);
        const r = this.value(e.right);
        // a literal written with a fraction (4.0) makes `/` a float division, as in Elasticsearch
        const floatLit = [e.left, e.right].some(
          (x) => x.kind === 'literal' && typeof x.value === 'number' && !x.integer,
        );
        if (e.op === '/' && floatLit)
          return (d) =>
            fanOut([l(d), r(d)], ([a, b]) => (typeof a === 'number' && typeof b === 'number' ? a / b : null));
        return (d) => fanOut([l(d), r(d)], (a) => impl(a, false));
      }
      case 'call':
        return this.call(e);
      default: {
        const p = this.pred(e);
        return (d) => p(d);
      }
    }
  }

  pred(e: Expr): Pred {
    switch (e.kind) {
      case 'logical': {
        // chains (a or b or c ...) are left-deep trees; flatten them without recursion so a long
        // list of alternatives neither overflows the stack here nor nests closures
        const parts: Expr[] = [];
        const todo: Expr[] = [e];
        while (todo.length > 0) {
          const x = todo.pop() as Expr;
          if (x.kind === 'logical' && x.op === e.op) todo.push(x.right, x.left);
          else parts.push(x);
        }
        return adaptiveChain(
          parts.map((x) => this.pred(x)),
          e.op === 'and',
        );
      }
      case 'not': {
        const p = this.pred(e.expr);
        return (d) => !p(d);
      }
      case 'compare':
        return shared(e, () => this.compare(e));
      case 'in':
        return shared(e, () => this.inList(e));
      case 'match':
        return shared(e, () => this.match(e));
      case 'literal': {
        const t = e.value === true;
        return () => t;
      }
      default: {
        const v = this.value(e);
        return (d) => truthy(v(d));
      }
    }
  }

  private compare(e: CompareNode): Pred {
    if (hasField(e.left) && hasField(e.right))
      this.err(
        'unsupported',
        'Comparing a field to another field is not supported by Elasticsearch EQL',
        e.at,
      );
    const l = this.value(e.left);
    const rNode = e.right;
    const lNode = e.left;
    const litSide = rNode.kind === 'literal' ? rNode : lNode.kind === 'literal' ? lNode : undefined;
    const other = litSide === rNode ? l : this.value(rNode);
    const direct = (litSide === rNode ? lNode : rNode).kind === 'field';
    if (litSide && (e.op === '==' || e.op === '!=')) {
      const lit = norm(litSide.value as Scalar);
      if (lit === null) return e.op === '==' ? (d) => other(d) === null : (d) => other(d) !== null;
      const eq = (v: Value): boolean => {
        if (v === null) return false;
        if (typeof v === 'string') return v === lit;
        if (!Array.isArray(v)) return String(v) === lit;
        for (let i = 0; i < v.length; i++) {
          const x = v[i];
          if (x !== null && (typeof x === 'string' ? x : String(x)) === lit) return true;
        }
        return false;
      };
      if (e.op === '==') return (d) => eq(other(d));
      if (direct) return (d) => !eq(other(d));
      return (d) => {
        const v = other(d);
        return v !== null && !eq(v);
      };
    }
    if (litSide === rNode && typeof (rNode as { value: unknown }).value === 'number') {
      // fast path: field/expression against a number literal
      const n = (rNode as { value: number }).value;
      const cop = e.op;
      const cmp = (x: Scalar): boolean => {
        const c = compareScalars(x, n);
        return cop === '<' ? c < 0 : cop === '<=' ? c <= 0 : cop === '>' ? c > 0 : c >= 0;
      };
      return (d) => {
        const v = l(d);
        if (v === null) return false;
        if (!Array.isArray(v)) return cmp(v);
        for (const x of v) if (x !== null && cmp(x)) return true;
        return false;
      };
    }
    const r = this.value(rNode);
    const op = e.op;
    const test = (c: number): boolean => {
      switch (op) {
        case '<':
          return c < 0;
        case '<=':
          return c <= 0;
        case '>':
          return c > 0;
        case '>=':
          return c >= 0;
        case '==':
          return c === 0;
        default:
          return c !== 0;
      }
    };
    if (op === '==' || op === '!=') {
      return (d) => {
        const a = l(d);
        const b = r(d);
        if (a === null || b === null) return op === '==' ? a === b : a !== b;
        const anyEq = some(a, (x) => some(b, (y) => x !== null && y !== null && norm(x) === norm(y)));
        return op === '==' ? anyEq : !anyEq;
      };
    }
    return (d) => {
      const a = l(d);
      const b = r(d);
      if (a === null || b === null) return false;
      return some(a, (x) => some(b, (y) => x !== null && y !== null && test(compareScalars(x, y))));
    };
  }

  private inList(e: InNode): Pred {
    const ci = e.insensitive;
    const l =
      ci && e.left.kind === 'field' && e.values.every((v) => v.kind === 'literal')
        ? lowerFieldGetter(e.left.name)
        : this.value(e.left);
    const f = (s: string) => (ci ? s.toLowerCase() : s);
    for (const v of e.values)
      if (hasField(v) && hasField(e.left))
        this.err(
          'unsupported',
          'Comparing a field to another field is not supported by Elasticsearch EQL',
          v.at,
        );
    let test: (v: Value, d: Doc) => boolean;
    if (e.values.every((v) => v.kind === 'literal')) {
      const set = new Set<string>();
      let nullOk = false;
      for (const v of e.values) {
        const s = norm(v.kind === 'literal' ? (v.value as Scalar) : null);
        if (s === null) nullOk = true;
        else set.add(f(s));
      }
      test = ci
        ? (v) => {
            if (v === null) return nullOk;
            if (!Array.isArray(v)) return set.has((typeof v === 'string' ? v : String(v)).toLowerCase());
            for (const x of v)
              if (x !== null && set.has((typeof x === 'string' ? x : String(x)).toLowerCase())) return true;
            return false;
          }
        : (v) => {
            if (v === null) return nullOk;
            if (typeof v === 'string') return set.has(v);
            if (!Array.isArray(v)) return set.has(String(v));
            for (const x of v) if (x !== null && set.has(typeof x === 'string' ? x : String(x))) return true;
            return false;
          };
    } else {
      const items = e.values.map((v) => this.value(v));
      test = (v, d) => {
        for (const it of items) {
          const w = it(d);
          if (v === null || w === null) {
            if (v === w) return true;
            continue;
          }
          if (
            some(v, (x) =>
              some(w, (y) => x !== null && y !== null && f(norm(x) as string) === f(norm(y) as string)),
            )
          )
            return true;
        }
        return false;
      };
    }
    if (!e.negated) return (d) => test(l(d), d);
    if (e.left.kind === 'field') return (d) => !test(l(d), d);
    return (d) => {
      const v = l(d);
      return v !== null && !test(v, d);
    };
  }

  private match(e: MatchNode): Pred {
    const l = this.value(e.left);
    const insensitive = e.op === ':' || e.op === 'like~' || e.op === 'regex~';
    const regex = e.op === 'regex' || e.op === 'regex~';
    const sources = e.patterns.map((p) => p.value as string);
    let test: StringTest;
    if (regex) {
      // each alone first, so an invalid one is reported at its own position
      for (const p of e.patterns) {
        try {
          compileRegex(p.value as string, insensitive);
        } catch (err) {
          if (err instanceof RegexSyntaxError)
            this.err('type', `Invalid regex ${JSON.stringify(p.value)}: ${err.message}`, p.at, err);
          throw err;
        }
      }
      test = compileRegexList(sources, insensitive);
    } else test = compileWildcardList(sources, insensitive);
    // case-insensitive wildcards compare lower-cased text; a field's lower-cased values are memoized
    // per document, so many rules testing process.name with `:` lower it once
    const preLowered = insensitive && !regex && e.left.kind === 'field';
    const lower = insensitive && !regex && !preLowered;
    const get = preLowered ? lowerFieldGetter((e.left as { name: string }).name) : l;
    const one = (s: Scalar): boolean => {
      if (s === null) return false;
      let t = typeof s === 'string' ? s : String(s);
      if (lower) t = t.toLowerCase();
      return test(t);
    };
    return (d) => {
      const v = get(d);
      if (v === null) return false;
      if (!Array.isArray(v)) return one(v);
      for (const x of v) if (one(x)) return true;
      return false;
    };
  }

  private call(e: CallNode): Eval {
    const spec = FUNCTIONS[e.name.toLowerCase()];
    if (!spec)
      this.err(
        'unknown-function',
        `Unknown function \`${e.name}\`; Elasticsearch EQL has ${FUNCTION_NAMES.join(', ')}`,
        e.at,
      );
    if (e.insensitive && !spec.insensitiveVariant)
      this.err('unknown-function', `Function \`${spec.name}\` has no case-insensitive \`~\` variant`, e.at);
    if (e.args.length < spec.minArgs || e.args.length > spec.maxArgs) {
      const want =
        spec.maxArgs === Number.POSITIVE_INFINITY
          ? `at least ${spec.minArgs}`
          : spec.minArgs === spec.maxArgs
            ? `${spec.minArgs}`
            : `${spec.minArgs} to ${spec.maxArgs}`;
      this.err('type', `Expected ${want} arguments to \`${spec.name}\`, got ${e.args.length}`, e.at);
    }
    if (spec.name === 'cidrMatch') {
      const blocks: string[] = [];
      for (const a of e.args.slice(1)) {
        if (a.kind !== 'literal' || typeof a.value !== 'string')
          this.err(
            'type',
            'Expected CIDR blocks as string literals after the first argument of `cidrMatch`',
            a.at,
          );
        blocks.push(a.value as string);
      }
      let set: ReturnType<typeof compileCidrs>;
      try {
        set = compileCidrs(blocks);
      } catch (err) {
        this.err('type', `Invalid argument to \`cidrMatch\`: ${(err as Error).message}`, e.at, err);
      }
      const ip = this.value(e.args[0] as Expr);
      const one = ([x]: Scalar[]): Scalar => (typeof x === 'string' ? set.matches(x) : null);
      return (d) => {
        const v = ip(d);
        if (!Array.isArray(v)) return typeof v === 'string' ? set.matches(v) : null;
        return fanOut([v], one);
      };
    }
    const impl = spec.impl as (a: Scalar[], ci: boolean) => Scalar;
    const args = e.args.map((a) => this.value(a));
    const ci = e.insensitive;
    const apply = (a: Scalar[]) => impl(a, ci);
    if (args.length === 1) {
      const a0 = args[0] as Eval;
      return (d) => {
        const x = a0(d);
        return Array.isArray(x) ? fanOut([x], apply) : impl([x], ci);
      };
    }
    if (args.length === 2) {
      const a0 = args[0] as Eval;
      const a1 = args[1] as Eval;
      return (d) => {
        const x = a0(d);
        const y = a1(d);
        return Array.isArray(x) || Array.isArray(y) ? fanOut([x, y], apply) : impl([x, y], ci);
      };
    }
    return (d) =>
      fanOut(
        args.map((a) => a(d)),
        apply,
      );
  }
}
