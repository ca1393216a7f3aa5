import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseRuleFile } from './parse-rule-file.js';
import { RuleFileError } from './rule-error.js';

// the bundled copy, unchanged from elastic/detection-rules
const SSH = new URL('../../rules/persistence_ssh_netcon.toml', import.meta.url).pathname;

const minimal = (over = '') => `[metadata]
maturity = "production"
future_meta = 1

[rule]
rule_id = "abc"
name = "n"
description = "d"
type = "eql"
language = "eql"
index = ["logs-endpoint.events.process*"]
severity = "low"
risk_score = 21
some_new_field = "kept"
${over}
query = '''
process where true
'''
`;

function errorOf(fn: () => unknown): RuleFileError {
  try {
    fn();
  } catch (err) {
    if (err instanceof RuleFileError) return err;
    throw err;
  }
  throw new Error('expected a RuleFileError');
}

describe('parseRuleFile', () => {
  it('reads the fields eqld uses from an upstream rule', () => {
    const r = parseRuleFile(readFileSync(SSH, 'utf8'), SSH);
    expect(r.ruleId).toBe('63431796-f813-43af-820b-492ee2efec8e');
    expect(r.severity).toBe('medium');
    expect(r.riskScore).toBe(47);
    expect(r.index).toEqual(['logs-endpoint.events.network*', 'logs-endpoint.events.process*']);
    expect(r.threat.map((t) => t.tactic.id)).toEqual(['TA0003', 'TA0008', 'TA0011']);
    expect(r.threat[0]?.technique[0]?.subtechnique[0]?.id).toBe('T1546.004');
    expect(r.references).toEqual(['https://hadess.io/the-art-of-linux-persistence/']);
    expect(r.version).toBeUndefined();
    expect(r.extra.from).toBe('now-9m');
    expect(readFileSync(SSH, 'utf8').split('\n')[r.queryLine - 1]).toBe(
      'sequence by host.id with maxspan=1s',
    );
  });

  it('keeps unknown [rule] and [metadata] fields instead of rejecting them', () => {
    const r = parseRuleFile(minimal(), 'x.toml');
    expect(r.extra.some_new_field).toBe('kept');
    expect(r.metadata.extra.future_meta).toBe(1);
  });

  it('reports TOML syntax errors with line and column', () => {
    const e = errorOf(() => parseRuleFile('[rule]\nname = "unterminated\n', 'bad.toml'));
    expect(e.kind).toBe('toml');
    expect(e.line).toBe(2);
    expect(e.message).toMatch(/^bad\.toml:2:\d+: /);
  });

  it('says which field was wrong and what it got', () => {
    const e = errorOf(() =>
      parseRuleFile(minimal().replace('risk_score = 21', 'risk_score = "high"'), 'x.toml'),
    );
    expect(e.message).toContain('Expected `rule.risk_score` to be an integer 0..100, got `high`');
    const s = errorOf(() =>
      parseRuleFile(minimal().replace('severity = "low"', 'severity = "urgent"'), 'x.toml'),
    );
    expect(s.message).toContain('got `urgent`');
    const i = errorOf(() =>
      parseRuleFile(minimal().replace('index = ["logs-endpoint.events.process*"]', ''), 'x.toml'),
    );
    expect(i.message).toContain('Expected `rule.index` to be a non-empty array of strings, got nothing');
  });

  it('rejects a file with no [rule] table', () => {
    expect(errorOf(() => parseRuleFile('[metadata]\nmaturity = "x"\n', 'm.toml')).message).toContain(
      '[rule]',
    );
  });
});
