// Golden alert documents and summaries built from the replay fixtures' events.
// Update the golden files with: UPDATE_GOLDEN=1 npx vitest run test/alerts
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildAlert } from '../../src/alerts/alert-document.js';
import { parseRuleFile } from '../../src/rules/parse-rule-file.js';

// biome-ignore lint/suspicious/noExplicitAny: the tests read arbitrary alert JSON
type Json = any;

const UPDATE = process.env.UPDATE_GOLDEN === '1';
const NOW = new Date('2026-11-24T12:00:05.000Z');

const events = (name: string) =>
  readFileSync(`test/fixtures/replay/${name}.ndjson`, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
const rule = (file: string) => parseRuleFile(readFileSync(`rules/${file}`, 'utf8'), `rules/${file}`);
const sshRule = rule('persistence_ssh_netcon.toml');
const rootRule = rule('command_and_control_connection_attempt_by_non_ssh_root_session.toml');

function golden(name: string, value: unknown): void {
  const path = `test/alerts/golden/${name}.json`;
  const text = `${JSON.stringify(value, null, 2)}\n`;
  if (UPDATE || !existsSync(path)) {
    if (!UPDATE) throw new Error(`golden file ${path} missing; run with UPDATE_GOLDEN=1 to create it`);
    writeFileSync(path, text);
  }
  expect(text).toBe(readFileSync(path, 'utf8'));
}

describe('alert document', () => {
  const nc = events('ssh-netcon-fire-nc');
  const matched = [nc[0], nc[2]] as Record<string, unknown>[];

  it('matches the golden document for the SSHD child rule', () => {
    golden(
      'ssh-netcon-nc',
      buildAlert({
        rule: sshRule,
        events: matched,
        joinKeys: ['0f6c1a3e5b7d4c2a9e8f7a6b5c4d3e2f'],
        now: NOW,
      }),
    );
  });

  it('carries process.Ext.ancestry and eqld.lineage from the process table when given one', () => {
    const sshd = {
      pid: 4200,
      entity_id: 'c3NoZC00MjAw',
      name: 'sshd',
      executable: '/usr/sbin/sshd',
      args: ['sshd: alice [priv]'],
      command_line: 'sshd: alice [priv]',
      start: '2026-11-24T11:59:00.000Z',
      user: { id: '0', name: 'root' },
    };
    const bash = {
      pid: 4240,
      entity_id: 'N2E0ZTJmMWMtNmIxZC00ZjBlLTljMWEtMmIzYzRkNWU2ZjcwLTQyNDAtMTM0MDAwMDAwMDAuMTA=',
      name: 'bash',
      executable: '/bin/bash',
      args: ['-bash'],
      command_line: '-bash',
      start: '2026-11-24T11:59:59.000Z',
      user: { id: '1000', name: 'alice' },
    };
    const init = { pid: 1, entity_id: 'aW5pdC0x', name: 'systemd', executable: '/usr/lib/systemd/systemd' };
    const table: Record<string, Record<string, unknown>[]> = {
      [bash.entity_id]: [sshd, init],
      [String((matched[1] as Json).process.entity_id)]: [bash, sshd, init],
    };
    const rec = buildAlert({
      rule: sshRule,
      events: matched,
      joinKeys: ['0f6c1a3e5b7d4c2a9e8f7a6b5c4d3e2f'],
      now: NOW,
      ancestry: (id) => table[id] ?? [],
    });
    golden('ssh-netcon-nc-lineage', rec.document.eqld);
    const d = rec.document as Json;
    expect(d.process.Ext.ancestry).toEqual([bash.entity_id, sshd.entity_id, init.entity_id]);
    expect(d.process.entity_id).toBe((matched[1] as Json).process.entity_id);
    // the matched events themselves are not changed
    expect((matched[1] as Json).process.Ext).toBeUndefined();
  });

  it('matches the golden document for the root connection rule', () => {
    golden(
      'root-netcon-reverse-shell',
      buildAlert({ rule: rootRule, events: events('root-netcon-fire-reverse-shell'), now: NOW }),
    );
  });

  it('lists a missing-event stage as {"missing": true} in stage order, with no event data (golden)', () => {
    const events = nc.slice(0, 2) as Record<string, unknown>[];
    const rule = {
      ...sshRule,
      query:
        'sequence by process.entity_id with maxspan=1m [process where event.type == "start"] ' +
        '![process where event.type == "end"] [network where true] ![process where event.type == "end"]',
    };
    const rec = buildAlert({
      rule,
      events,
      stages: [events[0] ?? null, null, events[1] ?? null, null],
      now: NOW,
    });
    const d = rec.document as Record<string, Json>;
    expect(d.eqld.matched_events.map((e: Json) => e.missing ?? e.event.id)).toEqual([
      'evt-0001',
      true,
      'evt-0002',
      true,
    ]);
    // the summary, ancestors and id name the events found only
    expect(d.kibana.alert.ancestors).toHaveLength(2);
    expect(rec.id).toBe(buildAlert({ rule, events, now: NOW }).id);
    golden('ssh-netcon-missing-stages', rec);
  });

  it('names every matched event in the summary, folding the sshd child into "child of"', () => {
    const rec = buildAlert({ rule: sshRule, events: matched, now: NOW });
    expect(rec.summary).toBe(
      'Network Connection Initiated by Suspicious SSHD Child Process: /usr/bin/nc (pid 4242, child of /bin/bash pid 4240 from sshd) -> 1.1.1.1:443',
    );
    const root = buildAlert({ rule: rootRule, events: events('root-netcon-fire-reverse-shell'), now: NOW });
    expect(root.summary).toBe(
      'Suspicious Network Connection Attempt by Root: /tmp/rev (pid 5100) -> 1.1.1.1:4444; then session_id_change',
    );
  });

  it('carries Kibana and ECS fields, the acting process of the last event and every matched event in order', () => {
    const d = buildAlert({ rule: sshRule, events: matched, now: NOW }).document as Record<string, Json>;
    expect(d['@timestamp']).toBe('2026-11-24T12:00:05.000Z');
    expect(d.event.kind).toBe('alert');
    expect(d.rule).toMatchObject({
      id: sshRule.ruleId,
      name: sshRule.name,
      reference: 'https://hadess.io/the-art-of-linux-persistence/',
    });
    expect(d.rule.version).toBeUndefined();
    expect(d.kibana.alert).toMatchObject({
      severity: 'medium',
      risk_score: 47,
      original_time: '2026-11-24T12:00:00.300Z',
    });
    expect(d.kibana.alert.rule.rule_id).toBe(sshRule.ruleId);
    expect(d.threat.tactic.id).toEqual(['TA0003', 'TA0008', 'TA0011']);
    expect(d.process.executable).toBe('/usr/bin/nc');
    expect(d.host.id).toBe('0f6c1a3e5b7d4c2a9e8f7a6b5c4d3e2f');
    expect(d.eqld.matched_events.map((e: Json) => e.event.id)).toEqual(['evt-0001', 'evt-0003']);
  });

  it('gives the same id to the same detection and a different id to other events', () => {
    const a = buildAlert({ rule: sshRule, events: matched, now: NOW });
    const b = buildAlert({ rule: sshRule, events: JSON.parse(JSON.stringify(matched)), now: new Date() });
    expect(b.id).toBe(a.id);
    expect(a.id).toMatch(/^[0-9a-f]{64}$/);
    expect(
      buildAlert({ rule: sshRule, events: [nc[0], nc[1]] as Record<string, unknown>[], now: NOW }).id,
    ).not.toBe(a.id);
  });

  it('puts the version in rule.version only when a version lock gave one', () => {
    const d = buildAlert({ rule: { ...sshRule, version: 9 }, events: matched, now: NOW }).document as Record<
      string,
      Json
    >;
    expect(d.rule.version).toBe('9');
    expect(d.kibana.alert.rule.version).toBe('9');
  });

  it('neutralizes hostile strings so the summary stays one line', () => {
    const hostile = JSON.parse(JSON.stringify(matched)) as Json[];
    hostile[1].process.executable = '/tmp/x\nFAKE: eqld alert\r\u001b[2J';
    const rec = buildAlert({ rule: sshRule, events: hostile, now: NOW });
    expect(rec.summary).not.toMatch(/[\n\r\u001b]/);
    expect(rec.summary).toContain('/tmp/x\\nFAKE: eqld alert\\r\\x1b[2J');
    expect((rec.document as Json).process.executable).toBe('/tmp/x\nFAKE: eqld alert\r\u001b[2J');
  });

  it('flags building-block rules on the record and keeps the MSGID code short', () => {
    const rec = buildAlert({ rule: { ...sshRule, buildingBlockType: 'default' }, events: matched, now: NOW });
    expect(rec.rule.buildingBlock).toBe(true);
    expect(rec.rule.code).toBe('persistence_ssh_netcon');
    expect(buildAlert({ rule: rootRule, events: matched, now: NOW }).rule.code.length).toBeLessThanOrEqual(
      32,
    );
  });
});
