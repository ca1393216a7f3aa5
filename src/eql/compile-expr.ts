// Compiles an EQL condition to a predicate over a JSON document, once per query, the way
// Elasticsearch runs it (x-pack/plugin/eql .../planner/QueryTranslator.java, ql .../planner/
// ExpressionTranslators.java): after the rewrites of rewrite.ts, `and`/`or`/`not` combine
// Lucene-style queries with two-valued logic (a bool query's must/should/must_not), and each
// leaf is either
// - a query on a field against literals (term-queries.ts): `==`, `!=` (must_not term), `<`...,
//   `in`, `in~`, `:`, `like`, `like~`, `regex`, `regex~`, `isnull` (must_not exists),
//   startsWith/endsWith/stringContains (prefix and wildcard queries), cidrMatch (terms on an ip);
//   a missing field matches none of them, so `not` of one matches it;
// - or a script (script.ts) for anything else: three-valued logic inside, a null result is false.
// Field-against-field comparisons are rejected, as Elasticsearch rejects them.
import type { CallNode, CompareNode, Expr, InNode, LiteralNode, MatchNode } from './ast.js';
import { chain, type Doc, logicalParts, type Pred, shared } from './chains.js';
import { compileCidrs } from './cidr.js';
import { generateFilter } from './codegen.js';
import { EqlError } from './errors.js';
import { fieldGetter, lowerFieldGetter, type Scalar, type Value } from './field.js';
import { FUNCTION_NAMES, FUNCTIONS } from './functions.js';
import {
  compileLuceneWildcard,
  compileRegex,
  compileRegexList,
  compileScriptRegex,
  compileWildcardList,
  RegexSyntaxError,
  type StringTest,
  WildcardSyntaxError,
} from './patterns.js';
import { type RewriteOptions, Rewriter } from './rewrite.js';
import { compileScript, ScriptCompileError, type ScriptCounters } from './script.js';
import { keywordString, rangeQuery, termQuery, termsQuery } from './term-queries.js';

export type { Doc, Pred };
export type Eval = (d: Doc) => Value;

export interface CompileOptions extends RewriteOptions {
  /** generate each filter as one JavaScript function (codegen.ts; the default where the process
   *  allows code generation); false keeps the closures */
  codegen?: boolean;
}

const FIELD_VS_FIELD = 'Comparing a field to another field is not supported by Elasticsearch EQL';

function hasField(e: Expr): boolean {
  switch (e.kind) {
    case 'field':
      return true;
    case 'literal':
      return false;
    case 'not':
    case 'neg':
    case 'isnull':
      return hasField(e.expr);
    case 'logical':
      return logicalParts(e).some(hasField);
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

const isLit = (e: Expr): e is LiteralNode => e.kind === 'literal';

const categoryOf = fieldGetter('event.category');

/** True when the document's event.category (keyword, possibly multi-valued) names `category`. */
export function inCategory(doc: Doc, category: string): boolean {
  if (category === 'any') return true;
  const c: Value = categoryOf(doc);
  return Array.isArray(c) ? c.includes(category) : c === category;
}
const str = (s: Scalar): string => (typeof s === 'string' ? s : String(s));

export class ExprCompiler {
  private readonly rewriter: Rewriter;
  /** script evaluations that failed (Elasticsearch would fail the search) */
  readonly counters: ScriptCounters = { errors: 0 };

  private readonly codegen: boolean;

  constructor(
    private readonly text: string,
    opts: CompileOptions = {},
  ) {
    this.rewriter = new Rewriter(text, opts);
    this.codegen = opts.codegen !== false;
  }

  private err(
    kind: 'type' | 'unsupported' | 'unknown-function',
    reason: string,
    at: number,
    cause?: unknown,
  ): never {
    throw new EqlError(kind, reason, this.text, at, cause === undefined ? undefined : { cause });
  }

  /** a rewritten condition (rewrite()) with more conjuncts (rewritten too) */
  withConjuncts(rewritten: Expr, also: readonly Expr[] = []): Expr {
    let e = rewritten;
    for (const c of also) e = { kind: 'logical', op: 'and', left: e, right: c, at: e.at };
    return e;
  }

  /** a checked and rewritten condition as Elasticsearch's analyzer and optimizer leave it */
  rewrite(e: Expr): Expr {
    this.validate(e);
    return this.rewriter.condition(e);
  }

  /**
   * The test of an event filter: the document is of `category` ('any': every document) and the
   * rewritten condition holds. Compiled as closures first (which reports every error the query
   * has), then, unless disabled or disallowed, as one generated function (codegen.ts) that calls
   * those closures only for what it does not write out.
   */
  filter(category: string, rewritten: Expr): Pred {
    const cond = this.pred(rewritten);
    if (this.codegen) {
      const gen = generateFilter(category, rewritten, (x) => this.pred(x));
      if (gen) return gen.test;
    }
    return category === 'any' ? cond : (d) => inCategory(d, category) && cond(d);
  }

  /** a join key as the rewrites leave it: the field, or null for an unmapped optional one */
  rewrittenKey(e: Expr): Expr {
    return this.rewriter.key(e);
  }

  /** evaluates an expression without fields (ConstantFolding) */
  foldConstant(e: Expr): Expr {
    return this.rewriter.foldConstant(e);
  }

  /** a join key: a field (a missing optional field joins as a constant null) */
  key(e: Expr): { get: Eval; constant: boolean } {
    if (e.kind !== 'field')
      this.err('unsupported', 'Elasticsearch EQL joins on fields only; use a field after `by`', e.at);
    const k = this.rewriter.key(e);
    if (k.kind === 'literal') return { get: () => null, constant: true };
    return { get: fieldGetter(e.name), constant: false };
  }

  // ---- checks Elasticsearch's verifier makes before anything runs

  private validate(e: Expr): void {
    switch (e.kind) {
      case 'literal':
      case 'field':
        break;
      case 'not':
      case 'neg':
      case 'isnull':
        this.validate(e.expr);
        break;
      case 'logical':
        for (const p of logicalParts(e)) this.validate(p);
        break;
      case 'arith':
      case 'compare':
        this.validate(e.left);
        this.validate(e.right);
        break;
      case 'in':
        for (const v of e.values) this.validate(v);
        this.validate(e.left);
        break;
      case 'match':
        this.validatePatterns(e);
        this.validate(e.left);
        break;
      case 'call':
        this.validateCall(e);
        for (const a of e.args) this.validate(a);
        break;
    }
  }

  private validatePatterns(e: MatchNode): void {
    const insensitive = e.op === ':' || e.op === 'like~' || e.op === 'regex~';
    for (const p of e.patterns) {
      try {
        if (e.op === 'regex' || e.op === 'regex~') {
          // Lucene RegExp on a field, java.util.regex in a script
          if (e.left.kind === 'field') compileRegex(p.value as string, insensitive);
          else compileScriptRegex([p.value as string], insensitive);
        } else compileWildcardList([p.value as string], insensitive);
      } catch (err) {
        if (err instanceof RegexSyntaxError)
          this.err('type', `Invalid regex ${JSON.stringify(p.value)}: ${err.message}`, p.at, err);
        if (err instanceof WildcardSyntaxError)
          this.err('type', `Invalid pattern ${JSON.stringify(p.value)}: ${err.message}`, p.at, err);
        throw err;
      }
    }
  }

  private validateCall(e: CallNode): void {
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
      try {
        compileCidrs(blocks);
      } catch (err) {
        this.err('type', `Invalid argument to \`cidrMatch\`: ${(err as Error).message}`, e.at, err);
      }
    }
  }

  // ---- the query level

  private script(e: Expr): Pred {
    try {
      return compileScript(e, this.counters);
    } catch (err) {
      if (err instanceof ScriptCompileError) this.err(err.kind, err.message, err.at, err);
      if (err instanceof RegexSyntaxError || err instanceof WildcardSyntaxError)
        this.err('type', err.message, e.at, err);
      throw err;
    }
  }

  /** a condition in boolean position: a bare field is `field == true` (AddMissingEqualsToBoolField) */
  private pred(e: Expr): Pred {
    switch (e.kind) {
      case 'literal': {
        if (e.value === true) return () => true;
        // false, and null (a missing optional field, a null result): the filter matches nothing
        if (e.value === false || e.value === null) return () => false;
        return this.err('type', `Expected a condition, got ${JSON.stringify(e.value)}`, e.at);
      }
      case 'field': {
        const lit: LiteralNode = { kind: 'literal', value: true, at: e.at };
        return this.compare({ kind: 'compare', op: '==', left: e, right: lit, at: e.at });
      }
      case 'logical':
        // a flat chain, so a long list of alternatives neither overflows the stack nor nests closures
        return chain(
          logicalParts(e).map((x) => this.pred(x)),
          e.op === 'and',
        );
      case 'not': {
        const p = this.pred(e.expr);
        return (d) => !p(d);
      }
      case 'isnull': {
        if (e.expr.kind !== 'field') return this.script(e);
        const get = fieldGetter(e.expr.name);
        return (d) => get(d) === null;
      }
      case 'compare':
        return this.compare(e);
      case 'in': {
        const p = this.inList(e);
        return e.negated ? (d) => !p(d) : p;
      }
      case 'match':
        return this.match(e);
      case 'call':
        return this.call(e);
      case 'arith':
      case 'neg':
        return this.err('type', 'Expected a condition, got an arithmetic expression', e.at);
    }
  }

  private compare(e: CompareNode): Pred {
    const { left, right } = e;
    // checked after the rewrites, as the translator checks it: `?x == ?y` with neither mapped is
    // `null == null`
    if (hasField(right) && hasField(left)) this.err('unsupported', FIELD_VS_FIELD, e.at);
    if (left.kind !== 'field' || !isLit(right)) return this.script(e);
    const get = fieldGetter(left.name);
    if (e.op === '!=') {
      const eq = shared({ ...e, op: '==' }, () => termQuery(get, right));
      return (d) => !eq(d);
    }
    return shared(e, () => (e.op === '==' ? termQuery(get, right) : rangeQuery(get, e.op, right)));
  }

  private inList(e: InNode): Pred {
    for (const v of e.values)
      if (hasField(v) && hasField(e.left)) this.err('unsupported', FIELD_VS_FIELD, v.at);
    const positive: InNode = { ...e, negated: false };
    if (e.left.kind !== 'field' || !e.values.every(isLit)) return this.script(positive);
    const lits = e.values as LiteralNode[];
    if (lits.every((l) => l.value === null))
      this.err('unsupported', 'Elasticsearch cannot search a list of only `null` values', e.at);
    const name = e.left.name;
    return shared(positive, () => {
      if (!e.insensitive) {
        return termsQuery(fieldGetter(name), lits);
      }
      // in~: case-insensitive term queries, one per value, or-ed
      const set = new Set<string>();
      for (const l of lits) if (l.value !== null) set.add((keywordString(l) as string).toLowerCase());
      const get = lowerFieldGetter(name);
      return (d) => {
        const v = get(d);
        if (v === null) return false;
        if (!Array.isArray(v)) return set.has(str(v));
        for (const x of v) if (x !== null && set.has(str(x))) return true;
        return false;
      };
    });
  }

  private match(e: MatchNode): Pred {
    if (e.left.kind !== 'field') return this.script(e);
    const name = e.left.name;
    return shared(e, () => {
      const insensitive = e.op === ':' || e.op === 'like~' || e.op === 'regex~';
      const regex = e.op === 'regex' || e.op === 'regex~';
      const sources = e.patterns.map((p) => p.value as string);
      const test: StringTest = regex
        ? compileRegexList(sources, insensitive)
        : compileWildcardList(sources, insensitive);
      // case-insensitive wildcards compare lower-cased text; a field's lower-cased values are
      // memoized per document, so many rules testing process.name with `:` lower it once
      const get = insensitive && !regex ? lowerFieldGetter(name) : fieldGetter(name);
      const one = (s: Scalar): boolean => s !== null && test(str(s));
      return (d) => {
        const v = get(d);
        if (v === null) return false;
        if (!Array.isArray(v)) return one(v);
        for (const x of v) if (one(x)) return true;
        return false;
      };
    });
  }

  private call(e: CallNode): Pred {
    const fn = (FUNCTIONS[e.name.toLowerCase()] as { name: string }).name;
    const [a0, a1] = e.args;
    const onField = a0?.kind === 'field';
    if (fn === 'cidrMatch' && onField) {
      // a terms query of the blocks on an ip field
      const set = compileCidrs(e.args.slice(1).map((a) => String((a as LiteralNode).value)));
      const get = fieldGetter((a0 as { name: string }).name);
      return shared(e, () => (d) => {
        const v = get(d);
        if (typeof v === 'string') return set.matches(v);
        if (!Array.isArray(v)) return false;
        for (const x of v) if (typeof x === 'string' && set.matches(x)) return true;
        return false;
      });
    }
    const stringArg = a1?.kind === 'literal' && typeof a1.value === 'string' ? a1.value : undefined;
    if (
      onField &&
      stringArg !== undefined &&
      (fn === 'startsWith' || fn === 'endsWith' || fn === 'stringContains')
    ) {
      const ci = e.insensitive;
      // startsWith: a prefix query (the argument verbatim); endsWith/stringContains: a wildcard
      // query of `*` + argument (+ `*`), in which the argument's own `*`, `?` and `\` act as wildcard syntax
      const lit = ci ? stringArg.toLowerCase() : stringArg;
      const test: StringTest =
        fn === 'startsWith'
          ? (s) => s.startsWith(lit)
          : compileLuceneWildcard(fn === 'endsWith' ? `*${stringArg}` : `*${stringArg}*`, ci);
      const get = ci
        ? lowerFieldGetter((a0 as { name: string }).name)
        : fieldGetter((a0 as { name: string }).name);
      return shared(e, () => (d) => {
        const v = get(d);
        if (v === null) return false;
        if (!Array.isArray(v)) return test(str(v));
        for (const x of v) if (x !== null && test(str(x))) return true;
        return false;
      });
    }
    return this.script(e);
  }
}
