// Values as Elasticsearch's EQL scripts see them, and the Java rules they follow: numbers carry
// their Java type (int, long or double) because the type decides integer vs floating-point
// arithmetic, overflow and how a number prints; comparisons and arithmetic follow
// x-pack/plugin/ql .../predicate/operator/comparison/Comparisons.java and
// .../operator/arithmetic/Arithmetics.java. Used only by script evaluation (script.ts) and
// constant folding; the query-level tests in compile-expr.ts read raw JSON values.
import type { Scalar } from './field.js';

export type NumKind = 'int' | 'long' | 'double';

/** a number with its Java type */
export class Num {
  constructor(
    readonly v: number,
    readonly k: NumKind,
  ) {}
}

export type SValue = string | boolean | Num | null;

/** an error Elasticsearch raises while evaluating (ArithmeticException, a type mismatch) */
export class ScriptError extends Error {
  override readonly name = 'ScriptError';
}

const INT_MIN = -2147483648;
const INT_MAX = 2147483647;
// Long.MIN_VALUE / MAX_VALUE as doubles (-2^63, 2^63): JSON numbers beyond 2^53 have lost
// precision already
const LONG_MIN = -(2 ** 63);
const LONG_MAX = 2 ** 63;

/** a JSON value as a doc value: whole numbers are longs, others doubles (a long or double mapping) */
export function fromJson(x: Scalar): SValue {
  if (typeof x === 'number') return new Num(x, Number.isInteger(x) ? 'long' : 'double');
  return x;
}

/** a number literal as the parser types it: int when it fits, else long; fraction/exponent: double */
export function fromLiteral(x: number, integer: boolean): Num {
  if (!integer) return new Num(x, 'double');
  return new Num(x, x >= INT_MIN && x <= INT_MAX ? 'int' : 'long');
}

/** Java's Double.toString */
export function javaDouble(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return 'Infinity';
  if (v === Number.NEGATIVE_INFINITY) return '-Infinity';
  if (v === 0) return Object.is(v, -0) ? '-0.0' : '0.0';
  const abs = Math.abs(v);
  if (abs >= 1e-3 && abs < 1e7) {
    const s = String(v);
    return s.includes('.') ? s : `${s}.0`;
  }
  const [mant, exp] = v.toExponential().split('e') as [string, string];
  return `${mant.includes('.') ? mant : `${mant}.0`}E${Number(exp)}`;
}

/** String.valueOf as Elasticsearch's string() and concat() apply it */
export function javaString(x: SValue): string | null {
  if (x === null) return null;
  if (x instanceof Num) return x.k === 'double' ? javaDouble(x.v) : String(x.v);
  return String(x);
}

/** Comparisons.compare: numbers numerically (Double.compare when a double is involved), strings
 *  by UTF-16 code unit (String.compareTo), booleans false < true; null for null or mixed types */
export function compare(a: SValue, b: SValue): number | null {
  if (a === null || b === null) return null;
  if (a instanceof Num && b instanceof Num) {
    if (a.k === 'double' || b.k === 'double') return doubleCompare(a.v, b.v);
    return a.v < b.v ? -1 : a.v > b.v ? 1 : 0;
  }
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? 0 : a ? 1 : -1;
  return null;
}

/** Double.compare: NaN above everything and equal to itself, -0.0 below 0.0 */
function doubleCompare(a: number, b: number): number {
  if (a < b) return -1;
  if (a > b) return 1;
  if (a === b && (a !== 0 || Object.is(a, b))) return 0;
  if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : 1;
  if (Number.isNaN(b)) return -1;
  return Object.is(a, -0) ? -1 : 1;
}

export type ArithOp = 'add' | 'sub' | 'mul' | 'div' | 'mod';

function exact(v: number, k: NumKind, what: string): Num {
  if (k === 'int' ? v < INT_MIN || v > INT_MAX : v < LONG_MIN || v >= LONG_MAX)
    throw new ScriptError(`${k === 'int' ? 'integer' : 'long'} overflow in ${what}`);
  return new Num(v, k);
}

/** Arithmetics.add/sub/mul/div/mod with JLS widening: double, else long, else int; integer
 *  overflow and integer division by zero raise, as Math.*Exact and `/` do in Java */
export function arith(op: ArithOp, a: SValue, b: SValue): SValue {
  if (a === null || b === null) return null;
  if (!(a instanceof Num) || !(b instanceof Num))
    throw new ScriptError(
      `A number is required; received ${a instanceof Num ? javaString(b) : javaString(a)}`,
    );
  const k: NumKind =
    a.k === 'double' || b.k === 'double' ? 'double' : a.k === 'long' || b.k === 'long' ? 'long' : 'int';
  const x = a.v;
  const y = b.v;
  if (k === 'double') {
    const r =
      op === 'add' ? x + y : op === 'sub' ? x - y : op === 'mul' ? x * y : op === 'div' ? x / y : x % y;
    return new Num(r, 'double');
  }
  switch (op) {
    case 'add':
      return exact(x + y, k, 'addition');
    case 'sub':
      return exact(x - y, k, 'subtraction');
    case 'mul':
      return exact(x * y, k, 'multiplication');
    case 'div':
      if (y === 0) throw new ScriptError('/ by zero');
      return exact(Math.trunc(x / y), k, 'division');
    default:
      if (y === 0) throw new ScriptError('/ by zero');
      return new Num(x % y, k);
  }
}

/** Arithmetics.negate (Math.negateExact for int and long) */
export function negate(a: SValue): SValue {
  if (a === null) return null;
  if (!(a instanceof Num)) throw new ScriptError(`A number is required; received ${javaString(a)}`);
  return a.k === 'double' ? new Num(-a.v, 'double') : exact(-a.v, a.k, 'negation');
}
