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
const lossyUtf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

export interface DecodedText {
  text: string;
  /** invalid UTF-8 was replaced by U+FFFD */
  lossy: boolean;
}

/** UTF-8 decode; invalid sequences become U+FFFD and set `lossy`. */
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
  if (ascii) return { text: String.fromCharCode.apply(null, bytes as unknown as number[]), lossy: false };
  return decodeUtf8Native(bytes);
}

function decodeUtf8Native(bytes: Uint8Array): DecodedText {
  try {
    return { text: strictUtf8.decode(bytes), lossy: false };
  } catch {
    return { text: lossyUtf8.decode(bytes), lossy: true };
  }
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
export function splitArgv(bytes: Uint8Array, truncated: boolean): { argv: string[]; lossy: boolean } {
  const argv: string[] = [];
  let lossy = false;
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0) {
      const d = decodeUtf8(bytes.subarray(start, i));
      argv.push(d.text);
      lossy ||= d.lossy;
      start = i + 1;
    }
  }
  if (start < bytes.length) {
    // an unterminated tail: cut by the bound, or a process that rewrote its argv area
    const d = decodeUtf8(bytes.subarray(start));
    argv.push(d.text);
    lossy ||= d.lossy;
  } else if (truncated && bytes.length > 0) {
    // the bound fell right after a NUL: the next argument was cut to nothing
  }
  return { argv, lossy };
}
