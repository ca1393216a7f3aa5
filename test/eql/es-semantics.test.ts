// Table cases for what Elasticsearch does that a reader might not guess: null logic, wildcards
// without an escape character, optional fields, keyword and mixed-type comparisons, arithmetic
// typing. Each case names the Elasticsearch source it follows (elastic/elasticsearch; ql =
// x-pack/plugin/ql/src/main/java/org/elasticsearch/xpack/ql, eql = x-pack/plugin/eql/src/main/java/
// org/elasticsearch/xpack/eql, tests = x-pack/plugin/eql/src/test/resources).
import { describe, expect, it } from 'vitest';
import { type CompileOptions, compileQuery, EqlError, runToEnd } from '../../src/eql/index.js';
import { type Doc, events } from './support.js';

function run(query: string, docs: Doc[], opts?: CompileOptions): unknown[] {
  const cq = compileQuery(query, opts);
  return runToEnd(cq, events(docs)).map((m) =>
    cq.kind === 'event' ? m.events[0]?.doc.id : (m.stages ?? m.events).map((e) => (e ? e.doc.id : -1)),
  );
}

// x is numeric (missing on 3, multi-valued on 4); name a keyword
const docs: Doc[] = [
  { id: 1, x: 5, name: 'cmd', ip: '10.1.1.1' },
  { id: 2, x: 0, name: 'bash' },
  { id: 3, name: 'sh' },
  { id: 4, x: [0, 5], name: ['zsh', 'ksh'], ip: '192.168.0.1' },
];

type Case = [name: string, query: string, expected: unknown[], source: string];

const nullLogic: Case[] = [
  [
    'null == (comparison) holds where the comparison is null',
    'process where null == (x > 1)',
    [3],
    'eql optimizer/Optimizer.ReplaceNullChecks; tests querytranslator_tests.txt isNullInScript',
  ],
  [
    '(comparison) != null holds where it is not',
    'process where (x > 1) != null',
    [1, 2, 4],
    'Optimizer.ReplaceNullChecks: not(isNull(x > 1))',
  ],
  [
    '== null on a field is must_not exists',
    'process where x == null',
    [3],
    'ql planner/ExpressionTranslators.IsNulls',
  ],
  [
    'not of a range query matches a missing field',
    'process where not (x > 1)',
    [2, 3],
    'ql ExpressionTranslators.Nots; tests querytranslator_tests.txt notFilter',
  ],
  [
    'not of a script is true where the script is null',
    'process where not (x / 1 > 1)',
    [2, 3],
    'ql gen/script/Scripts.multiValueDocValuesRewrite hoists not( out of nullSafeFilter',
  ],
  [
    '(comparison) == false is not(comparison)',
    'process where (x > 1) == false',
    [2, 3],
    'ql optimizer/OptimizerRules.BooleanFunctionEqualsElimination',
  ],
  [
    'cidrMatch(...) == false matches a missing field',
    'process where cidrMatch(ip, "10.0.0.0/8") == false',
    [2, 3, 4],
    'BooleanFunctionEqualsElimination; tests querytranslator_tests.txt functionEqualsFalse',
  ],
  [
    'a function of null is null',
    'process where concat(name, null) == null',
    [1, 2, 3, 4],
    'eql ConcatFunctionProcessor; qa test_queries additional concatWithCondition3',
  ],
  [
    'in drops null from the terms query',
    'process where x in (5, null)',
    [1, 4],
    'ql ExpressionTranslators.InComparisons',
  ],
  [
    'in in a script is null when nothing equals and a null is listed',
    'process where length(name) in (3, null)',
    [1, 4],
    'ql InProcessor.apply',
  ],
  [
    'not in of a script matches what the script does not',
    'process where length(name) not in (3, null)',
    [2, 3],
    'tests querytranslator_tests.txt negatedInFilterWithScripting',
  ],
  [
    'and/or inside a script are three-valued',
    'process where string(x > 1 or x < 0) == "true"',
    [1, 4],
    'ql BinaryLogicOperation; eql ToStringFunctionProcessor',
  ],
];

const wildcards: Case[] = [
  [
    'a backslash is a literal backslash',
    'process where path : "C:\\\\Windows\\\\*"',
    [1],
    'eql util/StringUtils.toLikePattern (escape U+0001)',
  ],
  [
    '* after a backslash is still a wildcard',
    'process where path : "*\\\\*.exe"',
    [1],
    'StringUtils.toLikePattern',
  ],
  [
    'like ? is a wildcard after a backslash too',
    'process where path like "C:\\\\?indows*"',
    [1],
    'StringUtils.toLikePattern',
  ],
  [
    'endsWith on a field is a wildcard query of the raw argument',
    'process where endsWith(path, "\\\\*")',
    [2],
    'eql planner/QueryTranslator.CaseInsensitiveScalarFunctions: WildcardQuery("*" + arg)',
  ],
  [
    'stringContains on a field reads ? as a wildcard',
    'process where stringContains(path, "W?ndows")',
    [1],
    'QueryTranslator.CaseInsensitiveScalarFunctions: WildcardQuery("*" + arg + "*")',
  ],
  [
    'endsWith in a script compares text',
    'process where endsWith(string(path), "\\\\*")',
    [],
    'eql EndsWithFunctionProcessor',
  ],
];
const paths: Doc[] = [
  { id: 1, path: 'C:\\Windows\\cmd.exe' },
  { id: 2, path: 'D:\\tmp\\x*' },
];

const comparisons: Case[] = [
  [
    'strings compare as keywords, by code point',
    'process where v > "1.10"',
    [2, 3, 5, 6],
    'ql ExpressionTranslators.BinaryComparisons: range query on a keyword',
  ],
  [
    'a number literal against a keyword compares as text',
    'process where v < 2',
    [1, 2, 3],
    'range query on a keyword with 2 -> "2"',
  ],
  [
    'a string literal against a number compares as a number',
    'process where n > "9"',
    [4],
    'range query on a long parses "9"',
  ],
  [
    'a double literal is "5.0" to a keyword',
    'process where v == 5.0',
    [5],
    'term query with Double 5.0 -> "5.0"',
  ],
  [
    'an unparsable literal against a number matches nothing',
    'process where n == "ten"',
    [],
    'Elasticsearch rejects the term query',
  ],
  [
    'a supplementary character sorts after U+FFFF as UTF-8 does',
    'process where v > "\\u{FFFF}"',
    [6],
    'Lucene BytesRef order',
  ],
  [
    'in a script strings compare by UTF-16 unit',
    'process where substring(v, 0) > "\\u{FFFF}"',
    [],
    'ql Comparisons.compare: String.compareTo',
  ],
  [
    'in a script a number and a string are not comparable',
    'process where length(v) == "3"',
    [],
    'ql Comparisons.compare: ClassCastException -> null',
  ],
];
const versions: Doc[] = [
  { id: 1, v: '1.10' },
  { id: 2, v: '1.9' },
  { id: 3, v: '1.11' },
  { id: 4, n: 10 },
  { id: 5, v: '5.0' },
  { id: 6, v: '\u{10000}' },
];

const arithmetic: Case[] = [
  [
    'integer division truncates',
    'process where divide(7, 2) == 3 and x == 5',
    [1, 4],
    'ql Arithmetics.div (long/long)',
  ],
  [
    'a double operand makes it floating point',
    'process where divide(7, 2.0) == 3.5 and x == 5',
    [1, 4],
    'Arithmetics.div (double)',
  ],
  ['a field value is a long', 'process where x / 2 == 2', [1, 4], 'doc values of a long field are Longs'],
  [
    'integer division by zero fails the script: no match',
    'process where x / 0 == 1',
    [],
    'Arithmetics.div: ArithmeticException',
  ],
  [
    'double division by zero is infinite; NaN sorts above everything',
    'process where x / 0.0 > 1',
    [1, 2, 4],
    'Arithmetics.div (double), Comparisons.compare: Double.compare',
  ],
  [
    'long overflow fails the script',
    'process where x * 4611686018427387904 > 0',
    [],
    'Arithmetics.mul: Math.multiplyExact',
  ],
  [
    'a double prints as Java prints it',
    'process where string(x / 2.0) == "2.5"',
    [1, 4],
    'eql ToStringFunctionProcessor: String.valueOf(Double)',
  ],
  [
    'a whole double keeps its .0',
    'process where string(divide(x, 1.0)) == "0.0"',
    [2, 4],
    'String.valueOf(0.0)',
  ],
];

describe('Elasticsearch EQL semantics', () => {
  it.each(nullLogic)('null logic: %s', (_n, q, want) => expect(run(q, docs)).toEqual(want));
  it.each(wildcards)('wildcards: %s', (_n, q, want) => expect(run(q, paths)).toEqual(want));
  it.each(comparisons)('comparisons: %s', (_n, q, want) => expect(run(q, versions)).toEqual(want));
  it.each(arithmetic)('arithmetic: %s', (_n, q, want) => expect(run(q, docs)).toEqual(want));

  it('counts the evaluations Elasticsearch would have failed', () => {
    const cq = compileQuery('process where x / 0 == 1');
    runToEnd(cq, events(docs));
    // x = 5, x = 0 and both values of [0, 5]: each combination fails (the first failure ends an event)
    expect(cq.evalErrors()).toBe(3);
  });

  it('rejects constant arithmetic Elasticsearch cannot evaluate, at compile time', () => {
    for (const q of ['process where 2147483647 + 1 > 0', 'process where divide(1, 0) == 1'])
      expect(() => compileQuery(q)).toThrow(EqlError);
    // Integer + Integer overflows; a long literal makes it long arithmetic
    expect(() => compileQuery('process where 2147483648 + 1 > 0')).not.toThrow();
  });
});

describe('optional fields (eql analysis/Analyzer.ResolveOrReplaceOptionalRefs)', () => {
  const fields = new Set(['x', 'name', 'ip', 'k', 'event.category']);
  it('an unmapped ?field is null, so `?f == null` holds everywhere and `?f == "a"` nowhere', () => {
    expect(run('process where ?nope == null', docs, { fields })).toEqual([1, 2, 3, 4]);
    expect(run('process where ?nope == "a"', docs, { fields })).toEqual([]);
    // ReplaceNullChecks sees `null != "a"`: not(isNull("a")), true
    expect(run('process where ?nope != "a"', docs, { fields })).toEqual([1, 2, 3, 4]);
    expect(run('process where ?nope', docs, { fields })).toEqual([]);
  });
  it('a mapped ?field is a field like any other: != matches where it is missing', () => {
    expect(run('process where ?x != 5', docs, { fields })).toEqual([2, 3]);
  });
  it('a plain unmapped field is an error (Verifier: Unknown column); without a mapping every field exists', () => {
    expect(() => compileQuery('process where nope == 1', { fields })).toThrow(/Unknown column \[nope\]/);
    expect(run('process where nope == null', docs)).toEqual([1, 2, 3, 4]);
  });
  it('an unmapped optional join key joins everything on null', () => {
    expect(run('sequence by ?nope [process where x == 5] [process where x == 0]', docs, { fields })).toEqual([
      [1, 2],
    ]);
  });
  it('an optional key joins null with null; a plain key excludes a null value (AddMandatoryJoinKeyFilter)', () => {
    const seq: Doc[] = [
      { id: 1, s: 'A' },
      { id: 2, s: 'B' },
      { id: 3, s: 'A', k: 'x' },
      { id: 4, s: 'B', k: 'x' },
    ];
    expect(run('sequence by ?k [process where s == "A"] [process where s == "B"]', seq)).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(run('sequence by k [process where s == "A"] [process where s == "B"]', seq)).toEqual([[3, 4]]);
  });
  it('until joins on null even for a plain key: the mandatory-key filter is not added to until', () => {
    const seq: Doc[] = [
      { id: 1, s: 'A' },
      { id: 2, s: 'C' },
      { id: 3, s: 'B' },
    ];
    const q =
      'sequence [process where s == "A"] by ?k [process where s == "B"] by ?k until [process where s == "C"] by k';
    expect(run(q, seq)).toEqual([]);
    expect(run(q.replace('s == "C"', 's == "D"'), seq)).toEqual([[1, 3]]);
  });
});

describe('join key constraints (eql optimizer/Optimizer.PropagateJoinKeyConstraints)', () => {
  it('a condition on a key holds for every stage: a multi-valued key no longer joins on its other values', () => {
    const seq: Doc[] = [
      { id: 1, s: 'A', k: ['x', 'y'] },
      { id: 2, s: 'B', k: 'y' },
      { id: 3, s: 'B', k: ['y', 'x'] },
    ];
    // stage 2 runs as `s == "B" and k == "x"`: event 2 (only y) is out, event 3 joins on x and y
    expect(run('sequence by k [process where s == "A" and k == "x"] [process where s == "B"]', seq)).toEqual([
      [1, 3],
      [1, 3],
    ]);
    // in another key position the constraint follows that stage's own key field
    const renamed: Doc[] = [
      { id: 1, s: 'A', k: ['x', 'y'] },
      { id: 2, s: 'B', j: 'y' },
    ];
    expect(
      run('sequence [process where s == "A" and k == "x"] by k [process where s == "B"] by j', renamed),
    ).toEqual([]);
  });
  it('a conjunct with an `or`, or reading another field, is not propagated (PR #133134)', () => {
    const seq: Doc[] = [
      { id: 1, s: 'A', k: ['x', 'y'], n: 'x' },
      { id: 2, s: 'B', k: 'y', n: 'z' },
    ];
    expect(
      run('sequence by k [process where s == "A" and (k == "x" or k == "q")] [process where s == "B"]', seq),
    ).toEqual([[1, 2]]);
    expect(
      run('sequence by k [process where s == "A" and startsWith(n, k)] [process where s == "B"]', seq),
    ).toEqual([[1, 2]]);
  });
  it('a missing-event stage gives none (PR #145813)', () => {
    const seq: Doc[] = [
      { id: 1, s: 'A', k: 'y', t: 1 },
      { id: 2, s: 'B', k: 'y', t: 2 },
    ];
    expect(
      run(
        'sequence by k with maxspan=1h [process where s == "A"] ![process where s == "M" and k == "x"] [process where s == "B"]',
        seq,
      ),
    ).toEqual([[1, -1, 2]]);
  });
});

describe('missing events (eql execution/sequence/TumblingWindow.doCheckMissingEvents)', () => {
  // t is the @timestamp in ms; a result lists every stage, -1 for a missing-event placeholder
  const ev = (id: number, s: string, t: number): Doc => ({ id, s, t });
  const cases: [name: string, query: string, docs: Doc[], expected: unknown[]][] = [
    [
      'an in-between missing event strictly between the neighbours rejects the sequence',
      'sequence with maxspan=10ms [process where s == "A"] ![process where s == "M"] [process where s == "B"]',
      [ev(1, 'A', 1), ev(2, 'M', 2), ev(3, 'B', 3)],
      [],
    ],
    [
      'one at the same timestamp as a neighbour does not (the range is gt/lt on timestamps)',
      'sequence with maxspan=10ms [process where s == "A"] ![process where s == "M"] [process where s == "B"]',
      [ev(1, 'A', 1), ev(2, 'B', 3), ev(3, 'M', 3)],
      [[1, -1, 2]],
    ],
    [
      'a leading missing event rejects unless more than maxspan before the last positive event',
      'sequence with maxspan=5ms ![process where s == "M"] [process where s == "A"]',
      [ev(1, 'M', 0), ev(2, 'A', 5), ev(3, 'A', 6)],
      [[-1, 3]],
    ],
    [
      'a trailing missing event rejects when within maxspan of the first positive event',
      'sequence with maxspan=5ms [process where s == "A"] ![process where s == "M"]',
      [ev(1, 'A', 0), ev(2, 'A', 1), ev(3, 'M', 6)],
      [[1, -1]],
    ],
    [
      'with leading and trailing stages, both must exist within maxspan of each other to reject',
      'sequence with maxspan=10ms ![process where s == "M"] [process where s == "A"] ![process where s == "M"]',
      [ev(1, 'M', 0), ev(2, 'A', 5), ev(3, 'M', 11), ev(4, 'A', 12), ev(5, 'M', 13)],
      [
        [-1, 2, -1],
        // 4: leading M at 11 and trailing M at 13 are 2ms apart
      ],
    ],
    [
      'a trailing event alone does not reject when the query also has a leading stage',
      'sequence with maxspan=10ms ![process where s == "M"] [process where s == "A"] ![process where s == "M"]',
      [ev(1, 'A', 5), ev(2, 'M', 6)],
      [[-1, 1, -1]],
    ],
    [
      'with runs=2 a missing stage leaves two placeholders',
      'sequence with maxspan=10ms [process where s == "A"] ![process where s == "M"] with runs=2 [process where s == "B"]',
      [ev(1, 'A', 1), ev(2, 'B', 3)],
      [[1, -1, -1, 2]],
    ],
  ];
  it.each(cases)('%s', (_n, q, d, want) => expect(run(q, d)).toEqual(want));
});
