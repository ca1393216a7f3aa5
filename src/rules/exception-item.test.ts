import { describe, expect, it } from 'vitest';
import { ExceptionEntryError, parseExceptionEntry, parseOsTypes } from './exception-item.js';

function problem(raw: unknown): [string, string] {
  try {
    parseExceptionEntry(raw, 'entries[0]');
  } catch (err) {
    if (err instanceof ExceptionEntryError) return [err.problem, err.message];
    throw err;
  }
  throw new Error('expected an ExceptionEntryError');
}

describe('parseExceptionEntry (Kibana exception_list_item_entry schema)', () => {
  it('reads every entry type Kibana stores', () => {
    expect(parseExceptionEntry({ type: 'match', field: 'a', operator: 'included', value: 'x' }, 'e')).toEqual(
      {
        type: 'match',
        field: 'a',
        operator: 'included',
        value: 'x',
      },
    );
    expect(
      parseExceptionEntry({ type: 'match_any', field: 'a', operator: 'excluded', value: ['x', 'y'] }, 'e'),
    ).toMatchObject({ type: 'match_any', operator: 'excluded', value: ['x', 'y'] });
    expect(parseExceptionEntry({ type: 'exists', field: 'a', operator: 'included' }, 'e')).toMatchObject({
      type: 'exists',
    });
    expect(
      parseExceptionEntry({ type: 'wildcard', field: 'a', operator: 'included', value: '/tmp/*' }, 'e'),
    ).toMatchObject({ type: 'wildcard', value: '/tmp/*' });
    expect(
      parseExceptionEntry(
        {
          type: 'nested',
          field: 'process.Ext.code_signature',
          entries: [
            { type: 'match', field: 'subject_name', operator: 'included', value: 'Elastic' },
            { type: 'exists', field: 'trusted', operator: 'included' },
          ],
        },
        'e',
      ),
    ).toMatchObject({ type: 'nested', entries: [{ field: 'subject_name' }, { field: 'trusted' }] });
  });

  it.each([
    [
      { type: 'match', field: 'a', operator: 'included', value: '' },
      'Expected `entries[0].value` to be a non-empty string',
    ],
    [
      { type: 'match', field: 'a', operator: 'is', value: 'x' },
      'Expected `entries[0].operator` to be `included` or `excluded`, got `"is"`',
    ],
    [
      { type: 'match_any', field: 'a', operator: 'included', value: [] },
      'Expected `entries[0].value` to be a non-empty array',
    ],
    [{ type: 'contains', field: 'a', operator: 'included' }, 'Expected `entries[0].type` to be one of'],
    [{ type: 'exists', operator: 'included' }, 'Expected `entries[0].field` to be a field name, got nothing'],
    [
      { type: 'match', field: 'destination.ip', operator: 'included', value: 'intranet' },
      'an IP address or CIDR block',
    ],
    [
      { type: 'match', field: 'source.ip', operator: 'included', value: '10.0.0.0/33' },
      'an IP address or CIDR block',
    ],
    [
      {
        type: 'nested',
        field: 'n',
        entries: [{ type: 'wildcard', field: 'a', operator: 'included', value: '*' }],
      },
      'inside a nested entry',
    ],
    [{ type: 'nested', field: 'n', entries: [] }, 'Expected `entries[0].entries` to be a non-empty array'],
  ])('refuses %j as invalid, naming the key', (raw, message) => {
    const [kind, text] = problem(raw);
    expect(kind).toBe('invalid');
    expect(text).toContain(message);
  });

  it.each([
    [
      {
        type: 'list',
        field: 'process.executable',
        operator: 'included',
        list: { id: 'trusted.txt', type: 'keyword' },
      },
      'a value list entry (`process.executable` is in list `trusted.txt`)',
    ],
    [{ type: 'match', field: 'process.name.text', operator: 'included', value: 'x' }, 'analyzed text field'],
    [
      { type: 'wildcard', field: 'destination.ip', operator: 'included', value: '10.*' },
      'a wildcard on the ip field',
    ],
  ])('names %j as unsupported', (raw, message) => {
    const [kind, text] = problem(raw);
    expect(kind).toBe('unsupported');
    expect(text).toContain(message);
  });

  it('reads os_types and refuses unknown systems', () => {
    expect(parseOsTypes(undefined, 'os_types')).toEqual([]);
    expect(parseOsTypes(['linux', 'windows'], 'os_types')).toEqual(['linux', 'windows']);
    expect(() => parseOsTypes(['solaris'], 'os_types')).toThrow(
      'Expected `os_types` to be an array of linux, macos, windows',
    );
  });
});
