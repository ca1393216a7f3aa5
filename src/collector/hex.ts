// Decoding of bpftrace's `%rx` output (every byte as `\xNN`) and of the byte strings it
// carries. Pure functions; no knowledge of the line protocol beyond that escape form.

const HEX = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) HEX[48 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX[65 + i] = 10 + i;
  HEX[97 + i] = 10 + i;
}

/** Decodes `\xNN\xNN...` into bytes; undefined if the text is not exactly that form. */
export function decodeRx(text: string): Uint8Array | undefined {
  const n = text.length;
  if (n % 4 !== 0) return undefined;
  const out = new Uint8Array(n / 4);
  for (let i = 0, j = 0; i < n; i += 4, j++) {
    if (text.charCodeAt(i) !== 92 || text.charCodeAt(i + 1) !== 120) return undefined;
    const a = text.charCodeAt(i + 2);
    const b = text.charCodeAt(i + 3);
    if ((a | b) > 255) return undefined;
    const hi = HEX[a]!;
    const lo = HEX[b]!;
    if ((hi | lo) < 0) return undefined;
    out[j] = (hi << 4) | lo;
  }
  return out;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const lossyUtf8 = new TextDecoder('utf-8', { fatal: false });

export interface DecodedText {
  text: string;
  /** invalid UTF-8 was replaced by U+FFFD */
  lossy: boolean;
}

/** UTF-8 decode; invalid sequences become U+FFFD and set `lossy`. */
export function decodeUtf8(bytes: Uint8Array): DecodedText {
  let ascii = true;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i]! >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return { text: String.fromCharCode.apply(null, bytes as unknown as number[]), lossy: false };
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
