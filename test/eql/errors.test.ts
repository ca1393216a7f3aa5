// Golden error messages for malformed queries: kind, line, column and reason are pinned, so a
// change in wording or position is a deliberate edit of this table. Also the caret line and the
// nesting-depth limit under hostile input.
import { describe, expect, it } from 'vitest';
import { compileQuery, EqlError, MAX_DEPTH, parseQuery } from '../../src/eql/index.js';

type Golden = [query: string, kind: string, line: number, column: number, reason: string];

const GOLDEN: Golden[] = [
  [
    'process where process.name = "a"',
    'syntax',
    1,
    28,
    'Expected `==` or `:` for equality; `=` is not an EQL operator',
  ],
  [
    "process where process.name == 'a'",
    'syntax',
    1,
    31,
    'Strings in single quotes are not supported: use double quotes ("...") or """raw"""',
  ],
  ['process where process.name == "a', 'syntax', 1, 31, 'Unterminated string: expected closing `"`'],
  [
    'process where foo("a")',
    'unknown-function',
    1,
    15,
    'Unknown function `foo`; Elasticsearch EQL has add, subtract, multiply, divide, modulo, between, cidrMatch, concat, endsWith, indexOf, length, number, startsWith, string, stringContains, substring',
  ],
  [
    'process where length~(process.name) == 1',
    'unknown-function',
    1,
    15,
    'Function `length` has no case-insensitive `~` variant',
  ],
  ['process where startsWith(process.name)', 'type', 1, 15, 'Expected 2 arguments to `startsWith`, got 1'],
  [
    'process where process.name == "a" and',
    'syntax',
    1,
    38,
    'Expected a field, value, function call or `(`, got end of query',
  ],
  ['process where (process.name == "a"', 'syntax', 1, 35, 'Expected `)` or an operator, got end of query'],
  [
    'process process.name == "a"',
    'syntax',
    1,
    9,
    'Expected `where` after the event category `process`, got `process.name`',
  ],
  [
    'sequence with maxspan=abc [process where true] [process where true]',
    'syntax',
    1,
    23,
    'Expected a duration like 30s after `maxspan=`, got `abc`',
  ],
  [
    'sequence with maxspan=30 [process where true] [process where true]',
    'syntax',
    1,
    23,
    'Expected `maxspan` to be a duration like 30s (units ms, s, m, h, d), got `30`',
  ],
  [
    'sequence with maxspan=30s by host.id [process where true] [process where true]',
    'syntax',
    1,
    27,
    'Expected `by` before `with maxspan=...`, not after it',
  ],
  [
    'sequence [process where true]',
    'syntax',
    1,
    30,
    'Expected a second sequence stage `[`, or `with runs=N` on the first, got end of query',
  ],
  [
    'sequence [process where true] ![process where true]',
    'syntax',
    1,
    1,
    'A sequence with missing events `![...]` requires `with maxspan=...`',
  ],
  [
    'sequence with maxspan=1s ![process where true] ![process where true]',
    'syntax',
    1,
    1,
    'A sequence needs at least one stage that is not a missing event `![...]`',
  ],
  [
    'sequence [process where true] with runs=0 [process where true]',
    'syntax',
    1,
    41,
    'Expected a whole number from 1 to 100 after `runs=`, got number 0',
  ],
  [
    'process where true | count',
    'unsupported',
    1,
    22,
    'Unsupported pipe `count`: the `count` pipe is an Endgame EQL pipe that Elasticsearch EQL does not support; use `head` or `tail`',
  ],
  [
    'process where true | head -1',
    'syntax',
    1,
    27,
    'Expected a positive whole number of results after `head`, got `-`',
  ],
  [
    'join [process where true] [network where true]',
    'unsupported',
    1,
    1,
    '`join` queries are Endgame EQL and not supported by Elasticsearch EQL',
  ],
  ['process where a < b < c', 'syntax', 1, 21, 'Comparisons cannot be chained; join them with `and`'],
  [
    'process where process.name == process.parent.name',
    'unsupported',
    1,
    28,
    'Comparing a field to another field is not supported by Elasticsearch EQL',
  ],
  [
    'process where process.name like 5',
    'syntax',
    1,
    33,
    'Expected a string pattern after `like`, got number 5',
  ],
  [
    'process where process.name regex "a&b"',
    'type',
    1,
    34,
    'Invalid regex "a&b": Lucene regex intersection `&` is not supported',
  ],
  [
    'process where cidrMatch(destination.ip, "10.0.0.0/99")',
    'type',
    1,
    15,
    'Invalid argument to `cidrMatch`: `10.0.0.0/99` is not an IPv4 or IPv6 address or CIDR block',
  ],
  [
    'process where process.name == "\\q"',
    'syntax',
    1,
    32,
    'Unknown escape sequence `\\q` in string; expected one of \\n \\r \\t \\\\ \\" \\u{XXXX}',
  ],
  ['process where ?', 'syntax', 1, 16, 'Expected a field name after `?`, got end of query'],
  [
    'process where process.name not like "a"',
    'unsupported',
    1,
    28,
    '`not like` is not EQL; write `not (field like ...)`',
  ],
  [
    'process where process.pid > 1\n  and process.name in ("a" "b")',
    'syntax',
    2,
    28,
    'Expected `,` or `)` to close the list, got string "b"',
  ],
  [
    'sample by host.id with maxspan=1s [process where true] [process where true]',
    'unsupported',
    1,
    19,
    '`with maxspan`/`with runs` are not supported on `sample`',
  ],
  [
    'process where true | tail 2 | sort',
    'unsupported',
    1,
    31,
    'Unsupported pipe `sort`: the `sort` pipe is an Endgame EQL pipe that Elasticsearch EQL does not support; use `head` or `tail`',
  ],
  [
    'sequence by a [process where true] by b [process where true]',
    'syntax',
    1,
    41,
    'Every stage must have the same number of `by` join keys',
  ],
  ['process where process.name : 5', 'syntax', 1, 30, 'Expected a string pattern after `:`, got number 5'],
  [
    'process where x descendant of [process where true]',
    'unsupported',
    1,
    17,
    'Lineage keyword `descendant of` is not supported by Elasticsearch EQL',
  ],
  [
    '',
    'syntax',
    1,
    1,
    'Expected a query such as `process where ...`, `sequence` or `sample`, got end of query',
  ],
  ['process where `` == 1', 'syntax', 1, 15, 'Empty quoted field name ``'],
  ['process where process. == 1', 'syntax', 1, 22, 'Expected a field name after `.` in `process.`'],
  [
    'process where process.name == "a" /* unterminated',
    'syntax',
    1,
    35,
    'Unterminated comment: expected `*/`',
  ],
];

function errorOf(q: string): EqlError {
  try {
    compileQuery(q);
  } catch (err) {
    if (err instanceof EqlError) return err;
    throw err;
  }
  throw new Error(`no error for ${q}`);
}

describe('EQL error messages', () => {
  it(`has at least 20 golden cases (${GOLDEN.length})`, () => {
    expect(GOLDEN.length).toBeGreaterThanOrEqual(20);
  });

  it.each(GOLDEN)('%j', (query, kind, line, column, reason) => {
    const e = errorOf(query);
    expect([e.kind, e.line, e.column, e.reason]).toEqual([kind, line, column, reason]);
  });

  it('puts a caret under the offending token on its own line', () => {
    const e = errorOf('process where process.pid > 1\n  and process.name in ("a" "b")');
    expect(e.message).toBe(
      'Expected `,` or `)` to close the list, got string "b" (line 2, column 28)\n' +
        '  and process.name in ("a" "b")\n' +
        '                           ^',
    );
    expect(e.caret.split('\n')[1]?.indexOf('^')).toBe(27);
  });

  it('rejects hostile nesting with a limit error instead of overflowing the stack', () => {
    for (const q of [
      `process where ${'('.repeat(100_000)}true${')'.repeat(100_000)}`,
      `process where ${'not '.repeat(100_000)}true`,
      `process where ${'-'.repeat(100_000)}1 == 1`,
      `process where ${'length('.repeat(50_000)}"a"${')'.repeat(50_000)} == 1`,
      `process where ${'1 + '.repeat(100_000)}1 == 1`,
    ]) {
      const e = errorOf(q);
      expect(e.kind).toBe('limit');
      expect(e.reason).toBe(`Query nests deeper than ${MAX_DEPTH} levels`);
    }
  });

  it('accepts nesting up to the limit', () => {
    const depth = MAX_DEPTH - 2;
    expect(() => parseQuery(`process where ${'('.repeat(depth)}true${')'.repeat(depth)}`)).not.toThrow();
  });

  it('reports very long flat conditions without recursion trouble', () => {
    const q = `process where ${Array.from({ length: 20_000 }, (_, i) => `process.pid == ${i}`).join(' or ')}`;
    expect(() => compileQuery(q)).not.toThrow();
  });
});
