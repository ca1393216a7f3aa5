import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CompiledQuery, eqlEngine } from './engine.js';
import { getField } from './field.js';
import { eventIndexName, ruleSeesIndex } from './index-pattern.js';

type PrefilterTerm = NonNullable<CompiledQuery['prefilter']>[number];

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

  it('select() gives the positions of the rules candidates() gives, for the last event only', () => {
    const ids = (n: number) => [...set.selected.subarray(0, n)].map((i) => set.all[i]?.rule.ruleId);
    expect(ids(set.select(proc))).toEqual(['seq', 'proc', 'any', 'narrow']);
    expect(ids(set.select(net))).toEqual(['seq', 'wide', 'any']);
    expect(set.select({ event: { category: ['nothing-reads-this'] } })).toBe(0);
  });

  it('offers a network event by category and index pattern', () => {
    // `narrow` has a network step but reads only the process index, so it never sees network events
    expect(set.candidates(net).map((r) => r.rule.ruleId)).toEqual(['seq', 'wide', 'any']);
  });

  it('routes by a frozen, shared data_stream object as by a fresh one, whatever came before', () => {
    // the normalizer shares one frozen data_stream per dataset: RuleSet remembers its shape by identity
    const ds = (dataset: string) => ({ type: 'logs', dataset, namespace: 'default' });
    const frozenNet = Object.freeze(ds('endpoint.events.network'));
    const frozenProc = Object.freeze(ds('endpoint.events.process'));
    const cat = (c: string) => Object.freeze([c]);
    const idsOf = (d: Record<string, unknown>) => set.candidates(d).map((r) => r.rule.ruleId);
    for (let round = 0; round < 2; round++) {
      expect(idsOf({ event: { category: cat('network') }, data_stream: frozenNet })).toEqual(
        idsOf({ event: { category: ['network'] }, data_stream: ds('endpoint.events.network') }),
      );
      // the same frozen object with another category, and a process stream named with a network category
      expect(idsOf({ event: { category: cat('process') }, data_stream: frozenNet })).toEqual(
        idsOf({ event: { category: ['process'] }, data_stream: ds('endpoint.events.network') }),
      );
      expect(idsOf({ event: { category: cat('network') }, data_stream: frozenProc })).toEqual(
        idsOf({ event: { category: ['network'] }, data_stream: ds('endpoint.events.process') }),
      );
      // an _index wins over data_stream, cached or not
      expect(
        idsOf({
          _index: 'logs-endpoint.events.process-default',
          event: { category: cat('process') },
          data_stream: frozenNet,
        }),
      ).toEqual(['seq', 'proc', 'any', 'narrow']);
    }
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
  // a regex yields no prefilter: every process event goes to this rule
  const broad = eqlRule('broad', 'process where process.name regex ".*sh.*"');
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

  it('files patterns with neither head nor tail under their longest literal run', () => {
    const inner = new RuleSet([
      eqlRule('contains', 'process where process.command_line : ("*Curl*", "*wget -q*")'),
      eqlRule('other', 'process where process.command_line like "*a?Base64*"'),
    ]);
    expect(ids(ev('process', { process: { command_line: 'x CURL y' } }), inner)).toEqual(['contains']);
    expect(ids(ev('process', { process: { command_line: 'WGET -Q' } }), inner)).toEqual(['contains']);
    expect(ids(ev('process', { process: { command_line: ['z', 'ab Base64'] } }), inner)).toEqual(['other']);
    expect(ids(ev('process', { process: { command_line: 'ab base64 wget' } }), inner)).toEqual([]);
  });

  it('still routes by category and index pattern', () => {
    // net-nc needs a network event; proc-index reads only the process index, so never sees network
    expect(ids(ev('network', { process: { name: 'nc' } }))).toEqual(['net-nc']);
    expect(ids(ev('process', { process: { name: 'nc' } })).includes('net-nc')).toBe(false);
  });

  it('routes a value that comes again (from the memo of its field) as it routed it the first time', () => {
    const memoSet = new RuleSet(rules);
    const docs = [
      ev('process', { process: { name: 'nc' } }),
      ev('process', { process: { name: 'NetCat' } }),
      ev('process', { process: { name: ['bash', 'ncat'] } }),
      ev('network', { process: { name: 'nc' } }),
      ev('process', { process: { name: 'curl' } }),
      ev('process', { process: { name: 'NC' } }),
    ];
    const first = docs.map((d) => ids(d, memoSet));
    // fresh objects with the same values, in another order: every value now comes from the memo
    for (let round = 0; round < 3; round++)
      for (const i of [5, 3, 1, 0, 4, 2]) {
        const d = structuredClone(docs[i] as Record<string, unknown>);
        expect(ids(d, memoSet)).toEqual(first[i]);
        expect(ids(d, new RuleSet(rules))).toEqual(first[i]);
      }
  });

  it('offers every event of the category to every rule when the prefilter is off', () => {
    const off = new RuleSet(rules, { prefilter: false });
    expect(ids(ev('process', { process: { name: 'bash' } }), off)).toEqual(['nc', 'ci', 'broad', 'seq']);
  });
});

describe('RuleSet.wants: the kinds of event some rule may take', () => {
  // what an event's kind fixes, as kindDocument() (src/normalize/ecs-event.ts) makes it
  const kind = (category: string, action: string, type: string, outcome?: string) =>
    Object.freeze({
      event: Object.freeze({
        kind: 'event',
        module: 'endpoint',
        dataset: `endpoint.events.${category}`,
        action,
        category: Object.freeze([category]),
        type: Object.freeze([type]),
        ...(outcome ? { outcome } : {}),
      }),
      data_stream: Object.freeze({
        type: 'logs',
        dataset: `endpoint.events.${category}`,
        namespace: 'default',
      }),
    });
  const EXEC = kind('process', 'exec', 'start');
  const FORK = kind('process', 'fork', 'start');
  const END = kind('process', 'end', 'end');
  const SESSION = kind('process', 'session_id_change', 'change');
  const CONNECT = kind('network', 'connection_attempted', 'start', 'success');
  const ACCEPT = kind('network', 'connection_accepted', 'start');
  const CREATION = kind('file', 'creation', 'creation', 'unknown');
  const DELETION = kind('file', 'deletion', 'deletion', 'unknown');
  // the two bundled rules' steps, as they name their kinds
  const bundled = [
    eqlRule(
      'ssh-netcon',
      'sequence by host.id with maxspan=1s [process where event.type == "start" and event.action == "exec" and process.parent.executable == "/usr/sbin/sshd"] by process.entity_id [network where event.type == "start" and event.action == "connection_attempted" and process.name like~ ".*"] by process.parent.entity_id',
    ),
    eqlRule(
      'root-netcon',
      'sequence by process.entity_id with maxspan=1m [network where event.type == "start" and event.action == "connection_attempted" and user.id == "0"] [process where event.action == "session_id_change" and user.id == "0"]',
    ),
  ];
  const wanted = (s: RuleSet) =>
    Object.entries({ EXEC, FORK, END, SESSION, CONNECT, ACCEPT, CREATION, DELETION })
      .filter(([, k]) => s.wants(k))
      .map(([name]) => name);

  it('wants only the kinds the bundled rules name: no fork, end, accept or file event', () => {
    expect(wanted(new RuleSet(bundled))).toEqual(['EXEC', 'SESSION', 'CONNECT']);
  });

  it('wants every kind of its categories for a rule that says nothing of the kind', () => {
    const broad = eqlRule('broad', 'process where process.name == "nc"');
    expect(wanted(new RuleSet([...bundled, broad]))).toEqual(['EXEC', 'FORK', 'END', 'SESSION', 'CONNECT']);
    // event.type alone: every kind of that type, as Defend's fork has event.type start too
    const starts = eqlRule('starts', 'process where event.type == "start" and process.name == "nc"');
    expect(wanted(new RuleSet([starts]))).toEqual(['EXEC', 'FORK']);
    // negations and conjunctions of kind tests count, with the engine's own comparisons
    const notDel = eqlRule('not-deletion', 'file where event.type != "deletion" and file.name == "x"');
    expect(wanted(new RuleSet([notDel]))).toEqual(['CREATION']);
    const notExec = eqlRule(
      'not-exec',
      'process where not event.action in ("exec", "fork") and process.pid > 1',
    );
    expect(wanted(new RuleSet([notExec]))).toEqual(['END', 'SESSION']);
    // a field other than the kind's is unknown, even under a negation
    const other = eqlRule('other', 'process where event.action == "fork" or not process.name == "x"');
    expect(wanted(new RuleSet([other]))).toEqual(['EXEC', 'FORK', 'END', 'SESSION']);
  });

  it('counts every stage, until clause and missing-event stage of a sequence', () => {
    const untilEnd = eqlRule(
      'until-end',
      'sequence by process.entity_id [process where event.action == "exec"] [network where event.action == "connection_attempted"] until [process where event.action == "end"]',
    );
    expect(wanted(new RuleSet([untilEnd]))).toEqual(['EXEC', 'END', 'CONNECT']);
    const missing = eqlRule(
      'missing',
      'sequence by process.entity_id with maxspan=1m [process where event.action == "exec"] ![process where event.action == "fork"]',
    );
    // a trailing missing-event stage sees every event: no kind filter at all
    expect(wanted(new RuleSet([missing]))).toEqual(['EXEC', 'FORK', 'END', 'SESSION']);
  });

  it('takes case-insensitive kind tests and outcomes as the engine compares them', () => {
    const ci = eqlRule(
      'ci',
      'network where event.action : "CONNECTION_ATTEMPTED" and event.outcome == "success"',
    );
    expect(wanted(new RuleSet([ci]))).toEqual(['CONNECT']);
    const failed = eqlRule(
      'failed',
      'network where event.action == "connection_attempted" and event.outcome == "failure"',
    );
    expect(wanted(new RuleSet([failed]))).toEqual([]);
  });

  it('follows index patterns, and never counts inactive rules', () => {
    const procIndex = eqlRule('proc-index', 'network where process.name == "nc"', [
      'logs-endpoint.events.process*',
    ]);
    expect(wanted(new RuleSet([procIndex]))).toEqual([]);
    const inactive = {
      ...eqlRule('inactive', 'file where file.name == "x"'),
      inactiveNeeds: ['file events'],
    };
    expect(wanted(new RuleSet([inactive]))).toEqual([]);
    expect(wanted(new RuleSet([]))).toEqual([]);
  });

  it('gives the same answer for a fresh document of the kind as for the remembered one', () => {
    const s = new RuleSet(bundled);
    for (const k of [EXEC, FORK, CONNECT, CREATION])
      expect(s.wants(JSON.parse(JSON.stringify(k)))).toBe(s.wants(k));
  });
});

describe('RuleSet against a plain reading of its routing rules', () => {
  const ids = (doc: Record<string, unknown>, s: RuleSet) => s.candidates(doc).map((r) => r.rule.ruleId);
  // category, then index patterns, then (with the prefilter) one term of the rule's categories
  // (every term when event.category nests an array) passing for some value of its field
  function reference(
    rules: readonly LoadedRule[],
    doc: Record<string, unknown>,
    prefilter: boolean,
  ): string[] {
    const index = eventIndexName(doc);
    if (index === undefined) return [];
    const raw = getField(doc, 'event.category');
    const list = Array.isArray(raw) ? raw : [raw];
    const cats = list.filter((c): c is string => typeof c === 'string');
    const nested = list.some(Array.isArray);
    const passes = (t: PrefilterTerm): boolean => {
      const v = t.read(doc);
      return (Array.isArray(v) ? v : [v]).some((x) => {
        if (x === null) return false;
        const s = String(x);
        return (
          t.values.has(s) ||
          [...t.prefixes].some((h) => s.startsWith(h)) ||
          [...t.suffixes].some((h) => s.endsWith(h)) ||
          [...t.contains].some((h) => s.includes(h))
        );
      });
    };
    return rules
      .filter((r) => {
        if (r.inactiveNeeds.length > 0) return false;
        const rc = r.compiled.categories;
        if (rc !== 'any' && !cats.some((c) => rc.has(c))) return false;
        if (!ruleSeesIndex(r.rule.index, index)) return false;
        const pf = r.compiled.prefilter;
        if (!prefilter || !pf || pf.length === 0) return true;
        return pf.some((t) => (nested || t.category === 'any' || cats.includes(t.category)) && passes(t));
      })
      .map((r) => r.rule.ruleId);
  }

  const rules = [
    eqlRule('exact', 'process where process.name in ("nc", "ncat", "1")'),
    eqlRule('ci', 'process where process.name : ("NetCat", "Py*", "*SH", "*Curl*")'),
    eqlRule(
      'heads',
      'network where process.executable like ("/tmp/*", "/dev/shm/*") or process.name == "nc"',
    ),
    eqlRule('any', 'any where process.command_line like~ "*base64*" or event.action == "end"'),
    eqlRule('none', 'process where process.name regex ".*"'),
    eqlRule('seq', 'sequence [process where process.args : "-C"] [network where event.action == "connect"]'),
    eqlRule('proc-index', 'network where process.name == "nc"', ['logs-endpoint.events.process*']),
    eqlRule('custom-index', 'process where process.name == "nc"', ['logs-custom-*']),
    eqlRule('empty-tail', 'process where process.name like ("", "*\\\\\\\\")'),
  ];
  const withIndex = new RuleSet(rules);
  const without = new RuleSet(rules, { prefilter: false });
  const str = fc.constantFrom(
    'nc',
    'NC',
    'ncat',
    'python3',
    'BASH',
    'x curl y',
    '/tmp/x',
    '/dev/shm',
    '',
    '\\',
    '1',
  );
  const docArb = fc.record(
    {
      category: fc.constantFrom<unknown>(
        'process',
        'network',
        'file',
        ['process'],
        ['network', 'process'],
        ['process', ['network']],
        7,
        'weird',
      ),
      flatCategory: fc.boolean(),
      index: fc.constantFrom<unknown>(
        undefined,
        '.ds-logs-endpoint.events.network-default-2024.01.01-000001',
        'logs-custom-x',
        '',
        3,
      ),
      dataset: fc.constantFrom<unknown>(undefined, 'custom.x', 'endpoint.events.process'),
      flatDataset: fc.boolean(),
      name: fc.oneof(str, fc.array(str, { maxLength: 3 }), fc.constant(1)),
      exe: str,
      args: fc.array(str, { maxLength: 3 }),
      cmd: fc.constantFrom('a BASE64 b', 'ls', ''),
      action: fc.constantFrom('end', 'connect', 'exec'),
      flatProcess: fc.boolean(),
    },
    { requiredKeys: ['category', 'name'] },
  );
  const build = (r: Record<string, unknown>): Record<string, unknown> => {
    const doc: Record<string, unknown> = {};
    const proc = { name: r.name, executable: r.exe, args: r.args, command_line: r.cmd };
    if (r.flatProcess) for (const [k, v] of Object.entries(proc)) doc[`process.${k}`] = v;
    else doc.process = proc;
    if (r.flatCategory) {
      doc['event.category'] = r.category;
      doc['event.action'] = r.action;
    } else doc.event = { category: r.category, action: r.action };
    if (r.index !== undefined) doc._index = r.index;
    if (r.dataset !== undefined) {
      if (r.flatDataset) doc['data_stream.dataset'] = r.dataset;
      else doc.data_stream = { dataset: r.dataset, namespace: 'ns' };
    }
    return doc;
  };

  it('offers each event exactly the rules the routing rules give, with and without the prefilter', () => {
    fc.assert(
      fc.property(fc.array(docArb, { minLength: 1, maxLength: 6 }), (raws) => {
        for (const raw of raws) {
          const doc = build(raw);
          const label = JSON.stringify(doc);
          expect(ids(doc, withIndex), label).toEqual(reference(rules, doc, true));
          expect(ids(doc, without), label).toEqual(reference(rules, doc, false));
        }
      }),
      { numRuns: 3000 },
    );
  });
});
