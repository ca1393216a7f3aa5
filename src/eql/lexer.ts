// Lexer for Elasticsearch EQL: turns query text into tokens with offsets. Strings are unescaped
// here (\n \r \t \\ \" \' \b \f \u{XXXX}; """raw""" strings verbatim), comments (// and /* */)
// skipped. Identifiers keep their dots (`process.parent.name` is one token) and a directly
// following `~` (`in~`, `startsWith~`). It knows no grammar; keywords are recognised by the parser.
import { EqlError } from './errors.js';

export type TokenType = 'ident' | 'string' | 'number' | 'backtick' | 'op' | 'eof';

export interface Token {
  type: TokenType;
  /** identifier/operator text, unescaped string value, or the number's source text */
  value: string;
  offset: number;
  end: number;
  /** for number tokens */
  num?: number;
  /** true when the number is written without a fraction or exponent */
  integer?: boolean;
  /** for string tokens: written as """raw""" */
  raw?: boolean;
}

const OPS = [
  '==',
  '!=',
  '<=',
  '>=',
  '<',
  '>',
  ':',
  '(',
  ')',
  '[',
  ']',
  ',',
  '+',
  '-',
  '*',
  '/',
  '%',
  '|',
  '!',
  '=',
  '?',
];

const isIdentStart = (c: string) => /[A-Za-z_@]/.test(c);
const isIdentPart = (c: string) => /[A-Za-z0-9_@.]/.test(c);
const isDigit = (c: string) => c >= '0' && c <= '9';

function readEscape(text: string, i: number): { ch: string; next: number } {
  const c = text[i + 1];
  switch (c) {
    case 'n':
      return { ch: '\n', next: i + 2 };
    case 'r':
      return { ch: '\r', next: i + 2 };
    case 't':
      return { ch: '\t', next: i + 2 };
    case 'b':
      return { ch: '\b', next: i + 2 };
    case 'f':
      return { ch: '\f', next: i + 2 };
    case '\\':
    case '"':
    case "'":
      return { ch: c, next: i + 2 };
    case 'u': {
      const m = /^\{([0-9A-Fa-f]{2,8})\}/.exec(text.slice(i + 2, i + 14));
      if (!m) {
        throw new EqlError(
          'syntax',
          'Expected a unicode escape like \\u{200F} (2 to 8 hex digits in braces)',
          text,
          i,
        );
      }
      const cp = Number.parseInt(m[1] as string, 16);
      if (cp > 0x10ffff) throw new EqlError('syntax', `Invalid unicode code point \\u{${m[1]}}`, text, i);
      return { ch: String.fromCodePoint(cp), next: i + 2 + m[0].length };
    }
    default:
      throw new EqlError(
        'syntax',
        `Unknown escape sequence \`\\${c ?? ''}\` in string; expected one of \\n \\r \\t \\\\ \\" \\u{XXXX}`,
        text,
        i,
      );
  }
}

export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i] as string;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (c === '/' && text[i + 1] === '/') {
      while (i < n && text[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      const e = text.indexOf('*/', i + 2);
      if (e < 0) throw new EqlError('syntax', 'Unterminated comment: expected `*/`', text, i);
      i = e + 2;
      continue;
    }
    if (c === '"') {
      if (text.startsWith('"""', i)) {
        const e = text.indexOf('"""', i + 3);
        if (e < 0) throw new EqlError('syntax', 'Unterminated raw string: expected closing `"""`', text, i);
        out.push({ type: 'string', value: text.slice(i + 3, e), offset: i, end: e + 3, raw: true });
        i = e + 3;
        continue;
      }
      let j = i + 1;
      let s = '';
      for (;;) {
        if (j >= n || text[j] === '\n' || text[j] === '\r')
          throw new EqlError('syntax', 'Unterminated string: expected closing `"`', text, i);
        const d = text[j] as string;
        if (d === '"') break;
        if (d === '\\') {
          const esc = readEscape(text, j);
          s += esc.ch;
          j = esc.next;
        } else {
          s += d;
          j++;
        }
      }
      out.push({ type: 'string', value: s, offset: i, end: j + 1 });
      i = j + 1;
      continue;
    }
    if (c === "'") {
      throw new EqlError(
        'syntax',
        'Strings in single quotes are not supported: use double quotes ("...") or """raw"""',
        text,
        i,
      );
    }
    if (c === '`') {
      let j = i + 1;
      let s = '';
      for (;;) {
        if (j >= n)
          throw new EqlError('syntax', 'Unterminated quoted field name: expected closing `', text, i);
        if (text[j] === '`') {
          if (text[j + 1] === '`') {
            s += '`';
            j += 2;
            continue;
          }
          break;
        }
        s += text[j];
        j++;
      }
      if (s === '') throw new EqlError('syntax', 'Empty quoted field name ``', text, i);
      out.push({ type: 'backtick', value: s, offset: i, end: j + 1 });
      i = j + 1;
      continue;
    }
    if (isDigit(c) || (c === '.' && isDigit(text[i + 1] ?? ''))) {
      const m = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 64)) as RegExpExecArray;
      const src = m[0];
      out.push({
        type: 'number',
        value: src,
        num: Number(src),
        integer: /^\d+$/.test(src),
        offset: i,
        end: i + src.length,
      });
      i += src.length;
      continue;
    }
    if (isIdentStart(c)) {
      let j = i + 1;
      while (j < n && isIdentPart(text[j] as string)) j++;
      if (text[j - 1] === '.') {
        throw new EqlError(
          'syntax',
          `Expected a field name after \`.\` in \`${text.slice(i, j)}\``,
          text,
          j - 1,
        );
      }
      if (text[j] === '~') j++;
      out.push({ type: 'ident', value: text.slice(i, j), offset: i, end: j });
      i = j;
      continue;
    }
    const op = OPS.find((o) => text.startsWith(o, i));
    if (op) {
      out.push({ type: 'op', value: op, offset: i, end: i + op.length });
      i += op.length;
      continue;
    }
    throw new EqlError('syntax', `Unexpected character \`${c}\``, text, i);
  }
  out.push({ type: 'eof', value: '', offset: n, end: n });
  return out;
}
