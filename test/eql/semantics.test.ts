// Table-driven semantics of conditions: (query, events, expected ids), one case per operator and
// function, with case sensitivity, null/missing fields, multi-valued fields, wildcards, escapes and
// CIDR v4/v6/IPv4-mapped. Expected values follow Elasticsearch EQL (sources in docs/eql.md).
import { describe, expect, it } from 'vitest';
import { type Doc, ids } from './support.js';

const P = (id: number, fields: Record<string, unknown>): Doc => ({ id, ...fields });

const docs: Doc[] = [
  P(1, { process: { name: 'cmd.exe', pid: 10, args: ['a', 'B', '-x'], args_count: 3 }, user: { id: '0' } }),
  P(2, { process: { name: 'CMD.EXE', pid: 20, args: ['c'], args_count: 1 }, user: { id: 0 } }),
  P(3, { process: { name: 'bash', pid: 30, args: [] }, destination: { ip: '10.1.2.3' } }),
  P(4, { process: { pid: 40 }, destination: { ip: '::ffff:192.168.1.7' } }),
  P(5, { process: { name: 'a*b', pid: 50, command_line: 'run \\x41\\x42' }, destination: { ip: 'fe80::1' } }),
  P(6, { 'process.name': 'flat', 'process.pid': 60, process: { parent: { name: 'sshd' } } }),
];

const cases: [string, string, unknown[]][] = [
  // == / != (case-sensitive, missing, multi-valued)
  ['== is case-sensitive', 'process where process.name == "cmd.exe"', [1]],
  ['== does not expand wildcards', 'process where process.name == "a*b"', [5]],
  ['== on a multi-valued field holds if any value is equal', 'process where process.args == "B"', [1]],
  ['== null finds missing fields and empty arrays', 'process where process.name == null', [4]],
  [
    '!= holds where the field is missing (negated term query)',
    'process where process.name != "bash"',
    [1, 2, 4, 5, 6],
  ],
  [
    '!= on a multi-valued field holds only if no value is equal',
    'process where process.args != "a"',
    [2, 3, 4, 5, 6],
  ],
  ['!= null tests existence', 'process where process.args != null', [1, 2]],
  ['number compares with a keyword string as indexed', 'process where user.id == "0"', [1, 2]],
  [
    'flattened and nested keys are both read',
    'process where process.name == "flat" and process.parent.name == "sshd"',
    [6],
  ],
  // ordering
  ['< > <= >= on numbers', 'process where process.pid > 20 and process.pid <= 40', [3, 4]],
  ['range on missing is false', 'process where process.args_count >= 1', [1, 2]],
  ['string range is case-sensitive lexicographic', 'process where process.name < "a"', [2]],
  // : (case-insensitive, wildcards)
  [': is case-insensitive equality', 'process where process.name : "cmd.EXE"', [1, 2]],
  [': takes * and ? wildcards', 'process where process.name : "c?d.*"', [1, 2]],
  [': list', 'process where process.name : ("bash", "FLAT")', [3, 6]],
  [': on a multi-valued field', 'process where process.args : "b"', [1]],
  [
    // no escape character (StringUtils.toLikePattern): `\` stays a backslash, `*` a wildcard
    'a backslash in a wildcard is literal and * stays a wildcard',
    'process where process.name : "a\\\\*b" or process.command_line : "run \\\\x4?\\\\*"',
    [5],
  ],
  [
    'a backslash before another character is literal',
    'process where process.command_line : "*\\\\x41*"',
    [5],
  ],
  // like / like~
  ['like is case-sensitive', 'process where process.name like "CMD*"', [2]],
  ['like~ is case-insensitive', 'process where process.name like~ "CMD*"', [1, 2]],
  ['like list', 'process where process.name like ("bas?", "fl*")', [3, 6]],
  // regex / regex~
  ['regex is anchored and case-sensitive', 'process where process.name regex "[a-z]+\\\\.exe"', [1]],
  ['regex~ is case-insensitive', 'process where process.name regex~ "[a-z]+\\\\.exe"', [1, 2]],
  ['regex on raw strings with \\w and {n}', 'process where process.name regex """\\w{4}"""', [3, 6]],
  ['regex "..." quotes literally (Lucene)', 'process where process.name regex "a\\"*\\"b"', [5]],
  // in / in~ / not in
  ['in is case-sensitive', 'process where process.name in ("cmd.exe", "bash")', [1, 3]],
  ['in~ is case-insensitive', 'process where process.name in~ ("cmd.exe")', [1, 2]],
  ['in on a multi-valued field', 'process where process.args in ("c", "-x")', [1, 2]],
  [
    'not in holds where the field is missing',
    'process where process.name not in ("cmd.exe", "CMD.EXE", "bash")',
    [4, 5, 6],
  ],
  [
    'not in on a multi-valued field needs every value outside',
    'process where process.args not in ("a")',
    [2, 3, 4, 5, 6],
  ],
  ['not in~', 'process where process.name not in~ ("CMD.exe", "BASH", "a*b", "flat")', [4]],
  // the terms query drops null values (ExpressionTranslators.InComparisons)
  ['in with null ignores the null', 'process where process.name in (null, "bash")', [3]],
  // logic
  ['not binds tighter than and', 'process where not process.name == "bash" and process.pid < 35', [1, 2]],
  ['not on a missing field comparison is true', 'process where not process.name : "cmd*"', [3, 4, 5, 6]],
  ['or', 'process where process.pid == 10 or process.pid == 60', [1, 6]],
  ['booleans', 'process where true and not false', [1, 2, 3, 4, 5, 6]],
  // optional fields
  ['?field reads null when missing', 'process where ?process.no_such == null and process.pid == 10', [1]],
  // arithmetic
  ['arithmetic with precedence', 'process where process.pid + 2 * 5 == 20', [1]],
  ['integer division truncates', 'process where process.pid / 20 == 1', [2, 3]],
  ['float division does not', 'process where process.pid / 20.0 == 1.5', [3]],
  ['modulo', 'process where process.pid % 20 == 0', [2, 4, 6]],
  ['unary minus', 'process where -process.pid < -45', [5, 6]],
  ['arithmetic on missing is null (false)', 'process where process.args_count * 1 != 5', [1, 2]],
  // functions
  [
    'add / subtract / multiply / divide / modulo',
    'process where add(process.pid, 1) == 11 or subtract(process.pid, 1) == 19 or multiply(process.pid, 2) == 60 or divide(process.pid, 4) == 10 or modulo(process.pid, 7) == 1',
    [1, 2, 3, 4, 5],
  ],
  ['between', 'process where between(process.command_line, "run ", "\\\\x42") == "\\\\x41"', [5]],
  ['between~ and greedy', 'process where between~(process.name, "C", "E", true) == "MD.EX"', [2]],
  ['cidrMatch IPv4', 'process where cidrMatch(destination.ip, "10.0.0.0/8")', [3]],
  [
    'cidrMatch IPv4-mapped IPv6 against an IPv4 block',
    'process where cidrmatch(destination.ip, "192.168.0.0/16")',
    [4],
  ],
  ['cidrMatch IPv6', 'process where cidrMatch(destination.ip, "FE80::/10", "127.0.0.0/8")', [5]],
  [
    'not cidrMatch on a missing field is true',
    'process where not cidrMatch(destination.ip, "0.0.0.0/0", "::/0")',
    [1, 2, 6],
  ],
  ['concat', 'process where concat(process.name, "-", process.pid) == "bash-30"', [3]],
  ['concat with null is null', 'process where concat(process.name, "x") == null', [4]],
  [
    'endsWith / endsWith~',
    'process where endsWith(process.name, ".exe") or endsWith~(process.name, "SH")',
    [1, 3],
  ],
  [
    'indexOf / indexOf~',
    'process where indexOf(process.name, "d") == 2 or indexOf~(process.name, "A", 1) == 2',
    [1, 6],
  ],
  [
    'indexOf not found is null',
    'process where indexOf(process.name, "zz") == null and process.name != null',
    [1, 2, 3, 5, 6],
  ],
  ['length', 'process where length(process.name) == 4', [3, 6]],
  ['length over a multi-valued field applies per value', 'process where length(process.args) == 2', [1]],
  ['number', 'process where number("0x1e") == process.pid or number("40", 10) == process.pid', [3, 4]],
  [
    'startsWith / startsWith~',
    'process where startsWith(process.name, "CMD") or startsWith~(process.name, "BA")',
    [2, 3],
  ],
  ['string', 'process where string(process.pid) == "50"', [5]],
  [
    'stringContains / stringContains~ (lower-case name as in the corpus)',
    'process where stringcontains(process.name, "MD") or stringContains~(process.name, "LA")',
    [2, 6],
  ],
  [
    'substring with negative indices',
    'process where substring(process.name, -4) == ".exe" or substring(process.name, 0, 2) == "ba"',
    [1, 3],
  ],
  ['function names are case-insensitive', 'process where STARTSWITH(process.name, "f")', [6]],
  ['functions over multi-valued fields: any value', 'process where startsWith(process.args, "-")', [1]],
  ['two field arguments', 'process where stringContains(process.name, process.parent.name)', []],
  // strings
  ['escapes in strings', 'process where process.command_line == "run \\\\x41\\\\x42"', [5]],
  ['raw strings keep backslashes', 'process where process.command_line == """run \\x41\\x42"""', [5]],
  ['unicode escapes', 'process where process.name == "\\u{62}ash"', [3]],
  ['backtick field names', 'process where `process.name` == "bash"', [3]],
];

// one multi-valued case per operator: process.args of doc 1 is ["a", "B", "-x"]; doc 7 holds numbers
// and addresses in arrays
const arrays: Doc[] = [
  ...docs.slice(0, 3),
  P(7, {
    process: { pid: [5, 500] },
    destination: { ip: ['8.8.8.8', '10.0.0.1'] },
    event: { category: 'process', type: ['start', 'change'] },
  }),
];
const arrayCases: [string, string, unknown[]][] = [
  ['==', 'process where process.args == "-x"', [1]],
  ['!=', 'process where process.args != "-x"', [2, 3, 7]],
  ['<', 'process where process.pid < 10', [7]],
  ['>=', 'process where process.pid >= 500', [7]],
  [':', 'process where process.args : "-X"', [1]],
  ['like', 'process where process.args like "-*"', [1]],
  ['like~', 'process where process.args like~ "b"', [1]],
  ['regex', 'process where process.args regex "[A-Z]"', [1]],
  ['regex~', 'process where process.args regex~ "[b]"', [1]],
  ['in', 'process where event.type in ("change")', [7]],
  ['in~', 'process where process.args in~ ("b")', [1]],
  ['not in', 'process where process.args not in ("-x")', [2, 3, 7]],
  ['not', 'process where not process.args == "a"', [2, 3, 7]],
  ['cidrMatch', 'process where cidrMatch(destination.ip, "10.0.0.0/8")', [3, 7]],
  ['function', 'process where endsWith(process.args, "x")', [1]],
  ['arithmetic', 'process where process.pid * 2 == 1000', [7]],
];

describe('EQL condition semantics', () => {
  it.each(arrayCases)('a multi-valued field with %s', (_op, query, expected) => {
    expect(ids(query, arrays)).toEqual(expected);
  });

  it.each(cases)('%s', (_name, query, expected) => {
    expect(ids(query, docs)).toEqual(expected);
  });

  it('matches only the named event category; any matches all', () => {
    const mixed: Doc[] = [
      { id: 1, event: { category: 'network' } },
      { id: 2, event: { category: ['process', 'host'] } },
      { id: 3 },
    ];
    expect(ids('process where true', mixed)).toEqual([2, 3]);
    expect(ids('network where true', mixed)).toEqual([1]);
    expect(ids('any where true', mixed)).toEqual([1, 2, 3]);
    expect(ids('"process" where true', mixed)).toEqual([2, 3]);
  });
});
