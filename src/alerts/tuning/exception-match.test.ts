// Kibana exception semantics, table-driven: each case names the clause of Kibana's
// build_exception_filter.ts (x-pack/solutions/security/plugins/lists/server/services/
// exception_lists/) or the Elasticsearch query behaviour it follows.
import { describe, expect, it } from 'vitest';
import type { ExceptionEntry, ExceptionItem } from '../../rules/exception-item.js';
import { entryMatches, isExcepted, wildcardRegExp } from './exception-match.js';

const doc = {
  host: { os: { type: 'linux', name: 'Linux' } },
  process: {
    name: 'curl',
    executable: '/usr/bin/curl',
    args: ['curl', '-s', 'http://x/Payload.SH'],
    command_line: 'curl -s http://x/Payload.SH',
    pid: 4242,
    parent: { name: 'bash' },
    Ext: {
      code_signature: [
        { subject_name: 'Elastic', trusted: true },
        { subject_name: 'Other', trusted: false },
      ],
    },
  },
  user: { name: 'alice', id: '1000' },
  destination: { ip: '10.1.2.3', port: 443 },
  source: { ip: '2001:db8::1' },
  file: { path: '/tmp/A*B' },
  labels: { empty: [] as string[], none: null },
};

const m = (field: string, value: string | number, operator: 'included' | 'excluded' = 'included') =>
  ({ type: 'match', field, operator, value }) as const;
const any = (field: string, value: string[], operator: 'included' | 'excluded' = 'included') =>
  ({ type: 'match_any', field, operator, value }) as const;
const wc = (field: string, value: string, operator: 'included' | 'excluded' = 'included') =>
  ({ type: 'wildcard', field, operator, value }) as const;
const ex = (field: string, operator: 'included' | 'excluded' = 'included') =>
  ({ type: 'exists', field, operator }) as const;
const nested = (field: string, entries: ExceptionEntry[]) =>
  ({ type: 'nested', field, entries }) as ExceptionEntry;

// [case, entry, matches, what it follows]
// biome-ignore format: one case per line reads as a table
const cases: [string, ExceptionEntry, boolean, string][] = [
  ['match: exact keyword value', m('process.name', 'curl'), true, 'buildMatchClause: match_phrase on keyword'],
  ['match: case-sensitive', m('process.name', 'CURL'), false, 'match_phrase on keyword = exact term'],
  ['match: no partial value', m('process.name', 'cur'), false, 'match_phrase on keyword = whole value'],
  ['match excluded: value present', m('process.name', 'curl', 'excluded'), false, 'buildExclusionClause: must_not'],
  ['match excluded: other value', m('process.name', 'wget', 'excluded'), true, 'must_not'],
  ['match excluded: field absent', m('process.title', 'x', 'excluded'), true, 'must_not of no match'],
  ['match: field absent', m('process.title', 'x'), false, 'term on a missing field'],
  ['match: any element of an array', m('process.args', '-s'), true, 'every array value is indexed'],
  ['match: numeric field, string value', m('process.pid', '4242'), true, 'term query parses the value for a long field'],
  ['match: numeric field, 4242.0', m('process.pid', '4242.0'), true, 'long field term query coerces 4242.0'],
  ['match: numeric field, 4242.5', m('process.pid', '4242.5'), false, 'not an integral value'],
  ['match: keyword holding digits', m('user.id', '1000'), true, 'keyword exact'],
  ['match: ip field, same address', m('destination.ip', '10.1.2.3'), true, 'term on an ip field'],
  ['match: ip field, CIDR block', m('destination.ip', '10.0.0.0/8'), true, 'ip term query accepts CIDR'],
  ['match: ip field, other block', m('destination.ip', '192.168.0.0/16'), false, 'ip term query with CIDR'],
  ['match: IPv6 in CIDR', m('source.ip', '2001:db8::/32'), true, 'ip term query with CIDR'],
  ['match: IPv6 written in full', m('source.ip', '2001:0db8:0:0:0:0:0:1'), true, 'ip fields compare addresses, not text'],
  ['match_any: one of the values', any('process.name', ['wget', 'curl']), true, 'getBaseMatchAnyClause: should of match_phrase'],
  ['match_any: none of the values', any('process.name', ['wget', 'nc']), false, 'should of match_phrase'],
  ['match_any: array field, any element', any('process.args', ['-x', '-s']), true, 'every array value is indexed'],
  ['match_any excluded: a value present', any('process.name', ['curl', 'nc'], 'excluded'), false, 'must_not'],
  ['match_any excluded: none present', any('process.name', ['wget', 'nc'], 'excluded'), true, 'must_not'],
  ['exists: present', ex('process.name'), true, 'buildExistsClause: exists'],
  ['exists: absent', ex('process.title'), false, 'exists'],
  ['exists: empty array', ex('labels.empty'), false, 'exists: no indexed value'],
  ['exists: null', ex('labels.none'), false, 'exists: null is not indexed'],
  ['exists: object with sub-fields', ex('process.parent'), true, 'exists on an object field'],
  ['exists excluded: absent', ex('process.title', 'excluded'), true, 'must_not exists'],
  ['exists excluded: present', ex('process.name', 'excluded'), false, 'must_not exists'],
  ['wildcard: * any run', wc('process.name', 'cu*'), true, 'buildMatchWildcardClause: wildcard query'],
  ['wildcard: case-sensitive', wc('process.name', 'CU*'), false, 'wildcard query without case_insensitive'],
  ['wildcard: ? one character', wc('process.name', '?url'), true, 'Lucene WildcardQuery'],
  ['wildcard: ? is exactly one', wc('process.name', '?curl'), false, 'Lucene WildcardQuery'],
  ['wildcard: whole value anchored', wc('process.name', 'ur'), false, 'wildcard matches the whole term'],
  ['wildcard: \\* is a literal star', wc('file.path', '/tmp/A\\*B'), true, 'WildcardQuery escape character'],
  ['wildcard: \\? is a literal ?', wc('file.path', '/tmp/A\\?B'), false, 'WildcardQuery escape character'],
  ['wildcard: array field', wc('process.args', 'http://*'), true, 'every array value is indexed'],
  ['wildcard excluded: matching', wc('process.name', 'cu*', 'excluded'), false, 'must_not'],
  ['wildcard excluded: field absent', wc('process.title', '*', 'excluded'), true, 'must_not'],
  [
    'nested: all sub-entries on one element',
    nested('process.Ext.code_signature', [m('subject_name', 'Elastic'), m('trusted', 'true')]),
    true,
    'buildNestedClause: nested query',
  ],
  [
    'nested: sub-entries met only by different elements',
    nested('process.Ext.code_signature', [m('subject_name', 'Elastic'), m('trusted', 'false')]),
    false,
    'nested query: one nested document must match',
  ],
  [
    'nested: the other element',
    nested('process.Ext.code_signature', [m('subject_name', 'Other'), m('trusted', 'false')]),
    true,
    'nested query',
  ],
  [
    'nested: excluded sub-entry per element',
    nested('process.Ext.code_signature', [m('subject_name', 'Elastic'), ex('status', 'excluded')]),
    true,
    'must_not inside the nested query',
  ],
  ['nested: field absent', nested('file.Ext.code_signature', [ex('subject_name')]), false, 'no nested documents'],
  ['caseless: lower-cased value', m('process.executable.caseless', '/USR/BIN/CURL'), true, 'lowercase normalizer applies to the query'],
  ['caseless: wildcard', wc('process.executable.caseless', '/USR/*'), true, 'normalizer applies to wildcard patterns'],
  ['caseless: absent base field', m('process.title.caseless', 'x'), false, 'no value to index'],
];

describe('exception entries evaluate as Kibana exception filters do', () => {
  for (const [name, entry, expected, source] of cases) {
    it(`${name} -> ${expected} (${source})`, () => {
      expect(entryMatches(doc, entry)).toBe(expected);
    });
  }
});

const item = (entries: ExceptionEntry[], over: Partial<ExceptionItem> = {}): ExceptionItem => ({
  entries,
  osTypes: [],
  ...over,
});

describe('exception items', () => {
  it('ANDs the entries of an item (createInnerAndClauses in bool.filter)', () => {
    expect(isExcepted(doc, [item([m('process.name', 'curl'), m('user.name', 'alice')])])).toBe(true);
    expect(isExcepted(doc, [item([m('process.name', 'curl'), m('user.name', 'bob')])])).toBe(false);
  });

  it('ORs the items of a rule (createOrClauses in bool.should, negated)', () => {
    const miss = item([m('user.name', 'bob')]);
    const hit = item([m('process.name', 'curl')]);
    expect(isExcepted(doc, [miss])).toBe(false);
    expect(isExcepted(doc, [miss, hit])).toBe(true);
  });

  it('needs host.os.type or host.os.name.caseless to be one of os_types (transformOsType)', () => {
    const entries = [m('process.name', 'curl')];
    expect(isExcepted(doc, [item(entries, { osTypes: ['linux'] })])).toBe(true);
    expect(isExcepted(doc, [item(entries, { osTypes: ['windows'] })])).toBe(false);
    expect(isExcepted(doc, [item(entries, { osTypes: ['macos', 'linux'] })])).toBe(true);
    // Endgame-style events: only host.os.name, read through its lowercase .caseless multi-field
    const endgame = { ...doc, host: { os: { name: 'Linux' } } };
    expect(isExcepted(endgame, [item(entries, { osTypes: ['linux'] })])).toBe(true);
  });

  it('drops items whose expire_time is before the run (removeExpiredExceptions)', () => {
    const at = Date.parse('2026-01-01T00:00:00Z');
    const it1 = item([m('process.name', 'curl')], { expiresAtMs: at });
    expect(isExcepted(doc, [it1], at - 1)).toBe(true);
    expect(isExcepted(doc, [it1], at)).toBe(true);
    expect(isExcepted(doc, [it1], at + 1)).toBe(false);
  });
});

describe('wildcardRegExp', () => {
  it('treats regex characters literally and a trailing backslash as a backslash', () => {
    expect(wildcardRegExp('a.b').test('axb')).toBe(false);
    expect(wildcardRegExp('a.b').test('a.b')).toBe(true);
    expect(wildcardRegExp('(x)+').test('(x)+')).toBe(true);
    expect(wildcardRegExp('nc.open-bsd/[x]{1}|y$').test('nc.open-bsd/[x]{1}|y$')).toBe(true);
    expect(wildcardRegExp('end\\').test('end\\')).toBe(true);
    expect(wildcardRegExp('*').test('multi\nline')).toBe(true);
    expect(wildcardRegExp('?').test('😀')).toBe(true);
  });
});
