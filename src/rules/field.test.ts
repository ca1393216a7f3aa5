import { describe, expect, it } from 'vitest';
import { fieldReader, getField } from './field.js';

const docs: unknown[] = [
  { process: { name: 'a', parent: { name: 'p' } } },
  { 'process.name': 'flat', 'process.parent.name': 'flatp' },
  { process: { 'parent.name': 'mixed' }, 'process.parent': { name: 'other' } },
  { 'process.parent': { name: 'half' } },
  { process: { parent: null } },
  { process: 'scalar' },
  null,
  'text',
];

describe('fieldReader', () => {
  it('reads what getField reads, for nested, flattened and mixed documents', () => {
    for (const name of ['process.name', 'process.parent.name', 'process', 'process.parent', 'missing.x']) {
      const read = fieldReader(name);
      for (const d of docs) expect(read(d), `${name} of ${JSON.stringify(d)}`).toEqual(getField(d, name));
    }
  });
});
