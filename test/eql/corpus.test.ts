// Every query of Elastic's 328 Linux EQL rules (shared/data) parses and compiles, with no
// construct reported unsupported.
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { compileQuery, createMatcher, EqlError, parseQuery } from '../../src/eql/index.js';
import { describeShared, SHARED_DATA, sharedPath } from '../support/shared-data.js';

const rules = (
  SHARED_DATA ? JSON.parse(readFileSync(sharedPath('elastic-linux-eql-rules.json'), 'utf8')) : []
) as { path: string; query: string }[];

describeShared('the Elastic Linux rule corpus', () => {
  it('holds 328 rules', () => {
    expect(rules).toHaveLength(328);
  });

  it('parses and compiles every query, reporting no unsupported construct', () => {
    const failures: string[] = [];
    for (const r of rules) {
      try {
        createMatcher(compileQuery(r.query));
      } catch (err) {
        failures.push(`${r.path}: ${err instanceof EqlError ? `${err.kind}: ${err.reason}` : String(err)}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('finds the constructs the corpus is known to use', () => {
    const kinds = new Map<string, number>();
    for (const r of rules) {
      const k = parseQuery(r.query).query.kind;
      kinds.set(k, (kinds.get(k) ?? 0) + 1);
    }
    expect(Object.fromEntries(kinds)).toEqual({ event: 263, sequence: 64, sample: 1 });
    const anyRule = rules.filter((r) => compileQuery(r.query).categories === 'any');
    expect(anyRule).toHaveLength(1);
  });
});
