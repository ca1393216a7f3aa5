import { describe, expect, it } from 'vitest';
import { type CompiledQuery, eqlEngine } from './engine.js';
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

function eqlRule(id: string, query: string, index = ['logs-endpoint.events.*']): LoadedRule {
  const r = { ruleId: id, index, query } as unknown as Rule;
  return { rule: r, compiled: eqlEngine.compileQuery(query), inactiveNeeds: [] };
}

const ev = (category: string, extra: Record<string, unknown>) => ({
  event: { category: [category] },
  ...extra,
});

describe('RuleSet literal prefilter index', () => {
  const nc = eqlRule('nc', 'process where process.name in ("nc", "ncat")');
  const ci = eqlRule('ci', 'process where process.name : "NetCat"');
  const broad = eqlRule('broad', 'process where process.name : "*sh*"');
  const netNc = eqlRule('net-nc', 'network where process.name == "nc"');
  const seq = eqlRule(
    'seq',
    'sequence by process.entity_id [process where process.name == "curl"] [network where event.action == "connection_attempted"] until [process where event.action == "end"]',
  );
  const procIndexOnly = eqlRule('proc-index', 'network where process.name == "nc"', [
    'logs-endpoint.events.process*',
  ]);
  const rules = [nc, ci, broad, netNc, seq, procIndexOnly];
  const set = new RuleSet(rules);
  const ids = (doc: Record<string, unknown>, s = set) => s.candidates(doc).map((r) => r.rule.ruleId);

  it('offers an event only to the rules filed under one of its values, plus those without a prefilter', () => {
    expect(ids(ev('process', { process: { name: 'nc' } }))).toEqual(['nc', 'broad']);
    expect(ids(ev('process', { process: { name: 'bash' } }))).toEqual(['broad']);
    expect(ids(ev('process', {}))).toEqual(['broad']);
  });

  it('compares case-insensitive terms lower-cased, and case-sensitive ones exactly', () => {
    expect(ids(ev('process', { process: { name: 'NETCAT' } }))).toEqual(['ci', 'broad']);
    expect(ids(ev('process', { process: { name: 'NC' } }))).toEqual(['broad']);
  });

  it('takes a multi-valued field when any value is in the set, and reads flattened documents', () => {
    expect(ids(ev('process', { process: { name: ['bash', 'ncat'] } }))).toEqual(['nc', 'broad']);
    expect(ids({ 'event.category': 'process', 'process.name': 'netcat' })).toEqual(['ci', 'broad']);
  });

  it('offers a sequence the events of any of its stages or its until clause, in load order', () => {
    expect(ids(ev('process', { process: { name: 'curl' } }))).toEqual(['broad', 'seq']);
    expect(ids(ev('network', { event: { category: ['network'], action: 'connection_attempted' } }))).toEqual([
      'seq',
    ]);
    expect(ids(ev('process', { event: { category: ['process'], action: 'end' } }))).toEqual(['broad', 'seq']);
    expect(ids(ev('network', { process: { name: 'curl' } }))).toEqual([]);
  });

  it('checks every term when event.category nests an array (the engine flattens it)', () => {
    const doc = { event: { category: ['process', ['network']], action: 'connection_attempted' } };
    expect(ids(doc)).toEqual(['broad', 'seq']);
  });

  it('files wildcard patterns under their literal head or tail', () => {
    const heads = new RuleSet([
      eqlRule('head', 'process where process.name : "Py*"'),
      eqlRule('tail', 'process where process.executable like "*/nc"'),
    ]);
    expect(ids(ev('process', { process: { name: 'PYTHON3' } }), heads)).toEqual(['head']);
    expect(ids(ev('process', { process: { name: 'p', executable: '/usr/bin/nc' } }), heads)).toEqual([
      'tail',
    ]);
    expect(ids(ev('process', { process: { name: 'xpy', executable: '/usr/bin/NC' } }), heads)).toEqual([]);
  });

  it('still routes by category and index pattern', () => {
    // net-nc needs a network event; proc-index reads only the process index, so never sees network
    expect(ids(ev('network', { process: { name: 'nc' } }))).toEqual(['net-nc']);
    expect(ids(ev('process', { process: { name: 'nc' } })).includes('net-nc')).toBe(false);
  });

  it('offers every event of the category to every rule when the prefilter is off', () => {
    const off = new RuleSet(rules, { prefilter: false });
    expect(ids(ev('process', { process: { name: 'bash' } }), off)).toEqual(['nc', 'ci', 'broad', 'seq']);
  });
});
