// Condition parts Elasticsearch cannot turn into a Lucene query run as a Painless script; this is
// their evaluator. Semantics, as the translator builds such scripts
// (x-pack/plugin/eql .../planner/QueryTranslator.java, ql .../expression/gen/script/Scripts.java
// multiValueDocValuesRewrite, InternalEqlScriptUtils.multiValueDocValues):
// - every occurrence of a field is its own variable iterating over the field's values (a missing
//   field is one null), and the script holds when some combination makes it true;
// - inside, three-valued logic: a comparison, function or arithmetic with a null operand is null,
//   `and`/`or`/`not` are Kleene's, and `nullSafeFilter` turns a null result into false;
// - values carry their Java types (values.ts): whole JSON numbers are longs, literals int/long/
//   double; an evaluation error (overflow, division by zero, a non-number in arithmetic) fails the
//   script, which Elasticsearch reports as a search error: here the event does not match and the
//   error is counted.
// The same evaluator folds constant sub-expressions at compile time (ConstantFolding).
import type { CallNode, Expr, LiteralNode, MatchNode } from './ast.js';
import { logicalParts } from './chains.js';
import { compileCidrs } from './cidr.js';
import { fieldGetter, type Scalar } from './field.js';
import { FUNCTIONS } from './functions.js';
import { compileScriptLike, compileScriptRegex, type StringTest } from './patterns.js';
import {
  arith,
  compare,
  fromJson,
  fromLiteral,
  javaString,
  Num,
  negate,
  ScriptError,
  type SValue,
} from './values.js';

type Doc = Record<string, unknown>;
/** values of the field occurrences, by occurrence index */
type Env = SValue[];
type Ev = (env: Env) => SValue;

/** most value combinations one script evaluates per event (multi-valued fields multiply) */
export const MAX_COMBINATIONS = 4096;

/** a problem found while building a script: reported by the caller as an EqlError */
export class ScriptCompileError extends Error {
  override readonly name = 'ScriptCompileError';
  constructor(
    message: string,
    readonly at: number,
    readonly kind: 'type' | 'unsupported' = 'type',
  ) {
    super(message);
  }
}

export interface ScriptCounters {
  /** evaluations Elasticsearch would have failed with a script error */
  errors: number;
}

const ARITH = { '+': 'add', '-': 'sub', '*': 'mul', '/': 'div', '%': 'mod' } as const;

/** `:` without wildcards in a script (InsensitiveEquals): null when either side is null */
function insensitiveEquals(a: SValue, b: SValue): SValue {
  if (a === null || b === null) return null;
  if (typeof a === 'string' && typeof b === 'string') return a.toLowerCase() === b.toLowerCase();
  return false;
}

const or3 = (a: SValue, b: SValue): SValue =>
  a === true || b === true ? true : a === null || b === null ? null : false;
const and3 = (a: SValue, b: SValue): SValue =>
  a === false || b === false ? false : a === null || b === null ? null : true;

/** the value of a literal node as a script sees it */
export function literalValue(e: LiteralNode): SValue {
  const v = e.value;
  return typeof v === 'number' ? fromLiteral(v, e.integer === true) : v;
}

class Builder {
  readonly fields: string[] = [];
  constructor(private readonly allowNot: boolean) {}

  build(e: Expr): Ev {
    switch (e.kind) {
      case 'literal': {
        const v = literalValue(e);
        return () => v;
      }
      case 'field': {
        const i = this.fields.push(e.name) - 1;
        return (env) => env[i] as SValue;
      }
      case 'not': {
        // the script rewrite hoists every `not(` to the front of the script and breaks the
        // parentheses (Scripts.multiValueDocValuesRewrite): only a `not` the query level handles works
        if (!this.allowNot)
          throw new ScriptCompileError(
            'Elasticsearch cannot evaluate `not` inside a function or computed value (the Painless script it generates is invalid); rewrite the condition without it',
            e.at,
            'unsupported',
          );
        const x = this.build(e.expr);
        return (env) => {
          const v = x(env);
          return v === null ? null : !v;
        };
      }
      case 'logical': {
        const parts = logicalParts(e).map((p) => this.build(p));
        const join = e.op === 'and' ? and3 : or3;
        return (env) => {
          let v = (parts[0] as Ev)(env);
          for (let i = 1; i < parts.length; i++) v = join(v, (parts[i] as Ev)(env));
          return v;
        };
      }
      case 'isnull': {
        const x = this.build(e.expr);
        return (env) => x(env) === null;
      }
      case 'compare': {
        const l = this.build(e.left);
        const r = this.build(e.right);
        const op = e.op;
        return (env) => {
          const c = compare(l(env), r(env));
          if (c === null) return null;
          switch (op) {
            case '==':
              return c === 0;
            case '!=':
              return c !== 0;
            case '<':
              return c < 0;
            case '<=':
              return c <= 0;
            case '>':
              return c > 0;
            default:
              return c >= 0;
          }
        };
      }
      case 'in': {
        if (e.negated && !this.allowNot)
          throw new ScriptCompileError(
            'Elasticsearch cannot evaluate `not in` inside a function or computed value; rewrite the condition without it',
            e.at,
            'unsupported',
          );
        const l = this.build(e.left);
        const items = e.values.map((v) => this.build(v));
        // InProcessor: true on a match, else null if some comparison was null, else false;
        // in~ is an `or` of case-insensitive equalities
        const inList: Ev = e.insensitive
          ? (env) => {
              const v = l(env);
              let res: SValue = false;
              for (const it of items) res = or3(res, insensitiveEquals(v, it(env)));
              return res;
            }
          : (env) => {
              const v = l(env);
              let res: SValue = false;
              for (const it of items) {
                const c = compare(v, it(env));
                if (c === null) res = null;
                else if (c === 0) return true;
              }
              return res;
            };
        if (!e.negated) return inList;
        return (env) => {
          const v = inList(env);
          return v === null ? null : !v;
        };
      }
      case 'match':
        return this.match(e);
      case 'arith': {
        const l = this.build(e.left);
        const r = this.build(e.right);
        const op = ARITH[e.op];
        return (env) => arith(op, l(env), r(env));
      }
      case 'neg': {
        const x = this.build(e.expr);
        return (env) => negate(x(env));
      }
      case 'call':
        return this.call(e);
    }
  }

  private match(e: MatchNode): Ev {
    const l = this.build(e.left);
    const tests: ((v: string) => boolean)[] = [];
    const equals: string[] = [];
    const sources = e.patterns.map((p) => p.value as string);
    const insensitive = e.op === ':' || e.op === 'like~' || e.op === 'regex~';
    if (e.op === 'regex' || e.op === 'regex~') tests.push(compileScriptRegex(sources, insensitive));
    else
      for (const p of sources) {
        // `:` without a wildcard stays an equality (ReplaceWildcards), as does a like pattern
        // without one (ReplaceRegexMatch)
        if (!p.includes('*') && !p.includes('?')) equals.push(p);
        else tests.push(compileScriptLike(p, insensitive));
      }
    return (env) => {
      const v = l(env);
      if (v === null) return null;
      let res: SValue = false;
      for (const x of equals) {
        const c = insensitive ? insensitiveEquals(v, x) : compare(v, x);
        res = or3(res, typeof c === 'number' ? c === 0 : c);
      }
      if (res === true) return true;
      const s = javaString(v) as string;
      for (const t of tests) if (t(s)) return true;
      return res;
    };
  }

  private call(e: CallNode): Ev {
    const spec = FUNCTIONS[e.name.toLowerCase()];
    if (!spec) throw new ScriptCompileError(`Unknown function \`${e.name}\``, e.at);
    if (spec.name === 'cidrMatch') {
      const blocks = e.args.slice(1).map((a) => (a.kind === 'literal' ? String(a.value) : ''));
      const set = compileCidrs(blocks);
      const ip = this.build(e.args[0] as Expr);
      return (env) => {
        const v = ip(env);
        return typeof v === 'string' ? set.matches(v) : v === null ? null : false;
      };
    }
    const impl = spec.impl as (a: SValue[], ci: boolean) => SValue;
    const args = e.args.map((a) => this.build(a));
    const ci = e.insensitive;
    return (env) =>
      impl(
        args.map((a) => a(env)),
        ci,
      );
  }
}

/** a field value as the doc values a script iterates: a missing field is one null */
function docValues(v: Scalar | Scalar[] | null): SValue[] {
  if (v === null) return [null];
  if (!Array.isArray(v)) return [fromJson(v)];
  const out: SValue[] = [];
  for (const x of v) if (x !== null) out.push(fromJson(x));
  return out.length === 0 ? [null] : out;
}

/**
 * A script leaf: true when some combination of the fields' values makes the expression true
 * (multiValueDocValues + nullSafeFilter). `negate` is the `not` the query level puts around it.
 */
export function compileScript(e: Expr, counters: ScriptCounters): (d: Doc) => boolean {
  const b = new Builder(false);
  const ev = b.build(e);
  const getters = b.fields.map((f) => fieldGetter(f));
  const n = getters.length;
  const run = (env: Env): boolean | undefined => {
    try {
      return ev(env) === true;
    } catch (err) {
      if (err instanceof ScriptError) {
        counters.errors++;
        return undefined;
      }
      throw err;
    }
  };
  if (n === 0) {
    const v = run([]) === true;
    return () => v;
  }
  if (n === 1) {
    const g = getters[0] as (d: Doc) => Scalar | Scalar[] | null;
    return (d) => {
      const raw = g(d);
      if (!Array.isArray(raw)) return run([raw === null ? null : fromJson(raw)]) === true;
      for (const x of docValues(raw)) {
        const r = run([x]);
        if (r === undefined) return false;
        if (r) return true;
      }
      return false;
    };
  }
  return (d) => {
    const lists = getters.map((g) => docValues(g(d)));
    let total = 1;
    for (const l of lists) total *= l.length;
    const env: Env = new Array(n);
    const limit = Math.min(total, MAX_COMBINATIONS);
    for (let k = 0; k < limit; k++) {
      let rest = k;
      for (let i = n - 1; i >= 0; i--) {
        const l = lists[i] as SValue[];
        env[i] = l[rest % l.length] as SValue;
        rest = Math.floor(rest / l.length);
      }
      const r = run(env);
      if (r === undefined) return false;
      if (r) return true;
    }
    return false;
  };
}

/** Evaluates a field-free expression (ConstantFolding); throws ScriptError as Elasticsearch would. */
export function foldConstant(e: Expr): SValue {
  const b = new Builder(true);
  const ev = b.build(e);
  return ev([]);
}

/** a folded value as a literal node */
export function toLiteral(v: SValue, at: number): LiteralNode {
  if (v instanceof Num) return { kind: 'literal', value: v.v, integer: v.k !== 'double', at };
  return { kind: 'literal', value: v, at };
}

export type { StringTest };
