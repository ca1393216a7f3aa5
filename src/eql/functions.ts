// The Elasticsearch EQL function library, as pure functions over script values (values.ts); the
// script evaluator fans multi-valued fields out before calling them. Names are matched
// case-insensitively; a trailing `~` selects the case-insensitive variant where Elasticsearch has
// one. Semantics follow the function processors in x-pack/plugin/eql/.../expression/function/
// scalar/{string,math} (BetweenFunctionProcessor, ConcatFunctionProcessor, IndexOfFunctionProcessor,
// SubstringFunctionProcessor, ToNumberFunctionProcessor, ToStringFunctionProcessor, ...) and the
// reference (docs/reference/query-languages/eql/eql-function-ref.md): a null argument gives null,
// math goes through ql Arithmetics (values.ts: integer division, overflow and division by zero
// raise). cidrMatch is compiled apart (compile-expr.ts, script.ts): its blocks are parsed once.
import { type ArithOp, arith, fromJson, javaString, Num, type SValue } from './values.js';

export interface FunctionSpec {
  /** canonical spelling, as in the Elasticsearch reference */
  name: string;
  minArgs: number;
  maxArgs: number;
  /** has a `~` case-insensitive variant */
  insensitiveVariant: boolean;
  /** evaluated per combination of argument values */
  impl?: (args: SValue[], insensitive: boolean) => SValue;
}

/** a string argument as the processors read it: strings as they are, other values as Java prints them */
const str = (v: SValue | undefined): string | null => (v === undefined ? null : javaString(v));
const num = (v: SValue | undefined): number | null => (v instanceof Num ? v.v : null);
const fold = (s: string, ci: boolean) => (ci ? s.toLowerCase() : s);
const int = (v: number) => new Num(v, 'int');

/** the string functions of two string arguments: null when either is null, else the test on both
 *  strings, lower-cased for the `~` variants */
function testPair(args: readonly SValue[], ci: boolean, test: (s: string, x: string) => boolean): SValue {
  const s = str(args[0]);
  const x = str(args[1]);
  return s === null || x === null ? null : test(fold(s, ci), fold(x, ci));
}

const math =
  (op: ArithOp) =>
  (args: SValue[]): SValue =>
    arith(op, args[0] ?? null, args[1] ?? null);

/** Python-style slice bounds, as SubstringFunctionProcessor documents (negative counts from the end). */
function sliceIndex(i: number, len: number): number {
  if (i < 0) return Math.max(0, len + i);
  return Math.min(i, len);
}

/** Long.valueOf, falling back to Double.valueOf (ToNumberFunctionProcessor.parseDecimal); null when neither parses */
export function parseJavaNumber(s: string): number | null {
  const t = s.trim();
  if (/^[-+]?\d+$/.test(t)) return Number(t);
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?[fFdD]?$/.test(t)) return Number.parseFloat(t);
  if (/^[-+]?(NaN|Infinity)$/.test(t)) return Number(t);
  return null;
}

export const FUNCTIONS: Readonly<Record<string, FunctionSpec>> = {
  add: { name: 'add', minArgs: 2, maxArgs: 2, insensitiveVariant: false, impl: math('add') },
  subtract: { name: 'subtract', minArgs: 2, maxArgs: 2, insensitiveVariant: false, impl: math('sub') },
  multiply: { name: 'multiply', minArgs: 2, maxArgs: 2, insensitiveVariant: false, impl: math('mul') },
  divide: { name: 'divide', minArgs: 2, maxArgs: 2, insensitiveVariant: false, impl: math('div') },
  modulo: { name: 'modulo', minArgs: 2, maxArgs: 2, insensitiveVariant: false, impl: math('mod') },
  between: {
    name: 'between',
    minArgs: 3,
    maxArgs: 4,
    insensitiveVariant: true,
    impl: (args, ci) => {
      const s = str(args[0]);
      const l = str(args[1]);
      const r = str(args[2]);
      if (s === null || l === null || r === null) return null;
      const greedy = args[3] === true;
      const hs = fold(s, ci);
      const start = hs.indexOf(fold(l, ci));
      if (start < 0) return '';
      const from = start + l.length;
      const end = greedy ? hs.lastIndexOf(fold(r, ci)) : hs.indexOf(fold(r, ci), from);
      if (end < from) return '';
      return s.slice(from, end);
    },
  },
  // cidrMatch is compiled apart (its blocks are precompiled); impl unused
  cidrmatch: { name: 'cidrMatch', minArgs: 2, maxArgs: Number.POSITIVE_INFINITY, insensitiveVariant: false },
  concat: {
    name: 'concat',
    minArgs: 1,
    maxArgs: Number.POSITIVE_INFINITY,
    insensitiveVariant: false,
    impl: (args) => {
      let out = '';
      for (const a of args) {
        const s = str(a);
        if (s === null) return null;
        out += s;
      }
      return out;
    },
  },
  endswith: {
    name: 'endsWith',
    minArgs: 2,
    maxArgs: 2,
    insensitiveVariant: true,
    impl: (args, ci) => testPair(args, ci, (s, x) => s.endsWith(x)),
  },
  indexof: {
    name: 'indexOf',
    minArgs: 2,
    maxArgs: 3,
    insensitiveVariant: true,
    impl: (args, ci) => {
      const s = str(args[0]);
      const x = str(args[1]);
      if (s === null || x === null) return null;
      const startArg = args.length > 2 ? (args[2] as SValue) : null;
      const start = startArg === null ? 0 : num(startArg);
      if (start === null) return null;
      const i = fold(s, ci).indexOf(fold(x, ci), Math.max(0, start));
      return i < 0 ? null : int(i);
    },
  },
  length: {
    name: 'length',
    minArgs: 1,
    maxArgs: 1,
    insensitiveVariant: false,
    impl: (args) => {
      const s = str(args[0]);
      return s === null ? null : int(s.length);
    },
  },
  number: {
    name: 'number',
    minArgs: 1,
    maxArgs: 2,
    insensitiveVariant: false,
    impl: (args) => {
      const v = args[0] ?? null;
      if (v instanceof Num) return v;
      const s = str(v);
      if (s === null) return null;
      const baseArg = args.length > 1 ? (args[1] as SValue) : null;
      let base = baseArg === null ? 10 : num(baseArg);
      if (base === null) return null;
      let t = s.trim();
      if (base === 16 || (baseArg === null && /^[-+]?0x/i.test(t))) {
        base = 16;
        t = t.replace(/^([-+]?)0x/i, '$1');
      }
      if (base === 10) {
        const n = parseJavaNumber(t);
        return n === null ? null : fromJson(n);
      }
      if (!Number.isInteger(base) || base < 2 || base > 36) return null;
      const digits = '0123456789abcdefghijklmnopqrstuvwxyz'.slice(0, base);
      const body = t.replace(/^[-+]/, '').toLowerCase();
      if (body === '' || [...body].some((c) => !digits.includes(c))) return null;
      return new Num(Number.parseInt(t, base), 'long');
    },
  },
  startswith: {
    name: 'startsWith',
    minArgs: 2,
    maxArgs: 2,
    insensitiveVariant: true,
    impl: (args, ci) => testPair(args, ci, (s, x) => s.startsWith(x)),
  },
  string: {
    name: 'string',
    minArgs: 1,
    maxArgs: 1,
    insensitiveVariant: false,
    impl: (args) => str(args[0]),
  },
  stringcontains: {
    name: 'stringContains',
    minArgs: 2,
    maxArgs: 2,
    insensitiveVariant: true,
    impl: (args, ci) => testPair(args, ci, (s, x) => s.includes(x)),
  },
  substring: {
    name: 'substring',
    minArgs: 2,
    maxArgs: 3,
    insensitiveVariant: false,
    impl: (args) => {
      const s = str(args[0]);
      const st = num(args[1]);
      if (s === null || st === null) return null;
      const endArg = args.length > 2 ? (args[2] as SValue) : null;
      const en = endArg === null ? s.length : num(endArg);
      if (en === null) return null;
      const a = sliceIndex(Math.trunc(st), s.length);
      const b = sliceIndex(Math.trunc(en), s.length);
      return a >= b ? '' : s.slice(a, b);
    },
  },
};

export const FUNCTION_NAMES = Object.values(FUNCTIONS).map((f) => f.name);
