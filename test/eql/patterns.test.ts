// Wildcard and Lucene-regex patterns: the fast wildcard matchers agree with a plain RegExp
// reading of the same pattern on random inputs (EQL wildcards have no escape character,
// StringUtils.toLikePattern; Lucene wildcard queries escape with `\`); the Lucene dialect
// translates as documented.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compileLuceneWildcard,
  compileRegex,
  compileScriptLike,
  compileWildcard,
  compileWildcardList,
} from '../../src/eql/patterns.js';

function referenceWildcard(p: string, escapes: boolean): RegExp {
  let src = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i] as string;
    if (escapes && c === '\\' && i + 1 < p.length) {
      src += (p[i + 1] as string).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      i++;
    } else if (c === '*') src += '.*';
    else if (c === '?') src += '.';
    else src += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${src}$`, 'su');
}

describe('wildcard patterns', () => {
  it('agree with a RegExp reading for random patterns and strings', () => {
    const alpha = fc.constantFrom('a', 'b', '*', '?', '\\', '.');
    fc.assert(
      fc.property(
        fc.array(alpha, { maxLength: 8 }),
        fc.array(fc.constantFrom('a', 'b', '.', '\\', '*'), { maxLength: 10 }),
        (p, s) => {
          const pat = p.join('');
          const str = s.join('');
          expect(compileWildcard(pat, false)(str)).toBe(referenceWildcard(pat, false).test(str));
          expect(compileWildcardList([pat, 'zz'], false)(str)).toBe(referenceWildcard(pat, false).test(str));
          expect(compileLuceneWildcard(pat, false)(str)).toBe(referenceWildcard(pat, true).test(str));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('lower-cases the pattern for case-insensitive use (the caller lower-cases the input)', () => {
    expect(compileWildcard('*BASH*', true)('/usr/bin/bash -c')).toBe(true);
  });

  it('reads ? as one code point, as Lucene does, and \\ as a literal backslash', () => {
    expect(compileWildcard('a?b', false)('a\u{1F600}b')).toBe(true);
    expect(compileWildcard('C:\\*\\cmd.exe', false)('C:\\Windows\\cmd.exe')).toBe(true);
    expect(compileWildcard('\\*', false)('*')).toBe(false);
  });

  it('rejects U+0001, the LIKE escape character Elasticsearch reserves', () => {
    expect(() => compileWildcardList(['a\u0001*'], false)).toThrow(/U\+0001/);
  });

  it('runs in a script as java.util.regex: `.` stops at line ends, ~ folds ASCII only', () => {
    expect(compileScriptLike('a*', false)('ab\ncd')).toBe(false);
    expect(compileScriptLike('A*', true)('abc')).toBe(true);
    expect(compileScriptLike('É*', true)('éa')).toBe(false);
  });
});

describe('Lucene regex dialect', () => {
  it.each([
    ['[0-9]{1,3}', '123', true],
    ['[0-9]{1,3}', 'x123', false], // always anchored
    ['a.c', 'a\nc', true], // . matches a newline
    ['a"*+"c', 'a*+c', true], // "..." is literal
    ['a@', 'anything', true], // @ any string
    ['\\w+\\.(pid|lock)', 'x.pid', true],
    ['a^b$', 'a^b$', true], // ^ and $ are literal in Lucene
  ])('%s on %j is %s', (p, s, want) => {
    expect(compileRegex(p, false)(s)).toBe(want);
  });
  it('rejects what JavaScript cannot express', () => {
    expect(() => compileRegex('a&b', false)).toThrow(/intersection/);
    expect(() => compileRegex('~a', false)).toThrow(/complement/);
    expect(() => compileRegex('<1-5>', false)).toThrow(/interval/);
  });
});
