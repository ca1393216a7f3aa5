// The engine's fast paths against plain readings of the same rules: field getters (memoized per
// document, flattened-key lookups skipped for documents without dotted keys), precompiled pattern
// lists, cidrMatch's parse cache and the sequence matcher's per-stage partial counts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileCidrs } from '../../src/eql/cidr.js';
import { closurePath, fieldGetter, lowerFieldGetter, type Scalar, type Value } from '../../src/eql/field.js';
import { compileQuery, createMatcher, type EqlEvent } from '../../src/eql/index.js';
import { KeyIndex } from '../../src/eql/join-keys.js';
import {
  compileRegex,
  compileRegexList,
  compileWildcard,
  compileWildcardList,
} from '../../src/eql/patterns.js';

type Doc = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// Field reads

const isPlain = (x: unknown): x is Doc => typeof x === 'object' && x !== null && !Array.isArray(x);

/** every split of the dotted name into keys, nested objects first (the documented resolver) */
function general(obj: Doc, parts: string[]): unknown {
  if (parts.length === 1) return obj[parts[0] as string];
  const child = obj[parts[0] as string];
  if (isPlain(child)) {
    const v = general(child, parts.slice(1));
    if (v !== undefined) return v;
  }
  // an array of objects: the values of each object (Elasticsearch flattens arrays of objects)
  if (Array.isArray(child)) {
    const vs = child.filter(isPlain).map((x) => general(x, parts.slice(1)));
    const found = vs.filter((v) => v !== undefined);
    if (found.length > 0) return found;
  }
  for (let i = 1; i < parts.length; i++) {
    const h = obj[parts.slice(0, i + 1).join('.')];
    if (h === undefined) continue;
    if (i === parts.length - 1) return h;
    if (isPlain(h)) {
      const v = general(h, parts.slice(i + 1));
      if (v !== undefined) return v;
    }
  }
  return undefined;
}

/** the nested path as property reads (arrays included), up to four parts */
function nested(obj: Doc, parts: string[]): unknown {
  if (parts.length > 4) return undefined;
  let o: unknown = obj;
  for (const p of parts) {
    if (typeof o !== 'object' || o === null) return undefined;
    o = (o as Doc)[p];
  }
  return o;
}

function normalize(v: unknown): Value {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (!Array.isArray(v)) return null;
  const out: Scalar[] = [];
  const walk = (a: unknown[]) => {
    for (const x of a)
      if (Array.isArray(x)) walk(x);
      else if (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean') out.push(x);
  };
  walk(v);
  return out.length === 0 ? null : out.length === 1 ? (out[0] as Scalar) : out;
}

function referenceRead(doc: Doc, name: string): Value {
  const parts = name.split('.');
  const fast = nested(doc, parts);
  return normalize(fast !== undefined ? fast : general(doc, parts));
}

const lowerRef = (v: Value): Value => {
  const one = (x: Scalar): Scalar => (x === null ? null : String(x).toLowerCase());
  return v === null ? null : Array.isArray(v) ? v.map(one) : one(v);
};

const KEYS = ['a', 'b', 'c', 'a.b', 'b.c', 'a.b.c', 'c.a'];
const FIELDS = ['a', 'b', 'a.b', 'b.c', 'a.b.c', 'c.a.b', 'a.b.c.a', 'a.b.c.a.b', 'length', 'a.length'];

const scalarArb = fc.oneof(
  fc.constantFrom('X', 'x', 'Aa', '', '1'),
  fc.integer({ min: -2, max: 2 }),
  fc.boolean(),
  fc.constant(null),
);
const { tree: docArb } = fc.letrec<{ tree: Doc; value: unknown }>((tie) => ({
  tree: fc.dictionary(fc.constantFrom(...KEYS), tie('value'), { maxKeys: 4 }),
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalarArb,
    fc.array(fc.oneof(scalarArb, fc.array(scalarArb, { maxLength: 2 })), { maxLength: 3 }),
    tie('tree'),
  ),
}));

describe('field getters', () => {
  it('read what the documented resolver reads, for nested, flattened and mixed documents', () => {
    fc.assert(
      fc.property(docArb, docArb, (d1, d2) => {
        // interleaved: the memo and the dotted-key checks follow the document they are given
        for (const doc of [d1, d2, d1, d2]) {
          for (const f of FIELDS) {
            expect(fieldGetter(f)(doc), `${f} of ${JSON.stringify(doc)}`).toEqual(referenceRead(doc, f));
            expect(lowerFieldGetter(f)(doc)).toEqual(lowerRef(referenceRead(doc, f)));
          }
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('find a flattened key below a nested object once the nested path misses', () => {
    const doc = { process: { 'parent.name': 'sshd', parent: { pid: 1 } }, 'host.os': { type: 'linux' } };
    expect(fieldGetter('process.parent.name')(doc)).toBe('sshd');
    expect(fieldGetter('process.parent.pid')(doc)).toBe(1);
    expect(fieldGetter('host.os.type')(doc)).toBe('linux');
    expect(fieldGetter('host.os.name')(doc)).toBeNull();
    // a fully nested document with the field absent
    expect(fieldGetter('process.parent.name')({ process: { parent: { pid: 1 } } })).toBeNull();
  });

  it('read the same values after switching to the variant for mostly absent fields', () => {
    // fresh names, so these getters start on the plain variant and switch after enough misses
    const names = ['sw.a', 'sw.b.c', 'sw.c.d.e', 'swz'];
    const probe = (doc: Doc) => names.map((n) => fieldGetter(n)(doc));
    const want = (doc: Doc) => names.map((n) => referenceRead(doc, n));
    const docs: Doc[] = [
      { sw: { a: 'x', b: { c: ['y', ['z']] }, c: { d: { e: 3 } } }, swz: true },
      { 'sw.a': 'flat', sw: { 'b.c': 2, c: { 'd.e': null } } },
      { sw: [{ a: 1 }], swz: [] },
      { sw: { a: { nested: 1 }, b: 'str' } },
      Object.assign(Object.create({ swz: 'inherited' }), { sw: { a: 'own' } }),
    ];
    const before = docs.map(probe);
    expect(before).toEqual(docs.map(want));
    for (let i = 0; i < 3000; i++) probe({ other: i });
    expect(docs.map(probe)).toEqual(before);
    for (let i = 0; i < 3000; i++) probe(docs[i % 2] as Doc);
    expect(docs.map(probe)).toEqual(before);
  });

  it('read fields whose names hold quotes, backslashes, line breaks or code as plain keys', () => {
    // the nested reader is built as source text with the keys as string literals (field.ts)
    const hostile = ['"', "'", '\\', '`$' + '{x}`', '\n', '\u2028', '");throw 1;("', '__proto__x', '0'];
    for (const k of hostile) {
      const name = `a.${k}.b`;
      const doc = { a: { [k]: { b: k } } };
      expect(fieldGetter(name)(doc), JSON.stringify(name)).toBe(k);
      expect(fieldGetter(name)({ a: {} })).toBeNull();
      expect(fieldGetter(k)({ [k]: 1 })).toBe(1);
    }
  });

  it('read the nested path alike without code generation (the closure readers)', () => {
    fc.assert(
      fc.property(docArb, (doc) => {
        for (const f of FIELDS) {
          const parts = f.split('.');
          if (parts.length > 4) continue;
          for (const guarded of [false, true])
            expect(closurePath(parts, guarded)(doc)).toEqual(nested(doc, parts));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('give one getter per field name, so a field is read once per document', () => {
    expect(fieldGetter('process.name')).toBe(fieldGetter('process.name'));
    expect(lowerFieldGetter('process.name')).toBe(lowerFieldGetter('process.name'));
    const a = { process: { name: 'A' } };
    const b = { process: { name: 'B' } };
    const get = fieldGetter('process.name');
    expect([get(a), get(b), get(a), lowerFieldGetter('process.name')(a)]).toEqual(['A', 'B', 'A', 'a']);
  });
});

// ---------------------------------------------------------------------------------------------
// Pattern lists: one precompiled test against the patterns tried one by one

const patternArb = fc
  .array(fc.constantFrom('a', 'B', 'b', 'ab', '*', '?', '\\', '.', '-', ' '), { maxLength: 6 })
  .map((xs) => xs.join(''));
const inputArb = fc
  .array(fc.constantFrom('a', 'A', 'b', 'B', '.', '\\', '*', '?', '-', ' ', 'ß', 'İ'), { maxLength: 9 })
  .map((xs) => xs.join(''));

describe('precompiled pattern lists', () => {
  it('a wildcard list matches where one of its patterns does, sensitive and insensitive', () => {
    fc.assert(
      fc.property(
        fc.array(patternArb, { minLength: 1, maxLength: 8 }),
        fc.array(inputArb, { maxLength: 8 }),
        fc.boolean(),
        (pats, inputs, ci) => {
          const list = compileWildcardList(pats, ci);
          const each = pats.map((p) => compileWildcard(p, ci));
          for (const raw of inputs) {
            // insensitive lists get lower-cased input, as the engine passes it
            const s = ci ? raw.toLowerCase() : raw;
            expect(list(s), `${JSON.stringify(pats)} on ${JSON.stringify(s)}`).toBe(each.some((t) => t(s)));
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('covers each shape: literal, head, tail, contains, inner star, ?, backslash, match-all', () => {
    // a backslash is a literal character (no escape character in EQL wildcards)
    const t = compileWildcardList(['exact', 'pre*', '*post', '*mid*', 'a*b*c', 'x?z', 'lit\\*', ''], false);
    const yes = ['exact', 'prefix', 'apost', 'xmidx', 'aXbYc', 'xyz', 'lit\\x', ''];
    const no = ['exac', 'xpre', 'postx', 'mi', 'acb', 'xz', 'lit*', ' '];
    expect(yes.map(t)).toEqual(yes.map(() => true));
    expect(no.map(t)).toEqual(no.map(() => false));
    expect(compileWildcardList(['abc', '**'], false)('anything')).toBe(true);
    expect(compileWildcardList(['*Cmd*', 'PWSH*'], true)('x cmd y')).toBe(true);
    expect(compileWildcardList(['*Cmd*', 'PWSH*'], false)('x cmd y')).toBe(false);
  });

  it('a regex list matches where one of its regexes does', () => {
    const reArb = fc.constantFrom('a.*', '[ab]+', 'b|c', '(ab)*', '.b.', '"a.b"', 'A@', 'x#', '[^a]*', 'c?');
    fc.assert(
      fc.property(
        fc.array(reArb, { minLength: 1, maxLength: 5 }),
        fc.array(inputArb, { maxLength: 8 }),
        fc.boolean(),
        (pats, inputs, ci) => {
          const list = compileRegexList(pats, ci);
          const each = pats.map((p) => compileRegex(p, ci));
          for (const s of inputs)
            expect(list(s), `${JSON.stringify(pats)} on ${JSON.stringify(s)}`).toBe(each.some((t) => t(s)));
        },
      ),
      { numRuns: 2000 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// cidrMatch: remembered parses give ipaddr.js's answers

describe('cidrMatch parse cache', () => {
  const set = compileCidrs(['10.0.0.0/8', '::1', 'fe80::/10', '192.168.0.0/16', '2001:db8::/32']);
  const cases: [string, boolean][] = [
    ['10.1.2.3', true],
    ['::1', true],
    ['::2', false],
    ['FE80::1', true],
    ['fe80::1%eth0', true],
    ['::ffff:192.168.1.7', true],
    ['::ffff:8.8.8.8', false],
    ['2001:db8:0:0:0:0:0:1', true],
    ['2001:db9::1', false],
    ['0xa.1.2.3', true],
    ['1::2::3', false],
    ['not an ip', false],
    ['', false],
  ];
  it('answers the same on first and repeated sight of each address', () => {
    for (let round = 0; round < 3; round++)
      for (const [ip, want] of cases) expect(set.matches(ip), `${ip} round ${round}`).toBe(want);
  });

  it('keeps answering past the cache size', () => {
    for (let i = 0; i < 10_000; i++) expect(set.matches(`fe80::${i.toString(16)}`)).toBe(true);
    expect(set.matches('::1')).toBe(true);
    expect(set.matches('::2')).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// Sequence matcher: stages skipped while nothing waits before them

const SEQ_QUERIES = [
  'sequence by k [process where s == "A"] [process where s == "B"] [process where s == "C"]',
  'sequence by k with maxspan=4ms [process where s == "A"] [process where s : "b"] until [process where s == "C"]',
  'sequence by k [process where s == "A"] with runs=2 [process where s == "B"]',
  'sequence by k with maxspan=6ms [process where s == "A"] ![process where s == "C"] [process where s == "B"]',
];

describe('sequence matcher per-stage counts', () => {
  it('keeps its per-stage partial counts equal to the partials it holds, under eviction and expiry', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SEQ_QUERIES),
        fc.array(
          fc.record({
            s: fc.constantFrom('A', 'B', 'C', 'b'),
            k: fc.constantFrom('x', 'y', 'z'),
            dt: fc.integer({ min: 0, max: 3 }),
          }),
          { minLength: 1, maxLength: 60 },
        ),
        fc.integer({ min: 1, max: 4 }),
        (q, raw, cap) => {
          const m = createMatcher(compileQuery(q), { maxPartials: cap, maxPerKey: 2 });
          // white box: the matcher's per-stage counts against its groups
          const inner = (m as unknown as { inner: Record<string, unknown> }).inner as {
            atStage: Int32Array;
            keys: Map<
              string,
              { groups: ({ length: number; at(i: number): { alive: boolean } } | undefined)[] }
            >;
          };
          let t = 0;
          for (const [i, r] of raw.entries()) {
            t += r.dt;
            const e: EqlEvent = {
              doc: { event: { category: 'process' }, s: r.s, k: r.k },
              timestamp: t,
              sequence: i,
            };
            m.push(e);
            const counted = new Array(inner.atStage.length).fill(0);
            for (const entry of inner.keys.values())
              entry.groups.forEach((g, stage) => {
                for (let j = 0; g && j < g.length; j++) if (g.at(j).alive) counted[stage]++;
              });
            expect([...inner.atStage]).toEqual(counted);
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('still completes a sequence whose later stage is seen before and after its first', () => {
    const cq = compileQuery('sequence by k [process where s == "A"] [process where s == "B"]');
    const m = createMatcher(cq);
    const ev = (s: string, i: number): EqlEvent => ({
      doc: { event: { category: 'process' }, s, k: 'x', id: i },
      timestamp: i,
      sequence: i,
    });
    expect(m.push(ev('B', 0))).toEqual([]);
    expect(m.push(ev('A', 1))).toEqual([]);
    expect(m.push(ev('B', 2)).map((x) => x.events.map((e) => e.doc.id))).toEqual([[1, 2]]);
  });
});

// ---------------------------------------------------------------------------------------------
// and/or chains reorder themselves as they learn which condition decides: never their result

describe('adaptive and/or chains', () => {
  const cases: [string, (d: { a: string; b: string; c: string }) => boolean][] = [
    ['a == "x" and b == "y"', (d) => d.a === 'x' && d.b === 'y'],
    ['a == "x" or b == "y"', (d) => d.a === 'x' || d.b === 'y'],
    ['a == "x" and b == "y" and c == "z"', (d) => d.a === 'x' && d.b === 'y' && d.c === 'z'],
    ['a == "x" or b == "y" or c == "z"', (d) => d.a === 'x' || d.b === 'y' || d.c === 'z'],
    ['(a == "x" or b == "y") and not c == "z"', (d) => (d.a === 'x' || d.b === 'y') && d.c !== 'z'],
  ];
  for (const [cond, want] of cases)
    it(`give the plain result across reorderings: ${cond}`, () => {
      const m = createMatcher(compileQuery(`process where ${cond}`));
      let seed = 7;
      const next = () => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return seed;
      };
      // phases where a different condition decides, so the chain reorders more than once
      for (let i = 0; i < 30_000; i++) {
        const phase = Math.floor(i / 10_000);
        const p = (k: number) => next() % 10 < (k === phase ? 9 : 2);
        const d = { a: p(0) ? 'x' : 'n', b: p(1) ? 'y' : 'n', c: p(2) ? 'z' : 'n' };
        const got =
          m.push({ doc: { event: { category: 'process' }, ...d }, timestamp: i, sequence: i }).length === 1;
        if (got !== want(d)) throw new Error(`${cond} on ${JSON.stringify(d)} at ${i}: got ${got}`);
      }
    });
});

// ---------------------------------------------------------------------------------------------
// Join-key index: nested Maps against one Map keyed by a typed rendering of the tuple

describe('join-key index', () => {
  const typed = (vs: readonly Scalar[]) =>
    JSON.stringify(
      vs.map((v) =>
        typeof v === 'number' ? `d${Object.is(v, -0) ? 0 : v}` : typeof v === 'string' ? `s${v}` : String(v),
      ),
    );
  const valueArb = fc.constantFrom<Scalar>('1', 1, 0, -0, Number.NaN, null, true, 'true', '', 'a');
  it('finds, replaces and deletes exactly what a Map by typed tuple does, and counts its entries', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 }),
        fc.array(
          fc.tuple(
            fc.constantFrom('set', 'get', 'delete'),
            fc.array(valueArb, { minLength: 3, maxLength: 3 }),
          ),
          {
            maxLength: 60,
          },
        ),
        (width, ops) => {
          const idx = new KeyIndex<number>(width);
          const ref = new Map<string, number>();
          for (const [i, [op, vs]] of ops.entries()) {
            const t = vs.slice(0, width);
            if (op === 'set') {
              idx.set(t, i);
              ref.set(typed(t), i);
            } else if (op === 'delete') {
              idx.delete(t);
              ref.delete(typed(t));
            }
            expect(idx.get(t)).toBe(ref.get(typed(t)));
            expect(idx.size).toBe(ref.size);
            expect([...idx.values()].sort()).toEqual([...ref.values()].sort());
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('joins a sequence on the string "1" and the number 1 as different keys', () => {
    const m = createMatcher(compileQuery('sequence by k [process where s == "A"] [process where s == "B"]'));
    const ev = (s: string, k: unknown, i: number): EqlEvent => ({
      doc: { event: { category: 'process' }, s, k, id: i },
      timestamp: i,
      sequence: i,
    });
    expect(m.push(ev('A', '1', 0))).toEqual([]);
    expect(m.push(ev('B', 1, 1))).toEqual([]);
    expect(m.push(ev('B', '1', 2)).map((x) => x.events.map((e) => e.doc.id))).toEqual([[0, 2]]);
  });
});
