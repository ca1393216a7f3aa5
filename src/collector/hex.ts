// Decoding of the byte strings in bpftrace's output, printed as hex words (`%016llx` of
// little-endian 64-bit reads: argv, filenames, comm), and of the text they carry. Pure
// functions; no knowledge of the line protocol beyond that form.

// byte value of the two hex digits (a << 8 | b) for a, b < 256, or -1: one lookup per byte
const PAIR = new Int16Array(65536).fill(-1);
{
  const digits = '0123456789abcdefABCDEF';
  for (const a of digits)
    for (const b of digits) PAIR[(a.charCodeAt(0) << 8) | b.charCodeAt(0)] = Number.parseInt(a + b, 16);
}

/**
 * Decodes the first `n` bytes held by the little-endian 64-bit words printed as 16 hex
 * digits each (`%016llx`) in `text[start, end)` into `out` from `at`; false if the field is
 * not whole words of hex digits (all of it, the zero padding past `n` included) or holds
 * fewer than `n` bytes. Byte j of a word is its j-th least significant byte: the memory order
 * of the 8 bytes read.
 */
export function decodeHexWordsInto(
  text: string,
  start: number,
  end: number,
  n: number,
  out: Uint8Array,
  at = 0,
): boolean {
  if ((end - start) % 16 !== 0 || n > (end - start) >> 1) return false;
  // one pass over every byte of the field: the padding past n is checked, not kept
  const total = (end - start) >> 1;
  for (let i = 0; i < total; i++) {
    // the word's last two digits are its byte 0
    const p = start + (i >> 3) * 16 + 14 - ((i & 7) << 1);
    const a = text.charCodeAt(p);
    const b = text.charCodeAt(p + 1);
    if ((a | b) > 255) return false;
    const v = PAIR[(a << 8) | b]!;
    if (v < 0) return false;
    if (i < n) out[at + i] = v;
  }
  return true;
}

/**
 * Decodes bytes [from, to) of the little-endian words printed in `text[start, end)` into `out`
 * from `at`, looking at those bytes' digits only (the rest of the field is neither decoded nor
 * checked: for fields much longer than what they carry, such as a 200-byte string chunk holding
 * a 30-byte name). False if the field is not whole words, is too short, or a needed digit is not hex.
 */
export function decodeHexBytesInto(
  text: string,
  start: number,
  end: number,
  from: number,
  to: number,
  out: Uint8Array,
  at = 0,
): boolean {
  if ((end - start) % 16 !== 0 || to > (end - start) >> 1 || from > to) return false;
  for (let i = from; i < to; i++) {
    const p = start + (i >> 3) * 16 + 14 - ((i & 7) << 1);
    const a = text.charCodeAt(p);
    const b = text.charCodeAt(p + 1);
    if ((a | b) > 255) return false;
    const v = PAIR[(a << 8) | b]!;
    if (v < 0) return false;
    out[at + i - from] = v;
  }
  return true;
}

/** decodeHexWordsInto of a field that holds exactly `n` bytes (n a multiple of 8) into a new array. */
export function decodeHexWords(text: string, start: number, end: number, n: number): Uint8Array | undefined {
  if (end - start !== n * 2) return undefined;
  const out = new Uint8Array(n);
  return decodeHexWordsInto(text, start, end, n, out) ? out : undefined;
}

// ignoreBOM: a leading U+FEFF in an argument is data, not a byte-order mark; dropping it would
// report an argv different from the one the process was given
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export interface DecodedText {
  text: string;
  /** the bytes were not valid UTF-8: `text` is their byte-escaped form (escapeBytes) */
  escaped: boolean;
}

/** UTF-8 decode; bytes that are not valid UTF-8 give their byte-escaped form and set `escaped`. */
export function decodeUtf8(bytes: Uint8Array): DecodedText {
  // above ~16 bytes the native decoder beats the ASCII scan + fromCharCode below (measured:
  // 99 bytes 0.12 vs 0.67 µs), and gives the same text for ASCII
  if (bytes.length > 16) return decodeUtf8Native(bytes);
  let ascii = true;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i]! >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return { text: String.fromCharCode.apply(null, bytes as unknown as number[]), escaped: false };
  return decodeUtf8Native(bytes);
}

function decodeUtf8Native(bytes: Uint8Array): DecodedText {
  try {
    return { text: strictUtf8.decode(bytes), escaped: false };
  } catch {
    return { text: escapeBytes(bytes), escaped: true };
  }
}

const isHex = (b: number | undefined) =>
  b !== undefined && ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66));
const hex2 = (b: number) => `\\x${b.toString(16).padStart(2, '0')}`;

/** Length of the valid UTF-8 sequence at `i` (1-4), or 0 if the byte there does not start one
 *  (Unicode 15, table 3-7: no overlongs, no surrogates, nothing past U+10FFFF). */
function utf8SequenceAt(b: Uint8Array, i: number): number {
  const c = b[i] as number;
  if (c < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf) => {
    const v = b[i + k];
    return v !== undefined && v >= lo && v <= hi;
  };
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if ((c >= 0xe1 && c <= 0xec) || c === 0xee || c === 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (c === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (c === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xf1 && c <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

/**
 * The byte-escaped form of bytes that are not valid UTF-8 (docs/ecs-mapping.md, "Bytes that are
 * not UTF-8"): valid UTF-8 sequences are kept as text, each byte that is not part of one becomes
 * `\xNN` (two lowercase hex digits), and a backslash that the bytes follow with `x` and two hex
 * digits becomes `\x5c`, so that in an escaped string every `\xNN` is one byte and the form
 * reverses exactly (unescapeBytes). Used only for strings that are not valid UTF-8, which the
 * event marks (`process.Ext.bytes_escaped`); valid strings are never escaped.
 */
export function escapeBytes(b: Uint8Array): string {
  let out = '';
  let i = 0;
  while (i < b.length) {
    const c = b[i] as number;
    if (c === 0x5c && b[i + 1] === 0x78 && isHex(b[i + 2]) && isHex(b[i + 3])) {
      out += hex2(c);
      i++;
      continue;
    }
    const n = utf8SequenceAt(b, i);
    if (n === 0) {
      out += hex2(c);
      i++;
    } else if (n === 1) {
      out += String.fromCharCode(c);
      i++;
    } else {
      out += Buffer.from(b.buffer, b.byteOffset + i, n).toString('utf8');
      i += n;
    }
  }
  return out;
}

/** The bytes an escapeBytes form stands for (for consumers, tests and the docs' example). */
export function unescapeBytes(text: string): Uint8Array {
  const parts: Buffer[] = [];
  let last = 0;
  for (const m of text.matchAll(/\\x([0-9a-fA-F]{2})/g)) {
    parts.push(
      Buffer.from(text.slice(last, m.index), 'utf8'),
      Buffer.from([Number.parseInt(m[1] as string, 16)]),
    );
    last = (m.index as number) + 4;
  }
  parts.push(Buffer.from(text.slice(last), 'utf8'));
  return new Uint8Array(Buffer.concat(parts));
}

/** The bytes before the first NUL (C string semantics, e.g. `comm`). */
export function untilNul(bytes: Uint8Array): Uint8Array {
  const i = bytes.indexOf(0);
  return i < 0 ? bytes : bytes.subarray(0, i);
}

/**
 * Splits the kernel's argv area (NUL-terminated strings back to back) into arguments.
 * When `truncated`, the last piece is a cut-off argument without its NUL.
 */
export function splitArgv(
  bytes: Uint8Array,
  truncated: boolean,
  /** give every argument in the byte-escaped form (another string of the event is not UTF-8) */
  forceEscape = false,
): { argv: string[]; escaped: boolean } {
  const decode = forceEscape ? (b: Uint8Array) => ({ text: escapeBytes(b), escaped: true }) : decodeUtf8;
  const argv: string[] = [];
  let escaped = false;
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0) {
      const d = decode(bytes.subarray(start, i));
      argv.push(d.text);
      escaped ||= d.escaped;
      start = i + 1;
    }
  }
  if (start < bytes.length) {
    // an unterminated tail: cut by the bound, or a process that rewrote its argv area
    const d = decode(bytes.subarray(start));
    argv.push(d.text);
    escaped ||= d.escaped;
  } else if (truncated && bytes.length > 0) {
    // the bound fell right after a NUL: the next argument was cut to nothing
  }
  return { argv, escaped };
}
