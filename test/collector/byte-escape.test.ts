// The byte-escaped form of strings that are not UTF-8 (docs/ecs-mapping.md): lossless and
// reversible for any bytes, and never applied to valid UTF-8, whose text (backslashes included)
// stays exactly what the kernel had.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeUtf8, escapeBytes, unescapeBytes } from '../../src/collector/hex.js';

const b = (...xs: (number | string)[]) =>
  new Uint8Array(xs.flatMap((x) => (typeof x === 'string' ? [...Buffer.from(x, 'utf8')] : [x])));

describe('byte-escaped strings', () => {
  // [bytes, escaped form]
  const CASES: [Uint8Array, string][] = [
    [b(0xff, 0xfe, 0x80), '\\xff\\xfe\\x80'],
    [b('a', 0xff, 'b'), 'a\\xffb'],
    [b('é', 0xc3), 'é\\xc3'], // a valid sequence stays text, the cut one is escaped
    [b(0xc3, '('), '\\xc3('],
    [b(0xed, 0xa0, 0x80), '\\xed\\xa0\\x80'], // an encoded surrogate is not UTF-8
    [b(0xc0, 0xaf), '\\xc0\\xaf'], // nor an overlong '/'
    [b(0xf4, 0x90, 0x80, 0x80), '\\xf4\\x90\\x80\\x80'], // nor past U+10FFFF
    [b('\\x41', 0xff), '\\x5cx41\\xff'], // a backslash that would read as an escape is one
    [b('\\\\x41', 0xff), '\\\\x5cx41\\xff'],
    [b('\\n\\x4', 0xff), '\\n\\x4\\xff'], // other backslashes stay as they are
    [b('😀', 0xff), '😀\\xff'],
  ];
  it.each(CASES)('escapes %j as %j and reads it back', (bytes, escaped) => {
    expect(escapeBytes(bytes)).toBe(escaped);
    expect(decodeUtf8(bytes)).toEqual({ text: escaped, escaped: true });
    expect(unescapeBytes(escaped)).toEqual(bytes);
  });

  it('gives back the exact bytes of any input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect(unescapeBytes(escapeBytes(bytes))).toEqual(bytes);
      }),
      { numRuns: 2000 },
    );
  });

  it('leaves valid UTF-8 alone, a literal \\x41 or backslash included', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme' }),
        fc.constantFrom('', '\\x41', '\\', '\\xff'),
        (s, extra) => {
          const text = s + extra;
          expect(decodeUtf8(Buffer.from(text, 'utf8'))).toEqual({ text, escaped: false });
        },
      ),
      { numRuns: 500 },
    );
  });
});
