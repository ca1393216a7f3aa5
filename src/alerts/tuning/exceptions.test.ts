import { describe, expect, it } from 'vitest';
import { type ExceptionItem, isExcepted, normalizeExceptionItem } from './exceptions.js';
import { TuningConfigError } from './tuning-error.js';

const doc = {
  process: { name: 'ansible-playbook', executable: '/usr/bin/python3', args: ['python3', '-c', 'x'], pid: 7 },
  user: { id: '0' },
};

const item = (entries: unknown[]): ExceptionItem => normalizeExceptionItem({ entries }, 'x');

describe('exception items', () => {
  const cases: [string, unknown[], boolean][] = [
    ['is', [{ field: 'user.id', operator: 'is', value: '0' }], true],
    ['is on a number field compares as text', [{ field: 'process.pid', operator: 'is', value: '7' }], true],
    ['is_not', [{ field: 'user.id', operator: 'is_not', value: '0' }], false],
    [
      'is_one_of on an array field (any element)',
      [{ field: 'process.args', operator: 'is_one_of', values: ['-c', '-e'] }],
      true,
    ],
    ['is_not_one_of', [{ field: 'process.name', operator: 'is_not_one_of', values: ['a', 'b'] }], true],
    ['exists', [{ field: 'process.name', operator: 'exists' }], true],
    ['does_not_exist', [{ field: 'process.parent.name', operator: 'does_not_exist' }], true],
    ['matches wildcard', [{ field: 'process.name', operator: 'matches', value: 'ansible*' }], true],
    ['matches is case-sensitive', [{ field: 'process.name', operator: 'matches', value: 'ANSIBLE*' }], false],
    [
      'does_not_match',
      [{ field: 'process.executable', operator: 'does_not_match', value: '/usr/bin/*' }],
      false,
    ],
    [
      'entries are ANDed',
      [
        { field: 'user.id', operator: 'is', value: '0' },
        { field: 'process.name', operator: 'is', value: 'nc' },
      ],
      false,
    ],
    [
      'Kibana stored form (match_any, included)',
      [{ field: 'process.name', type: 'match_any', operator: 'included', value: ['ansible-playbook'] }],
      true,
    ],
    [
      'Kibana stored form (match, excluded)',
      [{ field: 'process.name', type: 'match', operator: 'excluded', value: 'nc' }],
      true,
    ],
    [
      'Kibana stored form (nested)',
      [
        {
          field: 'process',
          type: 'nested',
          entries: [{ field: 'name', type: 'match', operator: 'included', value: 'ansible-playbook' }],
        },
      ],
      true,
    ],
    [
      'matches: `\\*` is a literal star, as in Elasticsearch',
      [{ field: 'process.name', operator: 'matches', value: 'ansible\\*' }],
      false,
    ],
  ];
  for (const [name, entries, expected] of cases) {
    it(`${name} -> ${expected ? 'excepted' : 'kept'}`, () => {
      expect(isExcepted(doc, [item(entries)])).toBe(expected);
    });
  }

  it('items are ORed', () => {
    const miss = item([{ field: 'user.id', operator: 'is', value: '1000' }]);
    const hit = item([{ field: 'process.name', operator: 'is', value: 'ansible-playbook' }]);
    expect(isExcepted(doc, [miss])).toBe(false);
    expect(isExcepted(doc, [miss, hit])).toBe(true);
  });

  it('rejects unknown operators and missing values with the entry path', () => {
    expect(() =>
      normalizeExceptionItem(
        { entries: [{ field: 'a', operator: 'contains', value: 'x' }] },
        'rules.r.exceptions[0]',
      ),
    ).toThrow(/rules\.r\.exceptions\[0\]\.entries\[0\]\.operator/);
    expect(() => normalizeExceptionItem({ entries: [{ field: 'a', operator: 'is' }] }, 'e')).toThrow(
      TuningConfigError,
    );
    expect(() => normalizeExceptionItem({ entries: [] }, 'e')).toThrow(/at least one entry/);
  });

  it('refuses what it cannot evaluate instead of running without it (value lists, text fields)', () => {
    expect(() =>
      normalizeExceptionItem(
        {
          entries: [
            {
              field: 'process.executable',
              type: 'list',
              operator: 'included',
              list: { id: 'x', type: 'keyword' },
            },
          ],
        },
        'rules.r.exceptions[0]',
      ),
    ).toThrow('Not supported in the tuning file: `rules.r.exceptions[0].entries[0]`: a value list entry');
    expect(() =>
      normalizeExceptionItem({ entries: [{ field: 'process.name.text', operator: 'is', value: 'x' }] }, 'e'),
    ).toThrow(/analyzed text field/);
  });

  it('takes os_types as Kibana does', () => {
    const linux = normalizeExceptionItem(
      { os_types: ['linux'], entries: [{ field: 'user.id', operator: 'is', value: '0' }] },
      'e',
    );
    expect(isExcepted({ ...doc, host: { os: { type: 'linux' } } }, [linux])).toBe(true);
    expect(isExcepted({ ...doc, host: { os: { type: 'windows' } } }, [linux])).toBe(false);
  });
});
