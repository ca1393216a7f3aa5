// The Lucene queries Elasticsearch turns a field-against-literal comparison into, evaluated on a
// JSON value: `==` a term query, `<`/`>`/... a range query, `in` a terms query
// (ql ExpressionTranslators.BinaryComparisons/InComparisons). Such a query compares the literal
// with the field as its mapping indexes it; a schemaless document says only the JSON type, which
// stands for the mapping: a string is a keyword (the literal compared as text: a number as Java
// prints it, `5.0` as "5.0"; ranges by code point, the order of Lucene's UTF-8 terms), a number
// a long/double (a string literal parsed as a number, one that does not parse matches nothing:
// Elasticsearch rejects the query), a boolean a boolean ("true"/"false" literals too). A multi-
// valued field matches when any value does; a missing one never does.
import type { CompareOp, LiteralNode } from './ast.js';
import type { Doc, Pred } from './chains.js';
import type { Scalar } from './field.js';
import { parseJavaNumber } from './functions.js';
import { javaDouble } from './values.js';

/** the literal as a keyword term: Java's String.valueOf of its typed value */
export function keywordString(lit: LiteralNode): string | null {
  const v = lit.value;
  if (v === null) return null;
  if (typeof v === 'number') return lit.integer ? String(v) : javaDouble(v);
  return String(v);
}

/** the literal as a numeric term (a string literal parsed as Java parses numbers) */
export function numericTerm(lit: LiteralNode): number | null {
  const v = lit.value;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return parseJavaNumber(v);
  return null;
}

/** the literal as a boolean term */
export function booleanTerm(lit: LiteralNode): boolean | null {
  const v = lit.value;
  if (typeof v === 'boolean') return v;
  if (v === 'true') return true;
  if (v === 'false') return false;
  return null;
}

/**
 * Compares strings in code point order (the order of their UTF-8 bytes, as Lucene keeps keyword
 * terms); JavaScript's `<` compares UTF-16 units, which differs once surrogate pairs meet
 * characters U+E000..U+FFFF.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      // surrogates (D800-DFFF) sort after E000-FFFF in code point order
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

type Getter = (d: Doc) => Scalar | Scalar[];

// Each query below is one closure with the multi-valued loop written out: these are the leaves
// nearly every rule condition ends in, evaluated for every event offered to a rule.

/** the term query `field == lit` */
export function termQuery(get: Getter, lit: LiteralNode): Pred {
  const s = keywordString(lit);
  const n = numericTerm(lit);
  const b = booleanTerm(lit);
  return (d) => {
    const v = get(d);
    if (typeof v === 'string') return v === s;
    if (v === null) return false;
    if (typeof v === 'number') return v === n;
    if (typeof v === 'boolean') return v === b;
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (
        typeof x === 'string' ? x === s : typeof x === 'number' ? x === n : typeof x === 'boolean' && x === b
      )
        return true;
    }
    return false;
  };
}

const holds = (op: CompareOp, c: number): boolean =>
  op === '<' ? c < 0 : op === '<=' ? c <= 0 : op === '>' ? c > 0 : c >= 0;

/** the range query `field <op> lit` */
export function rangeQuery(get: Getter, op: CompareOp, lit: LiteralNode): Pred {
  const s = keywordString(lit);
  const n = numericTerm(lit);
  const b = booleanTerm(lit);
  const one = (v: Scalar): boolean => {
    if (typeof v === 'number') return n !== null && !Number.isNaN(n) && holds(op, v - n);
    if (typeof v === 'string') return s !== null && holds(op, compareCodePoints(v, s));
    if (typeof v === 'boolean') return b !== null && holds(op, Number(v) - Number(b));
    return false;
  };
  return (d) => {
    const v = get(d);
    if (!Array.isArray(v)) return one(v);
    for (let i = 0; i < v.length; i++) if (one(v[i] as Scalar)) return true;
    return false;
  };
}

/** The values a terms query `field in (lits)` matches, by type: each literal's keyword string,
 *  number and boolean forms; null literals are dropped, as the translator drops them. */
export function termSets(lits: readonly LiteralNode[]): {
  strings: Set<string>;
  numbers: Set<number>;
  booleans: Set<boolean>;
} {
  const strings = new Set<string>();
  const numbers = new Set<number>();
  const booleans = new Set<boolean>();
  for (const lit of lits) {
    if (lit.value === null) continue;
    const s = keywordString(lit);
    if (s !== null) strings.add(s);
    const n = numericTerm(lit);
    if (n !== null) numbers.add(n);
    const b = booleanTerm(lit);
    if (b !== null) booleans.add(b);
  }
  return { strings, numbers, booleans };
}

/** the terms query `field in (lits)` (termSets) */
export function termsQuery(get: Getter, lits: readonly LiteralNode[]): Pred {
  const { strings, numbers, booleans } = termSets(lits);
  return (d) => {
    const v = get(d);
    if (typeof v === 'string') return strings.has(v);
    if (v === null) return false;
    if (typeof v === 'number') return numbers.has(v);
    if (typeof v === 'boolean') return booleans.has(v);
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (
        typeof x === 'string'
          ? strings.has(x)
          : typeof x === 'number'
            ? numbers.has(x)
            : typeof x === 'boolean' && booleans.has(x)
      )
        return true;
    }
    return false;
  };
}
