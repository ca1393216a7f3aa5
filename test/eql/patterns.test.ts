// Wildcard and Lucene-regex patterns: the fast wildcard matchers agree with a plain RegExp
// reading of the same pattern on random inputs; the Lucene dialect translates as documented.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileRegex, compileWildcard } from '../../src/eql/patterns.js';

function referenceWildcard(p: string): RegExp {
  let src = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i] as string;
    if (c === '\\' && (p[i + 1] === '*' || p[i + 1] === '?' || p[i + 1] === '\\')) {
      src += `\\${p[i + 1]}`;
      i++;
    } else if (c === '*') src += '.*';
    else if (c === '?') src += '.';
    else src += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${src}$`, 's');
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
          expect(compileWildcard(pat, false)(str)).toBe(referenceWildcard(pat).test(str));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('lower-cases the pattern for case-insensitive use (the caller lower-cases the input)', () => {
    expect(compileWildcard('*BASH*', true)('/usr/bin/bash -c')).toBe(true);
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
