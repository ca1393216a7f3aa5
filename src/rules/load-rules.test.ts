import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CompiledQuery } from './engine.js';
import { loadRules, loadRuleText } from './load-rules.js';

// A compile function that refuses one query with a positioned error, shaped like src/eql's
// EqlError: this tests the loader's error handling, not EQL.
class PositionedError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(message);
  }
}
const compile = (text: string): CompiledQuery => {
  const i = text.indexOf('BROKEN');
  if (i >= 0) {
    const before = text.slice(0, i).split('\n');
    throw new PositionedError(
      `unexpected token BROKEN\n  caret`,
      before.length,
      (before.at(-1)?.length ?? 0) + 1,
    );
  }
  // a stand-in for the engine: only the fields the loader reads (the statement: `process where true`)
  const statement = {
    query: { kind: 'event', category: 'process', condition: { kind: 'literal', value: true, at: 0 }, at: 0 },
    pipes: [],
    source: text,
  };
  return {
    kind: 'event',
    categories: new Set(['process']),
    source: text,
    statement,
  } as unknown as CompiledQuery;
};

const file = (id: string, query: string, lang = 'eql') =>
  `[rule]
rule_id = "${id}"
name = "n ${id}"
description = "d"
type = "eql"
language = "${lang}"
index = ["logs-endpoint.events.process*"]
severity = "low"
risk_score = 21
query = '''
process where
  true and BROKEN
'''
`.replace('process where\n  true and BROKEN', query);

const dir = mkdtempSync(join(tmpdir(), 'eqld-load-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadRules', () => {
  it('shifts a query error to the file line and column', () => {
    expect(() => loadRuleText(file('a', 'process where\n  true and BROKEN'), 'a.toml', compile)).toThrow(
      /^a\.toml:12:12: query: unexpected token BROKEN$/,
    );
  });

  it('refuses non-EQL rules as unsupported, naming the rule and its language', () => {
    expect(() => loadRuleText(file('k', 'x', 'kuery'), 'k.toml', compile)).toThrow(
      'k.toml: rule "n k" (rule_id "k"): language `kuery` is not supported; eqld runs EQL rules (type eql, language eql) only',
    );
  });

  it('keeps loading good files after bad ones, one error per bad file, and reports duplicates', () => {
    writeFileSync(join(dir, '1.toml'), file('one', 'process where true'));
    writeFileSync(join(dir, '2.toml'), file('two', 'process where\n  true and BROKEN'));
    writeFileSync(join(dir, '3.toml'), '\u0000\u00ff not toml [[[');
    writeFileSync(join(dir, '4.toml'), file('one', 'process where true'));
    writeFileSync(join(dir, '5.toml'), file('five', 'process where true'));
    const res = loadRules([dir, join(dir, 'missing.toml')], { compile });
    expect(res.rules.map((r) => r.rule.ruleId)).toEqual(['one', 'five']);
    // file errors (read, syntax) come first, then each parsed rule's in file order
    expect(res.errors.map((e) => [e.path.slice(dir.length + 1), e.kind])).toEqual([
      ['missing.toml', 'read'],
      ['3.toml', 'toml'],
      ['2.toml', 'query'],
      ['4.toml', 'duplicate'],
    ]);
  });

  it("puts a Kibana rule's query error on the rule's line, naming the place in the query", () => {
    const rule = (id: string, query: string) =>
      JSON.stringify({
        rule_id: id,
        name: `n ${id}`,
        description: 'd',
        type: 'eql',
        language: 'eql',
        index: ['logs-endpoint.events.process*'],
        severity: 'low',
        risk_score: 21,
        query,
      });
    const path = join(dir, 'export.ndjson');
    writeFileSync(
      path,
      `${rule('k1', 'process where true')}\n${rule('k2', 'process where\n  true and BROKEN')}\n`,
    );
    const res = loadRules([path], { compile });
    expect(res.rules.map((r) => [r.rule.ruleId, r.rule.line])).toEqual([['k1', 1]]);
    expect(res.errors.map((e) => e.message)).toEqual([
      `${path}:2: query (query line 2, column 12): unexpected token BROKEN`,
    ]);
  });

  it('takes versions from a version lock beside the rules, never otherwise', () => {
    writeFileSync(join(dir, 'version.lock.json'), '{"five": {"version": 7}}');
    const res = loadRules([dir], { compile });
    expect(res.versionLock).toBe(join(dir, 'version.lock.json'));
    expect(res.rules.find((r) => r.rule.ruleId === 'five')?.rule.version).toBe(7);
    expect(res.rules.find((r) => r.rule.ruleId === 'one')?.rule.version).toBeUndefined();
  });
});
