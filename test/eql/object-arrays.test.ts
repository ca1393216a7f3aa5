// Fields below an array of objects (ECS process.previous: one object per earlier image) read as
// the values of every object, as Elasticsearch indexes them (arrays of objects are flattened).
import { describe, expect, it } from 'vitest';
import { compileQuery } from '../../src/eql/index.js';

const doc = (previous: unknown) => ({ event: { category: ['process'] }, process: { previous } });

describe('fields inside arrays of objects', () => {
  it('matches when any object of the array has a matching value', () => {
    const q = compileQuery('process where process.previous.executable : "*/zoom"').filter!;
    expect(q.test(doc([{ executable: '/bin/bash' }, { executable: '/opt/zoom/zoom' }]))).toBe(true);
    expect(q.test(doc([{ executable: '/bin/bash' }]))).toBe(false);
    expect(q.test(doc({ executable: '/opt/zoom/zoom' }))).toBe(true);
  });

  it('flattens arrays inside the objects and reads a missing field as null', () => {
    const args = compileQuery('process where process.previous.args == "-c"').filter!;
    expect(args.test(doc([{ args: ['sh', '-c'] }, { args: ['x'] }]))).toBe(true);
    const missing = compileQuery('process where process.previous.executable == null').filter!;
    expect(missing.test(doc([{ args: ['x'] }]))).toBe(true);
    expect(missing.test(doc([]))).toBe(true);
  });
});
