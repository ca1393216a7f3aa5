// Makes an untrusted string safe to put on one console or syslog line: control characters
// (C0, DEL, C1), line/paragraph separators, bidi overrides and lone surrogates become visible
// escapes, a backslash is doubled so escapes stay unambiguous, and long values are cut with a
// marker. It does not quote; callers that need quoting (RFC 5424 PARAM-VALUE) do their own.

const UNSAFE =
  /[\\\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const NAMED: Readonly<Record<string, string>> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

export function neutralize(value: unknown, maxLength = 256): string {
  let s = typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value);
  let cut = false;
  if (s.length > maxLength) {
    s = s.slice(0, maxLength);
    cut = true;
  }
  const escaped = s.replace(UNSAFE, (ch) => {
    const named = NAMED[ch];
    if (named) return named;
    const code = ch.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
  return cut ? `${escaped}…[truncated]` : escaped;
}
