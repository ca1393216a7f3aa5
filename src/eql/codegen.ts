// Generates one JavaScript function per event filter (a query, or one stage of a sequence or
// sample): the category test and the whole condition as straight-line code, so a rule's test has
// inline caches of its own instead of a tree of closures whose call sites every rule shares
// (megamorphic calls were the largest single cost of evaluating the corpus; docs/decisions.md).
// It writes out what compile-expr.ts builds as closures, with the same semantics
// (Elasticsearch's, see compile-expr.ts and term-queries.ts):
// - `and`/`or`/`not` over Lucene-style leaves as JavaScript `&&`/`||`/`!` (two-valued);
// - field reads as a test of the field's per-document memo (field.ts FieldMemo), then its reader;
// - term, range and terms queries (`==`, `!=`, `<`..., `in`, `in~`) with the literal compared
//   inline, a multi-valued field through a loop per leaf (any value matches);
// - `:`, like, regex and their variants calling the precompiled matcher of patterns.ts;
// - everything else (scripts, cidrMatch, startsWith and friends, a leaf that is not field-against-
//   literal) calling the closure compile-expr.ts builds for that node.
// Nothing from the rule text is written into the source but JSON.stringify'd strings and numbers
// printed by String() (finite ones only); field names and every other value are passed in as
// constants. Where code generation is disallowed (--disallow-code-generation-from-strings) there is
// no generated filter and the caller keeps its closures.
import type { CompareNode, Expr, InNode, LiteralNode, MatchNode } from './ast.js';
import { logicalParts, type Pred } from './chains.js';
import { canGenerateCode, type FieldMemo, fieldMemo, lowerFieldMemo } from './field.js';
import { compileRegexList, compileWildcardList } from './patterns.js';
import { booleanTerm, compareCodePoints, keywordString, numericTerm, termSets } from './term-queries.js';

/** the closure compile-expr.ts builds for a node (the generator calls it for what it leaves out) */
export type ClosureOf = (e: Expr) => Pred;

export interface GeneratedFilter {
  test: Pred;
  /** the generated source, for tests and debugging */
  source: string;
}

/** operands of one `and`/`or` written into one function; longer chains are split into functions
 *  of this many operands, so no function grows past what V8 optimizes */
const CHAIN_CHUNK = 16;
/** literal values written as a chain of `===` up to this many; a Set lookup above */
const INLINE_SET = 6;

/** a JavaScript string literal for any string (U+2028, quotes, lone surrogates included) */
const quote = (s: string): string => JSON.stringify(s);

class Generator {
  private readonly consts: unknown[] = [];
  private readonly constIds = new Map<unknown, string>();
  private readonly decls: string[] = [];
  private temps = 0;
  private helpers = 0;

  constructor(private readonly closureOf: ClosureOf) {}

  /** a value passed into the generated code (a memo, a matcher, a Set, a closure) */
  private k(v: unknown): string {
    let id = this.constIds.get(v);
    if (id === undefined) {
      id = `k${this.consts.length}`;
      this.consts.push(v);
      this.constIds.set(v, id);
    }
    return id;
  }

  private temp(): string {
    return `t${this.temps++}`;
  }

  /** a number as an expression: finite numbers printed, anything else as a constant */
  private num(n: number): string {
    if (!Number.isFinite(n)) return this.k(n);
    return Object.is(n, -0) ? '(-0)' : n < 0 ? `(${String(n)})` : String(n);
  }

  private read(m: FieldMemo): string {
    const id = this.k(m);
    return `(${id}.doc === d ? ${id}.value : ${id}.read(d))`;
  }

  /**
   * A test on one field: `one(x)` is the test of one value x (a scalar or null); a multi-valued
   * field passes when one of its values does (the loop as a helper function of its own).
   */
  private leaf(m: FieldMemo, one: (x: string) => string): string {
    const t = this.temp();
    const h = `h${this.helpers++}`;
    this.decls.push(
      `function ${h}(v) {\n  for (let i = 0; i < v.length; i++) {\n    const x = v[i];\n    if (${one('x')}) return true;\n  }\n  return false;\n}`,
    );
    return `((${t} = ${this.read(m)}), typeof ${t} === "object" && ${t} !== null ? ${h}(${t}) : ${one(t)})`;
  }

  private closure(e: Expr): string {
    return `${this.k(this.closureOf(e))}(d)`;
  }

  /** a condition in boolean position, as ExprCompiler.pred builds it */
  cond(e: Expr): string {
    switch (e.kind) {
      case 'literal':
        if (e.value === true) return 'true';
        if (e.value === false || e.value === null) return 'false';
        return this.closure(e);
      case 'field':
        return this.term(e.name, { kind: 'literal', value: true, at: e.at });
      case 'logical':
        return this.chain(logicalParts(e), e.op === 'and' ? ' && ' : ' || ');
      case 'not':
        return `!${this.cond(e.expr)}`;
      case 'isnull':
        return e.expr.kind === 'field' ? `(${this.read(fieldMemo(e.expr.name))} === null)` : this.closure(e);
      case 'compare':
        return this.compare(e);
      case 'in':
        return this.inList(e);
      case 'match':
        return this.match(e);
      case 'call':
      case 'arith':
      case 'neg':
        return this.closure(e);
    }
  }

  private chain(parts: Expr[], op: string): string {
    if (parts.length <= CHAIN_CHUNK) return `(${parts.map((p) => this.cond(p)).join(op)})`;
    // a long chain: groups of CHAIN_CHUNK operands, each a function of its own
    const groups: string[] = [];
    for (let i = 0; i < parts.length; i += CHAIN_CHUNK) {
      const outer = this.temps;
      this.temps = 0;
      const body = this.chain(parts.slice(i, i + CHAIN_CHUNK), op);
      const f = `f${this.helpers++}`;
      this.decls.push(`function ${f}(d) {\n  ${this.letTemps()}return ${body};\n}`);
      this.temps = outer;
      groups.push(`${f}(d)`);
    }
    return this.chainCalls(groups, op);
  }

  /** calls to chain groups, themselves grouped when there are too many for one function */
  private chainCalls(calls: string[], op: string): string {
    if (calls.length <= CHAIN_CHUNK) return `(${calls.join(op)})`;
    const groups: string[] = [];
    for (let i = 0; i < calls.length; i += CHAIN_CHUNK) {
      const f = `f${this.helpers++}`;
      this.decls.push(`function ${f}(d) {\n  return (${calls.slice(i, i + CHAIN_CHUNK).join(op)});\n}`);
      groups.push(`${f}(d)`);
    }
    return this.chainCalls(groups, op);
  }

  private letTemps(): string {
    if (this.temps === 0) return '';
    return `let ${Array.from({ length: this.temps }, (_, i) => `t${i}`).join(', ')};\n  `;
  }

  /** `field == lit` (term query), `!=` (its negation), `<`... (range query) */
  private compare(e: CompareNode): string {
    if (e.left.kind !== 'field' || e.right.kind !== 'literal') return this.closure(e);
    if (e.op === '==') return this.term(e.left.name, e.right);
    if (e.op === '!=') return `!${this.term(e.left.name, e.right)}`;
    return this.range(e.left.name, e.op, e.right);
  }

  /** term-queries.ts termQuery: the value equals the literal as a keyword, number or boolean */
  private term(field: string, lit: LiteralNode): string {
    const s = keywordString(lit);
    const n = numericTerm(lit);
    const b = booleanTerm(lit);
    // `===` holds only between values of one type, so the typed comparisons can be or-ed
    const alts: ((x: string) => string)[] = [];
    if (s !== null) alts.push((x) => `${x} === ${quote(s)}`);
    if (n !== null && !Number.isNaN(n)) alts.push((x) => `${x} === ${this.num(n)}`);
    if (b !== null) alts.push((x) => `${x} === ${b}`);
    if (alts.length === 0) return 'false';
    return this.leaf(fieldMemo(field), (x) => `(${alts.map((a) => a(x)).join(' || ')})`);
  }

  /** term-queries.ts rangeQuery */
  private range(field: string, op: string, lit: LiteralNode): string {
    const s = keywordString(lit);
    const n = numericTerm(lit);
    const b = booleanTerm(lit);
    const cmp = this.k(compareCodePoints);
    const numeric = (x: string) =>
      n === null || Number.isNaN(n) ? 'false' : `${x} - ${this.num(n)} ${op} 0`;
    const text = (x: string) => (s === null ? 'false' : `${cmp}(${x}, ${quote(s)}) ${op} 0`);
    const bool = (x: string) => (b === null ? 'false' : `(${x} ? 1 : 0) - ${b ? 1 : 0} ${op} 0`);
    return this.leaf(
      fieldMemo(field),
      (x) =>
        `(typeof ${x} === "number" ? ${numeric(x)} : typeof ${x} === "string" ? ${text(x)} : typeof ${x} === "boolean" && ${bool(x)})`,
    );
  }

  /** `x` is one of the strings (a chain of `===` for a few, a Set lookup for more) */
  private stringIn(x: string, set: ReadonlySet<string>): string {
    if (set.size === 0) return 'false';
    if (set.size <= INLINE_SET) return `(${[...set].map((v) => `${x} === ${quote(v)}`).join(' || ')})`;
    return `${this.k(set)}.has(${x})`;
  }

  /** term-queries.ts termsQuery (`in`), and compile-expr.ts's in~ */
  private inList(e: InNode): string {
    if (e.left.kind !== 'field' || !e.values.every((v) => v.kind === 'literal')) return this.closure(e);
    const not = e.negated ? '!' : '';
    const lits = e.values as LiteralNode[];
    const field = e.left.name;
    if (e.insensitive) {
      const set = new Set<string>();
      for (const l of lits) if (l.value !== null) set.add((keywordString(l) as string).toLowerCase());
      const all = this.k(set);
      return `${not}${this.leaf(
        lowerFieldMemo(field),
        (x) =>
          `(typeof ${x} === "string" ? ${this.stringIn(x, set)} : ${x} !== null && ${all}.has(String(${x})))`,
      )}`;
    }
    const { strings, numbers, booleans } = termSets(lits);
    // Set#has compares numbers by SameValueZero (NaN equals NaN), which `===` does not
    const numbersInline = numbers.size <= INLINE_SET && ![...numbers].some(Number.isNaN);
    const numberIn = (x: string) =>
      numbers.size === 0
        ? 'false'
        : numbersInline
          ? `(${[...numbers].map((v) => `${x} === ${this.num(v)}`).join(' || ')})`
          : `${this.k(numbers)}.has(${x})`;
    const boolIn = (x: string) => `(${[...booleans].map((v) => `${x} === ${v}`).join(' || ') || 'false'})`;
    return `${not}${this.leaf(
      fieldMemo(field),
      (x) =>
        `(typeof ${x} === "string" ? ${this.stringIn(x, strings)} : typeof ${x} === "number" ? ${numberIn(x)} : typeof ${x} === "boolean" && ${boolIn(x)})`,
    )}`;
  }

  /** `:`, like, like~, regex, regex~ on a field: the pattern list's precompiled test */
  private match(e: MatchNode): string {
    if (e.left.kind !== 'field') return this.closure(e);
    const insensitive = e.op === ':' || e.op === 'like~' || e.op === 'regex~';
    const regex = e.op === 'regex' || e.op === 'regex~';
    const sources = e.patterns.map((p) => p.value as string);
    const test = this.k(
      regex ? compileRegexList(sources, insensitive) : compileWildcardList(sources, insensitive),
    );
    // case-insensitive wildcards compare the field's lower-cased values
    const memo = insensitive && !regex ? lowerFieldMemo(e.left.name) : fieldMemo(e.left.name);
    return this.leaf(
      memo,
      (x) => `(${x} !== null && ${test}(typeof ${x} === "string" ? ${x} : String(${x})))`,
    );
  }

  /** the filter: the event category (as compile.ts inCategory tests it), then the condition */
  build(category: string, e: Expr): GeneratedFilter {
    const condition = this.cond(e);
    let body = condition;
    if (category !== 'any') {
      const t = this.temp();
      const c = quote(category);
      body = `((${t} = ${this.read(fieldMemo('event.category'))}), typeof ${t} === "object" && ${t} !== null ? ${t}.includes(${c}) : ${t} === ${c}) && ${condition}`;
    }
    const consts = this.consts.map((_, i) => `const k${i} = K[${i}];`).join('\n');
    const source = [
      '"use strict";',
      consts,
      ...this.decls,
      `return function eqlFilter(d) {\n  ${this.letTemps()}return ${body};\n};`,
    ]
      .filter((x) => x !== '')
      .join('\n');
    const test = new Function('K', source)(this.consts) as Pred;
    return { test, source };
  }
}

/**
 * The filter of one query or stage (category and rewritten condition) as one generated function;
 * undefined where code generation is disallowed. `closureOf` gives the closure compile-expr.ts
 * builds for a node the generator does not write out.
 */
export function generateFilter(category: string, e: Expr, closureOf: ClosureOf): GeneratedFilter | undefined {
  if (!canGenerateCode) return undefined;
  return new Generator(closureOf).build(category, e);
}
