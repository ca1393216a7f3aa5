// The Elasticsearch EQL function library, as pure functions over scalar arguments (the compiler
// fans multi-valued arguments out). Names are matched case-insensitively; a trailing `~` selects the
// case-insensitive variant where Elasticsearch has one. Semantics follow the Elasticsearch EQL
// function reference (docs/reference/query-languages/eql/eql-function-ref.md): a null argument
// gives null unless noted.
import type { Scalar } from './field.js';

export interface FunctionSpec {
  /** canonical spelling, as in the Elasticsearch reference */
  name: string;
  minArgs: number;
  maxArgs: number;
  /** has a `~` case-insensitive variant */
  insensitiveVariant: boolean;
  /** evaluated per combination of scalar arguments */
  impl?: (args: Scalar[], insensitive: boolean) => Scalar;
}

const num = (v: Scalar): number | null => (typeof v === 'number' ? v : null);
const str = (v: Scalar): string | null =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : null;
const fold = (s: string, ci: boolean) => (ci ? s.toLowerCase() : s);

/** the string functions of two string arguments: null when either is null, else the test on both
 *  strings, lower-cased for the `~` variants */
function testPair(
  args: readonly Scalar[],
  ci: boolean,
  test: (s: string, x: string) => boolean,
): boolean | null {
  const s = str(args[0] as Scalar);
  const x = str(args[1] as Scalar);
  return s === null || x === null ? null : test(fold(s, ci), fold(x, ci));
}

function arith(op: (a: number, b: number, ints: boolean) => number | null) {
  return (args: Scalar[]): Scalar => {
    const a = num(args[0] as Scalar);
    const b = num(args[1] as Scalar);
    if (a === null || b === null) return null;
    return op(a, b, Number.isInteger(a) && Number.isInteger(b));
  };
}

/** Java-style integer division/modulo by zero is an error in ES; we return null (no match). */
export const divideNumbers = (a: number, b: number, ints: boolean): number | null => {
  if (b === 0) return ints ? null : a / b;
  return ints ? Math.trunc(a / b) : a / b;
};
export const moduloNumbers = (a: number, b: number, ints: boolean): number | null =>
  b === 0 && ints ? null : a % b;

/** Python-style slice bounds, as Elasticsearch's substring() documents (negative counts from the end). */
function sliceIndex(i: number, len: number): number {
  if (i < 0) return Math.max(0, len + i);
  return Math.min(i, len);
}

export const FUNCTIONS: Readonly<Record<string, FunctionSpec>> = {
  add: { name: 'add', minArgs: 2, maxArgs: 2, insensitiveVariant: false, impl: arith((a, b) => a + b) },
  subtract: {
    name: 'subtract',
    minArgs: 2,
    maxArgs: 2,
    insensitiveVariant: false,
    impl: arith((a, b) => a - b),
  },
  multiply: {
    name: 'multiply',
    minArgs: 2,
    maxArgs: 2,
    insensitiveVariant: false,
    impl: arith((a, b) => a * b),
  },
  divide: { name: 'divide', minArgs: 2, maxArgs: 2, insensitiveVariant: false, impl: arith(divideNumbers) },
  modulo: { name: 'modulo', minArgs: 2, maxArgs: 2, insensitiveVariant: false, impl: arith(moduloNumbers) },
  between: {
    name: 'between',
    minArgs: 3,
    maxArgs: 4,
    insensitiveVariant: true,
    impl: (args, ci) => {
      const s = str(args[0] as Scalar);
      const l = str(args[1] as Scalar);
      const r = str(args[2] as Scalar);
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
  // cidrMatch is compiled specially (its blocks are precompiled); impl unused
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
      const s = str(args[0] as Scalar);
      const x = str(args[1] as Scalar);
      if (s === null || x === null) return null;
      const startArg = args.length > 2 ? (args[2] as Scalar) : 0;
      const start = startArg === null ? 0 : num(startArg);
      if (start === null) return null;
      const i = fold(s, ci).indexOf(fold(x, ci), Math.max(0, start));
      return i < 0 ? null : i;
    },
  },
  length: {
    name: 'length',
    minArgs: 1,
    maxArgs: 1,
    insensitiveVariant: false,
    impl: (args) => {
      const s = str(args[0] as Scalar);
      return s === null ? null : s.length;
    },
  },
  number: {
    name: 'number',
    minArgs: 1,
    maxArgs: 2,
    insensitiveVariant: false,
    impl: (args) => {
      const v = args[0] as Scalar;
      if (typeof v === 'number') return v;
      const s = str(v);
      if (s === null) return null;
      const baseArg = args.length > 1 ? (args[1] as Scalar) : null;
      let base = baseArg === null ? 10 : num(baseArg);
      if (base === null) return null;
      let t = s.trim();
      if (base === 16 || (baseArg === null && /^[-+]?0x/i.test(t))) {
        base = 16;
        t = t.replace(/^([-+]?)0x/i, '$1');
      }
      if (base === 10) {
        if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) return null;
        return Number(t);
      }
      if (!Number.isInteger(base) || base < 2 || base > 36) return null;
      const digits = '0123456789abcdefghijklmnopqrstuvwxyz'.slice(0, base);
      const body = t.replace(/^[-+]/, '').toLowerCase();
      if (body === '' || [...body].some((c) => !digits.includes(c))) return null;
      return Number.parseInt(t, base);
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
    impl: (args) => str(args[0] as Scalar),
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
      const s = str(args[0] as Scalar);
      const st = num(args[1] as Scalar);
      if (s === null || st === null) return null;
      const endArg = args.length > 2 ? (args[2] as Scalar) : null;
      const en = endArg === null ? s.length : num(endArg);
      if (en === null) return null;
      const a = sliceIndex(Math.trunc(st), s.length);
      const b = sliceIndex(Math.trunc(en), s.length);
      return a >= b ? '' : s.slice(a, b);
    },
  },
};

export const FUNCTION_NAMES = Object.values(FUNCTIONS).map((f) => f.name);
