// `eqld query`: results as NDJSON in Elasticsearch's order, sequences as {join_keys, events},
// positioned errors with exit code 2.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runQuery } from '../../src/cli/query.js';

/** compares with test/eql/golden/<name>; UPDATE_GOLDEN=1 rewrites it */
function golden(name: string, text: string): void {
  const path = `test/eql/golden/${name}`;
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(path)) {
    if (process.env.UPDATE_GOLDEN !== '1')
      throw new Error(`golden ${path} missing; run with UPDATE_GOLDEN=1`);
    writeFileSync(path, text);
  }
  expect(text).toBe(readFileSync(path, 'utf8'));
}

const lines = [
  {
    '@timestamp': '2024-01-01T00:00:02Z',
    event: { category: 'network', sequence: 3 },
    process: { entity_id: 'e1' },
  },
  {
    '@timestamp': '2024-01-01T00:00:00Z',
    event: { category: 'process', sequence: 1 },
    process: { name: 'nc', entity_id: 'e1' },
  },
  {
    '@timestamp': '2024-01-01T00:00:01Z',
    event: { category: 'process', sequence: 2 },
    process: { name: 'sh', entity_id: 'e2' },
  },
].map((d) => JSON.stringify(d));

async function run(query: string, input = lines.join('\n')) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runQuery(query, {
    lines: input.split('\n'),
    out: (l) => out.push(l),
    err: (l) => err.push(l),
  });
  return { code, out, err };
}

describe('eqld query', () => {
  it('prints each matching event unchanged, in @timestamp order', async () => {
    const r = await run('process where true');
    expect(r.code).toBe(0);
    expect(r.out).toEqual([lines[1], lines[2]]);
  });

  it('prints one {join_keys, events} object per sequence', async () => {
    const r = await run('sequence by process.entity_id [process where true] [network where true]');
    expect(r.out.map((l) => JSON.parse(l))).toEqual([
      { join_keys: ['e1'], events: [JSON.parse(lines[1] as string), JSON.parse(lines[0] as string)] },
    ]);
  });

  it('applies head and tail pipes', async () => {
    expect((await run('any where true | head 1')).out).toEqual([lines[1]]);
    expect((await run('any where true | tail 1')).out).toEqual([lines[0]]);
  });

  it('exits 2 with the caret for a bad query', async () => {
    const r = await run('process where process.name ==');
    expect(r.code).toBe(2);
    expect(r.err.join('\n')).toBe(
      'eqld query: Expected a field, value, function call or `(`, got end of query (line 1, column 30)\n' +
        'process where process.name ==\n' +
        '                             ^',
    );
  });

  it('prints a missing-event stage as {"missing": true}, in stage order (golden)', async () => {
    const input = readFileSync('test/eql/golden/missing-events.input.ndjson', 'utf8');
    const q =
      'sequence by user.name with maxspan=10s [authentication where event.action == "logon"] ' +
      '![authentication where event.action == "logoff"] [process where true] ' +
      '![authentication where event.action == "logoff"]';
    const r = await run(q, input);
    expect(r.code).toBe(0);
    golden('query-missing-events.ndjson', `${r.out.join('\n')}\n`);
  });

  it('skips malformed lines and says so', async () => {
    const r = await run('process where true', `${lines.join('\n')}\nnot json\n{"no":"timestamp"}`);
    expect(r.out).toHaveLength(2);
    expect(r.err[0]).toBe('eqld query: 2 malformed line(s) skipped');
  });
});
