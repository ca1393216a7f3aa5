// The rule set's conjunctive routing (clause-index.ts): an event goes to a rule only when it passes
// every literal conjunct of some part (event query, stage, `until`); conjuncts without a literal
// condition (not, functions, optional fields, regex) never withhold an event.
import { describe, expect, it } from 'vitest';
import { eqlEngine } from './engine.js';
import type { LoadedRule } from './load-rules.js';
import type { Rule } from './rule.js';
import { RuleSet } from './rule-set.js';

function eqlRule(id: string, query: string): LoadedRule {
  const r = { ruleId: id, index: ['logs-endpoint.events.*'], query } as unknown as Rule;
  return { rule: r, compiled: eqlEngine.compileQuery(query), inactiveNeeds: [] };
}

const proc = (fields: Record<string, unknown>, action = 'exec') => ({
  event: { category: ['process'], type: ['start'], action },
  ...fields,
});
const net = (fields: Record<string, unknown>, action = 'connection_attempted') => ({
  event: { category: ['network'], type: ['start'], action },
  ...fields,
});

describe('RuleSet conjunctive index', () => {
  const rules = [
    eqlRule(
      'all',
      'process where event.type == "start" and event.action == "exec" and process.name == "nc" and process.parent.name : "Bash"',
    ),
    eqlRule(
      'mixed',
      'process where process.name in ("curl", "wget") and not process.args == "-h" and length(process.name) > 2 and ?process.title == "x" and process.executable like~ "/TMP/*"',
    ),
    eqlRule('alt', 'process where (process.name == "sh" and user.id == "0") or process.name == "dash"'),
    eqlRule(
      'seq',
      'sequence by process.entity_id [process where event.action == "exec" and process.name == "python3"] [network where event.action == "connection_attempted" and destination.port == 4444] until [process where event.action == "end" and process.name == "python3"]',
    ),
    eqlRule(
      'scan',
      'process where process.name == "perl" and process.command_line : "*socket*" and process.args == "-e"',
    ),
  ];
  const set = new RuleSet(rules);
  const ids = (doc: Record<string, unknown>) => set.candidates(doc).map((r) => r.rule.ruleId);

  it('offers an event that passes every literal conjunct of the query', () => {
    const doc = proc({ process: { name: 'nc', parent: { name: 'BASH' } } });
    expect(ids(doc)).toEqual(['all']);
    // and the rule does match it
    expect(
      eqlEngine
        .createMatcher(rules[0]?.compiled as LoadedRule['compiled'])
        .push({ doc, timestamp: 1, sequence: 1 }),
    ).toHaveLength(1);
  });

  it('withholds an event that fails any one literal conjunct, or lacks its field', () => {
    const parent = { name: 'bash' };
    expect(ids(proc({ process: { name: 'nc', parent } }, 'fork'))).toEqual([]);
    expect(ids(proc({ process: { name: 'nc', parent: { name: 'zsh' } } }))).toEqual([]);
    expect(ids(proc({ process: { name: 'nc' } }))).toEqual([]);
    expect(
      ids({ event: { category: ['process'], action: 'exec' }, process: { name: 'nc', parent } }),
    ).toEqual([]);
  });

  it('passes a conjunct on any value of a multi-valued field, case-insensitively for : and ~', () => {
    const doc = proc({ process: { name: ['x', 'nc'], parent: { name: ['zsh', 'bAsH'] } } });
    expect(ids(doc)).toEqual(['all']);
    expect(ids(proc({ process: { name: 'curl', executable: '/tmp/CURL' } }))).toEqual(['mixed']);
    expect(ids(proc({ process: { name: 'curl', executable: ['/usr/bin/curl', '/Tmp/x'] } }))).toEqual([
      'mixed',
    ]);
    expect(ids(proc({ process: { name: 'curl', executable: '/usr/bin/curl' } }))).toEqual([]);
    // `like` (case-sensitive) never widens to another case
    expect(ids(proc({ process: { name: 'Curl', executable: '/tmp/curl' } }))).toEqual([]);
  });

  it('never withholds an event for a not, a function, an optional field or a regex', () => {
    // not process.args == "-h", length(), ?process.title: the event fails them all, and is still offered
    const doc = proc({ process: { name: 'wget', args: ['-h'], executable: '/tmp/wget' } });
    expect(ids(doc)).toEqual(['mixed']);
  });

  it('offers an or when either side passes all of its own conjuncts', () => {
    expect(ids(proc({ process: { name: 'dash' } }))).toEqual(['alt']);
    expect(ids(proc({ process: { name: 'sh' }, user: { id: '0' } }))).toEqual(['alt']);
    // the or as a whole is one condition: process.name in (sh, dash); user.id is inside one side
    expect(ids(proc({ process: { name: 'sh' }, user: { id: '1000' } }))).toEqual(['alt']);
    expect(ids(proc({ process: { name: 'bash' }, user: { id: '0' } }))).toEqual([]);
  });

  it('offers a sequence the events that pass every conjunct of one stage or of until', () => {
    const py = { process: { name: 'python3', entity_id: 'e1' } };
    expect(ids(proc(py))).toEqual(['seq']);
    expect(ids(proc(py, 'end'))).toEqual(['seq']);
    expect(ids(proc(py, 'fork'))).toEqual([]);
    expect(ids(net({ ...py, destination: { port: 4444 } }))).toEqual(['seq']);
    expect(ids(net({ ...py, destination: { port: '4444' } }))).toEqual(['seq']);
    expect(ids(net({ ...py, destination: { port: 22 } }))).toEqual([]);
    // a network event passing a process stage's conjuncts is not that stage's event
    expect(ids(net({ ...py, destination: { port: 22 } }, 'exec'))).toEqual([]);
  });

  it('checks a literal-run conjunct only as the narrowest one: otherwise it never withholds', () => {
    // process.name is narrower than the command line scan: the scan is not checked, args is
    expect(ids(proc({ process: { name: 'perl', command_line: 'perl -e 1', args: ['perl', '-e'] } }))).toEqual(
      ['scan'],
    );
    expect(ids(proc({ process: { name: 'perl', command_line: 'perl -e 1', args: ['perl', '-x'] } }))).toEqual(
      [],
    );
  });

  it('routes the same with a conjunct shared by several rules as with each alone', () => {
    for (const r of rules) {
      const alone = new RuleSet([r]);
      for (const doc of [
        proc({ process: { name: 'nc', parent: { name: 'bash' } } }),
        proc({ process: { name: 'python3' } }, 'end'),
        proc({ process: { name: 'sh' }, user: { id: '0' } }),
      ])
        expect(alone.candidates(doc).map((x) => x.rule.ruleId)).toEqual(
          ids(doc).filter((id) => id === r.rule.ruleId),
        );
    }
  });
});
