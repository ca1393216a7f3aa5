// The type comparison used by the fleet shape test: it must report a real difference and
// accept what the samples themselves disagree on.
import { describe, expect, it } from 'vitest';
import { fieldTypes, sharedPaths, typeMismatches } from './field-types.js';

describe('field type comparison', () => {
  it('flattens nested objects and types arrays by their elements', () => {
    const t = fieldTypes({
      process: { pid: 4, args: ['a'], Ext: { ancestry: [] } },
      event: { category: ['x'] },
    });
    expect(Object.fromEntries(t)).toEqual({
      'process.pid': 'number',
      'process.args': 'string[]',
      'process.Ext.ancestry': 'empty[]',
      'event.category': 'string[]',
    });
  });

  it('reports a number where the samples hold a string, and a scalar where they hold an array', () => {
    const samples = [{ user: { id: '0' }, event: { type: ['start'] } }];
    const ours = [{ user: { id: 0 }, event: { type: 'start' } }];
    expect(typeMismatches(samples, ours)).toEqual([
      { path: 'user.id', ours: 'number', samples: ['string'] },
      { path: 'event.type', ours: 'string', samples: ['string[]'] },
    ]);
  });

  it('accepts any type some sample uses, ignores nulls and paths the samples lack', () => {
    const samples = [{ host: { ip: '10.0.0.1' } }, { host: { ip: ['10.0.0.1'] } }];
    const ours = [{ host: { ip: ['10.0.0.2'], id: 'x' }, destination: null }];
    expect(typeMismatches(samples, ours)).toEqual([]);
    expect(sharedPaths(samples, ours)).toEqual(['host.ip']);
  });

  it('walks objects inside arrays', () => {
    const samples = [{ threat: [{ tactic: { id: 'TA1' } }] }];
    expect(typeMismatches(samples, [{ threat: [{ tactic: { id: 1 } }] }])).toEqual([
      { path: 'threat[].tactic.id', ours: 'number', samples: ['string'] },
    ]);
  });
});
