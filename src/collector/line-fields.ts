// The field scanner shared by the line parsers (line-parser.ts for the process and network
// program, file-line-parser.ts for the file program): a line is scanned once for its field
// boundaries and fields are decoded in place (numbers, hex words) without splitting it into
// strings. Module state, reused: parsing is synchronous and not re-entrant; a field that is not
// what its line needs throws Bad, which the parsers turn into a `malformed` line.
import { decodeHexWords } from './hex.js';
import type { MalformedLine } from './line.js';

/** A field that is not what its line type needs; parse() turns it into a `malformed` line. */
export class Bad extends Error {}

export function malformed(reason: string): MalformedLine {
  return { kind: 'malformed', reason };
}

// Field boundaries of the line being parsed: field i is line[start[i], end[i]). Fields are
// separated by single spaces, as `line.split(' ')` would cut them (empty fields included).
// Module state, reused: parseLine is synchronous and not re-entrant.
const MAX_FIELDS = 32;
export const fieldStart = new Int32Array(MAX_FIELDS);
export const fieldEnd = new Int32Array(MAX_FIELDS);
/** the line being parsed (set by scan, cleared by endLine) */
export let L = '';
/** number of fields, or MAX_FIELDS + 1 when there are more (no line type has that many) */
let nFields = 0;

export function scan(line: string): void {
  L = line;
  let n = 0;
  let a = 0;
  for (let i = line.indexOf(' '); i >= 0; i = line.indexOf(' ', a)) {
    if (n === MAX_FIELDS) {
      nFields = MAX_FIELDS + 1;
      return;
    }
    fieldStart[n] = a;
    fieldEnd[n] = i;
    n++;
    a = i + 1;
  }
  if (n === MAX_FIELDS) {
    nFields = MAX_FIELDS + 1;
    return;
  }
  fieldStart[n] = a;
  fieldEnd[n] = line.length;
  nFields = n + 1;
}

export function text(i: number): string {
  return L.slice(fieldStart[i]!, fieldEnd[i]!);
}

/** Decimal integer of line[a, b) without a regex; NaN unless it is all [-]digits (<= 16). */
function parseDecimal(a: number, b: number): number {
  const s = L;
  const neg = s.charCodeAt(a) === 45;
  let i = neg ? a + 1 : a;
  if (i === b || b - i > 16) return Number.NaN;
  let v = 0;
  for (; i < b; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return Number.NaN;
    v = v * 10 + d;
  }
  return neg ? -v : v;
}

export function int(i: number): number {
  const v = parseDecimal(fieldStart[i]!, fieldEnd[i]!);
  if (!Number.isSafeInteger(v))
    throw new Bad(`field ${i} is not an integer: ${JSON.stringify(text(i).slice(0, 30))}`);
  return v;
}

export function uint(i: number): number {
  const v = int(i);
  if (v < 0) throw new Bad(`field ${i} is negative: ${v}`);
  return v;
}

export function big(i: number): bigint {
  const s = L;
  const a = fieldStart[i]!;
  const b = fieldEnd[i]!;
  const n = b - a;
  if (n === 0 || n > 20 || !Number.isInteger(parseDecimal(a, a + Math.min(n, 16)))) {
    throw new Bad(`field ${i} is not an unsigned integer`);
  }
  if (s.charCodeAt(a) === 45) throw new Bad(`field ${i} is negative`);
  for (let k = a + 16; k < b; k++) {
    const d = s.charCodeAt(k) - 48;
    if (d < 0 || d > 9) throw new Bad(`field ${i} is not an unsigned integer`);
  }
  // up to 15 digits is below 2^53: exact as a number, and BigInt(number) skips string parsing
  return n <= 15 ? BigInt(parseDecimal(a, b)) : BigInt(s.slice(a, b));
}

// the comm field read last and its bytes: a busy process names itself in line after line
let lastCommField = '';
let lastComm: Uint8Array = new Uint8Array(0);

/** comm: task_struct.comm as two hex words (16 bytes, NUL-padded). Read-only: a comm field
 *  equal to the one read before gives the same array again (decoders may key on it). */
export function comm(i: number): Uint8Array {
  const a = fieldStart[i]!;
  const end = fieldEnd[i]!;
  if (end - a === lastCommField.length && L.startsWith(lastCommField, a)) return lastComm;
  const b = decodeHexWords(L, a, end, 16);
  if (b === undefined) throw new Bad(`field ${i} is not two hex words`);
  lastCommField = L.slice(a, end);
  lastComm = b;
  return b;
}

/** the number of fields of the line being parsed (for line types with an optional last field) */
export function fieldsInLine(): number {
  return nFields;
}

export function arity(n: number, kind: string): void {
  if (nFields !== n) throw new Bad(`${kind} line has ${fieldCount()} fields, expected ${n}`);
}

function fieldCount(): number {
  return nFields <= MAX_FIELDS ? nFields : L.split(' ').length;
}

/** Whether field 0 is exactly `word`. */
export function is(word: string): boolean {
  return fieldEnd[0] === word.length && L.startsWith(word);
}

/** Forgets the line parsed last (so that a long line is not kept alive). */
export function endLine(): void {
  L = '';
}
