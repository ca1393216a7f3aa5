import { describe, expect, it } from 'vitest';
import type { CompiledQuery } from './engine.js';
import type { LoadedRule } from './load-rules.js';
import type { Rule } from './rule.js';
import { RuleSet } from './rule-set.js';

function rule(
  id: string,
  index: string[],
  categories: string[] | 'any',
  inactiveNeeds: string[] = [],
): LoadedRule {
  const r = { ruleId: id, index, query: '' } as unknown as Rule;
  return {
    rule: r,
    compiled: {
      kind: 'event',
      categories: categories === 'any' ? 'any' : new Set(categories),
      source: '',
    } as unknown as CompiledQuery,
    inactiveNeeds,
  };
}

const proc = { event: { category: ['process'] } };
const net = { event: { category: ['network'] } };

describe('RuleSet', () => {
  const seq = rule(
    'seq',
    ['logs-endpoint.events.network*', 'logs-endpoint.events.process*'],
    ['process', 'network'],
  );
  const procOnly = rule('proc', ['logs-endpoint.events.process*'], ['process']);
  const wideIndex = rule('wide', ['logs-endpoint.events.*'], ['network']);
  const anyCat = rule('any', ['logs-endpoint.events.*'], 'any');
  const narrowIndex = rule('narrow', ['logs-endpoint.events.process*'], ['process', 'network']);
  const fileRule = rule('file', ['logs-endpoint.events.*'], ['file', 'process'], ['file events']);
  const set = new RuleSet([seq, procOnly, wideIndex, anyCat, narrowIndex, fileRule]);

  it('offers a process event only to rules with a process step whose index covers it', () => {
    expect(set.candidates(proc).map((r) => r.rule.ruleId)).toEqual(['seq', 'proc', 'any', 'narrow']);
  });

  it('offers a network event by category and index pattern', () => {
    // `narrow` has a network step but reads only the process index, so it never sees network events
    expect(set.candidates(net).map((r) => r.rule.ruleId)).toEqual(['seq', 'wide', 'any']);
  });

  it('never offers events to inactive rules, but keeps them for reporting', () => {
    expect(set.candidates(proc).some((r) => r.rule.ruleId === 'file')).toBe(false);
    expect(set.all).toHaveLength(6);
    expect(set.active).toHaveLength(5);
  });

  it('offers nothing for an event with no known category', () => {
    expect(set.candidates({ event: { category: ['weird'] } })).toEqual([]);
    expect(set.candidates({})).toEqual([]);
  });
});
