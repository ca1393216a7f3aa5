// Property: for random event streams, the streaming matcher returns exactly the sequences of the
// whole-stream, stage-by-stage reference (reference-matcher.ts) implementing the same documented
// Elasticsearch rules, missing-event stages (leading, in between, trailing, with runs) and optional
// join keys (null joins with null, in stages and in `until`) included.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileQuery, createMatcher, type EqlEvent, type Match } from '../../src/eql/index.js';
import { referenceSequences } from './reference-matcher.js';

const QUERIES = [
  'sequence by k [process where s == "A"] [process where s == "B"]',
  'sequence by k with maxspan=5ms [any where s == "A"] [any where s == "B"] [network where s != "A"]',
  'sequence by ?k with maxspan=4ms [process where s == "A"] [process where true] until [any where s == "C"]',
  'sequence [process where s : "a"] by k with runs=2 [network where true] by k',
  'sequence [process where s == "A"] by k [any where s in ("B", "C")] by k2',
  'sequence with maxspan=3ms [any where s == "A"] [any where true] [any where s == "B"]',
  'sequence by k with maxspan=6ms [process where s == "A"] ![network where s == "C"] [process where s == "B"]',
  'sequence by k with maxspan=6ms ![process where s == "C"] [process where s == "A"] [any where s == "B"] ![any where s == "C"]',
  'sequence by k, k2 [any where s == "A"] [any where s == "B"] until [network where s == "C"]',
  'sequence by ?k with maxspan=5ms ![any where s == "C"] [process where s == "A"] ![network where true] [any where s == "B"]',
  'sequence by k with maxspan=4ms [process where s == "A"] ![any where s == "C"] with runs=2 [any where s == "B"] ![network where s == "A"]',
  'sequence by ?k, ?k2 with maxspan=8ms [any where s == "A"] [process where s != "C"] ![any where s == "C"]',
  'sequence by ?k2 [process where s == "A"] by ?k [any where s == "B"] by ?k until [network where true] by k',
  'sequence with maxspan=3ms ![any where s == "B"] [any where s == "A"] ![process where s == "B"]',
];

const keyArb = fc.constantFrom<unknown>('x', 'y', null, ['x', 'y'], 1);
const eventArb = fc.record({
  cat: fc.constantFrom('process', 'network'),
  s: fc.constantFrom('A', 'a', 'B', 'C'),
  k: keyArb,
  k2: fc.constantFrom<unknown>('x', 'y', undefined),
  t: fc.integer({ min: 0, max: 25 }),
});

function toEvents(raw: { cat: string; s: string; k: unknown; k2: unknown; t: number }[]): EqlEvent[] {
  return raw
    .map((r, i) => {
      const doc: Record<string, unknown> = { id: i, s: r.s, event: { category: r.cat } };
      if (r.k !== null) doc.k = r.k;
      if (r.k2 !== undefined) doc.k2 = r.k2;
      return { doc, timestamp: r.t, sequence: i % 3 };
    })
    .sort((a, b) => a.timestamp - b.timestamp || a.sequence - b.sequence);
}

describe('streaming matcher vs whole-stream reference', () => {
  for (const q of QUERIES) {
    it(`agrees on random streams: ${q}`, () => {
      const cq = compileQuery(q);
      let found = 0;
      fc.assert(
        fc.property(fc.array(eventArb, { minLength: 8, maxLength: 40 }), (raw) => {
          const evs = toEvents(raw);
          const m = createMatcher(cq, { maxPartials: 1e6, maxPerKey: 1e6 });
          const got: string[] = [];
          const ids = (x: Match) => JSON.stringify((x.stages ?? x.events).map((y) => (y ? y.doc.id : null)));
          for (const e of evs) for (const x of m.push(e)) got.push(ids(x));
          for (const x of m.flush()) got.push(ids(x));
          const want = referenceSequences(cq, evs).map((s) => JSON.stringify(s.ids));
          expect(got.sort()).toEqual(want.sort());
          found += want.length;
        }),
        { numRuns: 300 },
      );
      // the streams are dense enough that the property is not vacuous
      expect(found).toBeGreaterThan(30);
    });
  }
});
