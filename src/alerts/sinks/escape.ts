// Escaping for the text that goes into a syslog record. Values are split into tokens (one code point,
// or the escape that replaces it) so that truncation to a byte budget never cuts an escape or a
// UTF-8 sequence in half. Control characters (C0, DEL, C1), line/paragraph separators, bidi
// controls and lone surrogates (what invalid UTF-8 decodes to when it is not U+FFFD) become
// visible `\xNN` / `\u{NNNN}` escapes, so a hostile command line cannot start a second record on a
// line-oriented reader or in an octet-counted stream. It does not decide what a field contains.

const UNSAFE = /^(?:[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]|[\ud800-\udfff])$/;

/** One code point, escaped when unsafe. Backslashes are left alone here (callers decide). */
function escapeCodePoint(cp: string): string {
  if (!UNSAFE.test(cp)) return cp;
  const code = cp.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
}

const ANY_UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]/;
const PARAM_SPECIAL = /["\\\]]/;

/** Tokens of a free-text value (MSG, key=value text): unsafe code points escaped. */
export function textTokens(value: string): string[] {
  const out: string[] = [];
  // for..of walks code points; a lone surrogate comes out as its own one-unit string
  for (const cp of value) out.push(escapeCodePoint(cp));
  return out;
}

/** Tokens of an RFC 5424 PARAM-VALUE: `"`, `\` and `]` get a backslash (section 6.3.3), and unsafe
 *  code points are escaped as in textTokens. */
export function paramValueTokens(value: string): string[] {
  const out: string[] = [];
  for (const cp of value) {
    if (cp === '"' || cp === '\\' || cp === ']') out.push(`\\${cp}`);
    else out.push(escapeCodePoint(cp));
  }
  return out;
}

/** Keeps whole tokens while their UTF-8 size fits `budget` bytes; reports whether it cut. */
export function takeBytes(tokens: readonly string[], budget: number): { text: string; cut: boolean } {
  let used = 0;
  let i = 0;
  for (; i < tokens.length; i++) {
    const n = Buffer.byteLength(tokens[i] as string, 'utf8');
    if (used + n > budget) break;
    used += n;
  }
  return { text: tokens.slice(0, i).join(''), cut: i < tokens.length };
}

/** RFC 5424 PRINTUSASCII (33..126) only, cut to `max` characters; `-` (NILVALUE) when empty. */
export function printAscii(value: string, max: number): string {
  const s = value.replace(/[^\x21-\x7e]/g, '_').slice(0, max);
  return s.length > 0 ? s : '-';
}

/** A whole value escaped for free text. */
export function escapeText(value: string): string {
  return ANY_UNSAFE.test(value) ? textTokens(value).join('') : value;
}

/** A whole value escaped as an RFC 5424 PARAM-VALUE. */
export function escapeParamValue(value: string): string {
  return ANY_UNSAFE.test(value) || PARAM_SPECIAL.test(value) ? paramValueTokens(value).join('') : value;
}

/** Escapes `value` with `escape` and keeps it within `budget` UTF-8 bytes, cutting only between
 *  tokens (tokenizing only when a cut is needed, which keeps the common case fast). */
export function fitText(
  value: string,
  budget: number,
  tokens: (v: string) => string[],
  escapeAll: (v: string) => string,
): { text: string; cut: boolean } {
  const whole = escapeAll(value);
  if (Buffer.byteLength(whole) <= budget) return { text: whole, cut: false };
  return takeBytes(tokens(value), budget);
}
