// Precompiled string patterns for `:`, like, like~, regex and regex~, and for the wildcard queries
// endsWith/stringContains become.
// EQL wildcards (`:`, like, like~): `*` any run, `?` one character (code point), and no escape
// character: Elasticsearch turns the pattern into a LIKE pattern whose escape character is U+0001,
// one no query can use (x-pack/plugin/eql .../util/StringUtils.toLikePattern), so `\` is always a
// literal backslash and `*`/`?` are always wildcards; a pattern containing U+0001 itself is
// rejected, as Elasticsearch's LIKE parser rejects it.
// endsWith/stringContains on a field run as a Lucene wildcard query built from the raw argument
// (QueryTranslator.CaseInsensitiveScalarFunctions): there `*` and `?` are wildcards and `\` escapes
// the next character (compileLuceneWildcard).
// Regular expressions on a field use the Lucene RegExp dialect Elasticsearch runs (always
// anchored, `.` matches newlines, `"..."` quotes literally, `@` is any string, `#` the empty
// language); we translate to a JavaScript RegExp and reject Lucene's `&` (intersection), `~`
// (complement) and `<n-m>` (numeric interval), which JS cannot express. In a script (a function's
// result) the same operators run as java.util.regex (compileScriptLike, compileScriptRegex).
// See docs/eql.md.

export type StringTest = (s: string) => boolean;

type Piece = { lit: string } | { star: true } | { one: true };

/** the character Elasticsearch uses as the LIKE escape (StringUtils.toLikePattern) */
export const LIKE_ESCAPE = '\u0001';

export class WildcardSyntaxError extends Error {
  override readonly name = 'WildcardSyntaxError';
}

function wildcardPieces(p: string, escapes = false): Piece[] {
  const out: Piece[] = [];
  let lit = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i] as string;
    if (escapes && c === '\\' && i + 1 < p.length) {
      lit += p[i + 1];
      i++;
    } else if (c === '*' || c === '?') {
      if (lit) out.push({ lit });
      lit = '';
      out.push(c === '*' ? { star: true } : { one: true });
    } else lit += c;
  }
  if (lit) out.push({ lit });
  return out;
}

/** The literal runs of a wildcard pattern: every match contains each of them. */
export function wildcardLiterals(pattern: string): string[] {
  return wildcardPieces(pattern)
    .filter((x): x is { lit: string } => 'lit' in x)
    .map((x) => x.lit);
}

/** `*`-only patterns (the common `*a*b*` shape) by successive indexOf, no RegExp */
function globStars(pieces: Piece[]): StringTest {
  const lits = pieces.filter((x): x is { lit: string } => 'lit' in x).map((x) => x.lit);
  const anchoredStart = 'lit' in (pieces[0] as Piece);
  const anchoredEnd = 'lit' in (pieces[pieces.length - 1] as Piece);
  const first = anchoredStart ? (lits[0] as string) : '';
  const last = anchoredEnd ? (lits[lits.length - 1] as string) : '';
  const middle = lits.slice(anchoredStart ? 1 : 0, anchoredEnd ? lits.length - 1 : lits.length);
  const minLen = lits.reduce((n, l) => n + l.length, 0);
  return (s) => {
    if (s.length < minLen) return false;
    if (anchoredStart && !s.startsWith(first)) return false;
    if (anchoredEnd && !s.endsWith(last)) return false;
    const end = s.length - last.length;
    let pos = first.length;
    for (const m of middle) {
      const i = s.indexOf(m, pos);
      if (i < 0 || i + m.length > end) return false;
      pos = i + m.length;
    }
    return pos <= end;
  };
}

const reEscape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
/** escaping for a RegExp with the `u` flag, where `\-` is not a valid escape outside a class */
const reEscapeU = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

function checkWildcard(pattern: string): void {
  if (pattern.includes(LIKE_ESCAPE))
    throw new WildcardSyntaxError(
      'the pattern contains U+0001, which Elasticsearch reserves as the escape character of its LIKE patterns',
    );
}

/** Compiles a wildcard pattern; for insensitive tests the caller lower-cases the input. */
export function compileWildcard(pattern: string, insensitive: boolean, escapes = false): StringTest {
  if (!escapes) checkWildcard(pattern);
  const pieces = wildcardPieces(insensitive ? pattern.toLowerCase() : pattern, escapes);
  const lits = pieces.filter((x): x is { lit: string } => 'lit' in x);
  const shape = pieces.map((x) => ('lit' in x ? 'L' : 'star' in x ? '*' : '?')).join('');
  const l0 = lits[0]?.lit ?? '';
  switch (shape) {
    case '':
      return (s) => s === '';
    case 'L':
      return (s) => s === l0;
    case '*':
      return () => true;
    case 'L*':
      return (s) => s.startsWith(l0);
    case '*L':
      return (s) => s.endsWith(l0);
    case '*L*':
      return (s) => s.includes(l0);
    case 'L*L': {
      const l1 = lits[1]?.lit as string;
      return (s) => s.length >= l0.length + l1.length && s.startsWith(l0) && s.endsWith(l1);
    }
    default: {
      if (!shape.includes('?')) return globStars(pieces);
      // `?` is one character as Lucene counts them: a code point (hence the `u` flag)
      const src = pieces
        .map((x) => ('lit' in x ? reEscapeU(x.lit) : 'star' in x ? '[\\s\\S]*' : '[\\s\\S]'))
        .join('');
      const re = new RegExp(`^${src}$`, 'u');
      return (s) => re.test(s);
    }
  }
}

/**
 * One test for a list of wildcard patterns (any may match), for `:`, like and like~ lists: literal
 * patterns go to a Set, `*text*` patterns to one unanchored alternation, `text*` to one anchored
 * at the start, `*text` to endsWith checks, and any other pattern keeps its own matcher. For
 * insensitive lists the caller lower-cases the input, as for compileWildcard.
 */
export function compileWildcardList(patterns: readonly string[], insensitive: boolean): StringTest {
  const exact = new Set<string>();
  const contains: string[] = [];
  const heads: string[] = [];
  const tails: string[] = [];
  const others: StringTest[] = [];
  for (const pattern of patterns) {
    checkWildcard(pattern);
    const pieces = wildcardPieces(insensitive ? pattern.toLowerCase() : pattern);
    const shape = pieces.map((x) => ('lit' in x ? 'L' : 'star' in x ? '*' : '?')).join('');
    const lits = pieces.filter((x): x is { lit: string } => 'lit' in x).map((x) => x.lit);
    if (shape === '') exact.add('');
    else if (/^\*+$/.test(shape)) return () => true;
    else if (shape === 'L') exact.add(lits[0] as string);
    else if (/^L\*+$/.test(shape)) heads.push(lits[0] as string);
    else if (/^\*+L$/.test(shape)) tails.push(lits[0] as string);
    else if (/^\*+L\*+$/.test(shape)) contains.push(lits[0] as string);
    else others.push(compileWildcard(pattern, insensitive));
  }
  const alternation = (xs: string[]) => xs.map(reEscape).join('|');
  const containsRe = contains.length > 1 ? new RegExp(alternation(contains)) : undefined;
  const one = contains.length === 1 ? (contains[0] as string) : undefined;
  const headRe = heads.length > 0 ? new RegExp(`^(?:${alternation(heads)})`) : undefined;
  const nOthers = others.length;
  const nTails = tails.length;
  const hasExact = exact.size > 0;
  return (s) => {
    if (hasExact && exact.has(s)) return true;
    if (containsRe !== undefined ? containsRe.test(s) : one !== undefined && s.includes(one)) return true;
    if (headRe?.test(s)) return true;
    for (let i = 0; i < nTails; i++) if (s.endsWith(tails[i] as string)) return true;
    for (let i = 0; i < nOthers; i++) if ((others[i] as StringTest)(s)) return true;
    return false;
  };
}

/** One test for a list of Lucene regexes (any may match): a single anchored alternation. */
export function compileRegexList(patterns: readonly string[], insensitive: boolean): StringTest {
  if (patterns.length === 1) return compileRegex(patterns[0] as string, insensitive);
  // each translated on its own first, so a bad one is reported as compileRegex reports it
  for (const p of patterns) compileRegex(p, insensitive);
  const re = new RegExp(
    `^(?:${patterns.map((p) => `(?:${luceneToJs(p)})`).join('|')})$`,
    insensitive ? 'i' : '',
  );
  return (s) => re.test(s);
}

export class RegexSyntaxError extends Error {
  override readonly name = 'RegexSyntaxError';
}

/** Translates a Lucene RegExp to a JavaScript RegExp source (anchoring added by the caller). */
export function luceneToJs(p: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < p.length; i++) {
    const c = p[i] as string;
    if (c === '\\') {
      const d = p[i + 1];
      if (d === undefined) throw new RegexSyntaxError('regex ends with a lone `\\`');
      out += /[dDsSwW]/.test(d) ? `\\${d}` : /[A-Za-z0-9]/.test(d) ? d : `\\${d}`;
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      out += c === '[' ? '\\[' : c;
      continue;
    }
    switch (c) {
      case '[':
        inClass = true;
        out += c;
        if (p[i + 1] === '^') {
          out += '^';
          i++;
        }
        break;
      case '.':
        out += '[\\s\\S]';
        break;
      case '"': {
        const e = p.indexOf('"', i + 1);
        if (e < 0) throw new RegexSyntaxError('unterminated `"` literal in regex');
        out += reEscape(p.slice(i + 1, e));
        i = e;
        break;
      }
      case '@':
        out += '[\\s\\S]*';
        break;
      case '#':
        out += '(?!)';
        break;
      case '&':
        throw new RegexSyntaxError('Lucene regex intersection `&` is not supported');
      case '~':
        throw new RegexSyntaxError('Lucene regex complement `~` is not supported');
      case '<':
        throw new RegexSyntaxError('Lucene regex numeric interval `<n-m>` is not supported');
      case '^':
      case '$':
      case '/':
        out += `\\${c}`;
        break;
      case '(':
        if (p[i + 1] === '?')
          throw new RegexSyntaxError('`(?` groups (lookaround, flags) are not Lucene regex syntax');
        out += c;
        break;
      default:
        out += c;
    }
  }
  if (inClass) throw new RegexSyntaxError('unterminated character class `[`');
  return out;
}

export function compileRegex(pattern: string, insensitive: boolean): StringTest {
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${luceneToJs(pattern)})$`, insensitive ? 'i' : '');
  } catch (err) {
    if (err instanceof RegexSyntaxError) throw err;
    throw new RegexSyntaxError(`invalid regex: ${(err as Error).message}`, { cause: err });
  }
  return (s) => re.test(s);
}

/** A Lucene wildcard query (`*`, `?`, `\` escaping the next character), as endsWith and
 *  stringContains on a field run (QueryTranslator: WildcardQuery of `*` + argument [+ `*`]). */
export function compileLuceneWildcard(pattern: string, insensitive: boolean): StringTest {
  return compileWildcard(pattern, insensitive, true);
}

/** java.util.regex `.`: any code point but a line terminator */
const JAVA_DOT = '[^\\n\\r\\u0085\\u2028\\u2029]';
const asciiLower = (s: string) => s.replace(/[A-Z]+/g, (m) => m.toLowerCase());

/**
 * `like`/`like~`/`:` with a wildcard in a script (left side not a plain field): Elasticsearch runs
 * the LIKE pattern as a java.util.regex (ql StringUtils.likeToJavaPattern, RegexProcessor), where
 * `.` stops at line terminators and CASE_INSENSITIVE folds ASCII letters only.
 */
export function compileScriptLike(pattern: string, insensitive: boolean): StringTest {
  checkWildcard(pattern);
  const pieces = wildcardPieces(insensitive ? asciiLower(pattern) : pattern);
  const src = pieces
    .map((x) => ('lit' in x ? reEscapeU(x.lit) : 'star' in x ? `${JAVA_DOT}*` : JAVA_DOT))
    .join('');
  const re = new RegExp(`^${src}$`, 'u');
  return insensitive ? (s) => re.test(asciiLower(s)) : (s) => re.test(s);
}

/**
 * `regex`/`regex~` in a script: the pattern runs as a java.util.regex (RLikePattern.asJavaRegex),
 * not as a Lucene RegExp; several patterns are joined with `|`. JavaScript's RegExp is close
 * enough for the syntax rules use; an invalid one is reported like a Lucene syntax error.
 */
export function compileScriptRegex(patterns: readonly string[], insensitive: boolean): StringTest {
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${patterns.join('|')})$`, insensitive ? 'i' : '');
  } catch (err) {
    throw new RegexSyntaxError(`invalid regex: ${(err as Error).message}`, { cause: err });
  }
  return (s) => re.test(s);
}
