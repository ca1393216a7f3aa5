// The Detector with the bundled rules and the real EQL engine: tuning (enable/disable,
// exceptions, suppression, rate cap, building blocks) and reload keeping partial sequences.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { AlertRecord } from '../../src/alerts/alert-record.js';
import { Detector } from '../../src/alerts/detector.js';
import { normalizeTuning } from '../../src/alerts/tuning/config.js';
import { compileQuery, createMatcher } from '../../src/eql/index.js';
import type { EqlEvent } from '../../src/rules/engine.js';
import { type LoadedRule, loadRules } from '../../src/rules/load-rules.js';

const SSH = '63431796-f813-43af-820b-492ee2efec8e';
const ROOT = 'eb6a3790-d52d-11ec-8ce9-f661ea17fbce';
type Doc = Record<string, unknown>;
// biome-ignore lint/suspicious/noExplicitAny: tests poke into arbitrary ECS JSON
type Json = any;

const load = (): LoadedRule[] => loadRules(['rules'], { compile: compileQuery }).rules;
const fixture = (name: string): Doc[] =>
  readFileSync(`test/fixtures/replay/${name}.ndjson`, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Doc);

let seq = 0;
function ev(doc: Doc): EqlEvent {
  return { doc, timestamp: Date.parse(String(doc['@timestamp'])), sequence: ++seq };
}

/** the reverse-shell pair (connect then setsid as root) for another entity, shifted in time */
function rootPair(entity: string, offsetMs: number): EqlEvent[] {
  return fixture('root-netcon-fire-reverse-shell').map((d, i) => {
    const c = JSON.parse(JSON.stringify(d)) as Json;
    c.process.entity_id = entity;
    c.event.id = `${entity}-${offsetMs}-${i}`;
    c['@timestamp'] = new Date(Date.parse(c['@timestamp']) + offsetMs).toISOString();
    return ev(c);
  });
}

function make(tuning: unknown = undefined, rules = load()) {
  return new Detector(rules, normalizeTuning(tuning), {
    createMatcher: (cq) => createMatcher(cq),
    now: () => new Date(0),
  });
}

function feed(d: Detector, events: EqlEvent[]): AlertRecord[] {
  const out: AlertRecord[] = [];
  for (const e of events) {
    out.push(...d.advance(e.timestamp));
    out.push(...d.push(e));
  }
  return out;
}

describe('Detector', () => {
  it('alerts once per matched sequence with the bundled rules', () => {
    const d = make();
    const out = feed(d, fixture('ssh-netcon-fire-nc').map(ev));
    expect(out.map((r) => [r.type, r.rule.id])).toEqual([['alert', SSH]]);
    expect(d.stats().rules.find((r) => r.ruleId === SSH)?.alerts).toBe(1);
  });

  it('does not evaluate a disabled rule', () => {
    const d = make({ rules: { [SSH]: { enabled: false } } });
    expect(feed(d, fixture('ssh-netcon-fire-nc').map(ev))).toEqual([]);
    expect(d.stats().rules.map((r) => r.ruleId)).toEqual([ROOT]);
  });

  it('withholds events matching an exception item from that rule only', () => {
    const exceptions = [{ entries: [{ field: 'process.name', operator: 'is', value: 'nc' }] }];
    const d = make({ rules: { [SSH]: { exceptions } } });
    expect(feed(d, fixture('ssh-netcon-fire-nc').map(ev))).toEqual([]);
    expect(d.stats().rules.find((r) => r.ruleId === SSH)?.excepted).toBeGreaterThan(0);
    // an item whose entries do not all match does not except
    const partial = [
      {
        entries: [
          { field: 'process.name', operator: 'is', value: 'nc' },
          { field: 'user.id', operator: 'is', value: '0' },
        ],
      },
    ];
    expect(
      feed(make({ rules: { [SSH]: { exceptions: partial } } }), fixture('ssh-netcon-fire-nc').map(ev)),
    ).toHaveLength(1);
  });

  it('an exception on the first stage stops the sequence from starting', () => {
    const exceptions = [
      { entries: [{ field: 'process.parent.executable', operator: 'matches', value: '/usr/sbin/ssh*' }] },
    ];
    expect(feed(make({ rules: { [SSH]: { exceptions } } }), fixture('ssh-netcon-fire-nc').map(ev))).toEqual(
      [],
    );
  });

  it("applies the exception items of a rule's Kibana exception lists, and expires them on the detector's clock", () => {
    const withItems = (expiresAtMs?: number): LoadedRule[] =>
      load().map((r) =>
        r.rule.ruleId === SSH
          ? {
              ...r,
              exceptions: [
                {
                  entries: [
                    { type: 'match', field: 'destination.ip', operator: 'included', value: '1.1.1.0/24' },
                  ],
                  osTypes: ['linux'],
                  ...(expiresAtMs === undefined ? {} : { expiresAtMs }),
                },
              ],
            }
          : r,
      );
    const events = () => fixture('ssh-netcon-fire-nc').map(ev);
    expect(feed(make(undefined, withItems()), events())).toEqual([]);
    // the detector's clock is at 0 (1970): an item expiring in 2020 still applies, one expired at -1 does not
    expect(feed(make(undefined, withItems(Date.parse('2020-01-01T00:00:00Z'))), events())).toEqual([]);
    expect(feed(make(undefined, withItems(-1)), events())).toHaveLength(1);
    // the tuning file's exceptions add to the rule's own
    const tuning = {
      rules: { [ROOT]: { exceptions: [{ entries: [{ field: 'user.id', operator: 'is', value: '0' }] }] } },
    };
    expect(feed(make(tuning, withItems(-1)), events())).toHaveLength(1);
  });

  it('keeps a rule exported with enabled: false off unless the tuning file enables it', () => {
    const disabled = load().map((r) =>
      r.rule.ruleId === SSH ? { ...r, rule: { ...r.rule, enabled: false } } : r,
    );
    expect(feed(make(undefined, disabled), fixture('ssh-netcon-fire-nc').map(ev))).toEqual([]);
    const on = make({ rules: { [SSH]: { enabled: true } } }, disabled);
    expect(feed(on, fixture('ssh-netcon-fire-nc').map(ev)).map((r) => r.rule.id)).toEqual([SSH]);
  });

  it('suppresses duplicates by rule + entity and reports the count when the window closes', () => {
    const d = make({ defaults: { suppression: { windowMs: 60_000 } } });
    const events = [
      ...rootPair('E1', 0),
      ...rootPair('E1', 5_000),
      ...rootPair('E1', 10_000),
      ...rootPair('E2', 12_000),
    ];
    const out = feed(d, events);
    expect(out.map((r) => [r.type, r.entityIds[0]])).toEqual([
      ['alert', 'E1'],
      ['alert', 'E2'],
    ]);
    // the follow-up is due when the window opened by the first setsid (12:00:02) closes
    expect(d.nextDeadlineMs()).toBe(Date.parse('2026-11-24T12:01:02.000Z'));
    expect(d.advance(Date.parse('2026-11-24T12:01:01.000Z'))).toEqual([]);
    const follow = d.advance(Date.parse('2026-11-24T12:01:02.000Z'));
    expect(follow).toHaveLength(1);
    expect(follow[0]).toMatchObject({ type: 'suppressed', suppressedCount: 2, rule: { id: ROOT } });
    expect((follow[0] as Json).document.kibana.alert.suppression).toMatchObject({
      docs_count: 2,
      terms: [{ field: 'process.entity_id', value: 'E1' }],
    });
    expect(follow[0]?.summary).toMatch(/suppressed 2 duplicate alerts/);
    expect(d.advance(Date.parse('2026-11-24T13:00:00.000Z'))).toEqual([]);
    expect(d.nextDeadlineMs()).toBe(Number.POSITIVE_INFINITY);
  });

  it('caps a noisy rule with a token bucket, counts what it held back, and leaves other rules alone', () => {
    const d = make({ defaults: { rateCap: { burst: 2, perMinute: 1 } } });
    const flood = Array.from({ length: 6 }, (_, i) => rootPair(`N${i}`, i * 100)).flat();
    const out = feed(d, [
      ...flood,
      ...fixture('ssh-netcon-fire-nc').map((doc) => ev({ ...doc, '@timestamp': '2026-11-24T12:00:03.000Z' })),
    ]);
    expect(out.filter((r) => r.rule.id === ROOT)).toHaveLength(2);
    expect(out.filter((r) => r.rule.id === SSH)).toHaveLength(1);
    const follow = d.flush();
    expect(follow).toHaveLength(1);
    expect(follow[0]).toMatchObject({ type: 'suppressed', suppressedCount: 4, rule: { id: ROOT } });
    expect((follow[0] as Json).document.eqld.suppression.reason).toBe('rate_cap');
  });

  it('flags building-block alerts so syslog skips them unless configured', () => {
    const rules = load().map((r) =>
      r.rule.ruleId === ROOT ? { ...r, rule: { ...r.rule, buildingBlockType: 'default' } } : r,
    );
    const quiet = feed(make(undefined, rules), rootPair('B1', 0));
    expect(quiet).toHaveLength(1);
    expect(quiet[0]).toMatchObject({ skipSyslog: true, rule: { buildingBlock: true } });
    const loud = feed(make({ sendBuildingBlocksToSyslog: true }, rules), rootPair('B2', 0));
    expect(loud[0]?.skipSyslog).toBeUndefined();
  });

  it('reload keeps the partial sequences of unchanged rules and resets changed ones', () => {
    const [connect, setsid] = rootPair('R1', 0) as [EqlEvent, EqlEvent];
    const kept = make();
    feed(kept, [connect]);
    kept.reload(load());
    expect(feed(kept, [setsid]).map((r) => r.rule.id)).toEqual([ROOT]);

    const changed = make();
    feed(changed, [connect]);
    changed.reload(
      load().map((r) =>
        r.rule.ruleId === ROOT
          ? {
              ...r,
              rule: { ...r.rule, query: r.rule.query.replace('maxspan=1m', 'maxspan=2m') },
              compiled: compileQuery(r.rule.query.replace('maxspan=1m', 'maxspan=2m')),
            }
          : r,
      ),
    );
    expect(feed(changed, [setsid])).toEqual([]);
  });

  it('raises a sequence that ends in a missing-event window when event time passes it, without a further event', () => {
    const root = load().find((r) => r.rule.ruleId === ROOT) as LoadedRule;
    // a connect by root that is NOT followed by any other network event within 5 s
    const query =
      'sequence by process.entity_id with maxspan=5s [network where event.action == "connection_attempted" and user.id == "0"] ![network where event.action == "connection_attempted" and user.id == "0"]';
    const quiet: LoadedRule = { ...root, rule: { ...root.rule, query }, compiled: compileQuery(query) };
    const d = make(undefined, [quiet]);
    const [connect] = rootPair('M1', 0) as [EqlEvent];
    expect(d.nextDeadlineMs()).toBe(Number.POSITIVE_INFINITY);
    expect(d.push(connect)).toEqual([]);
    expect(d.nextDeadlineMs()).toBe(connect.timestamp + 5000);
    expect(d.advance(connect.timestamp + 5000)).toEqual([]);
    const raised = d.advance(connect.timestamp + 5001);
    expect(raised.map((r) => r.entityIds)).toEqual([['M1']]);
    // the missing stage is listed, marked missing, with no event data
    expect(
      ((raised[0] as AlertRecord).document as Json).eqld.matched_events.map(
        (e: Json) => e.missing ?? e.event.id,
      ),
    ).toEqual(['M1-0-0', true]);

    const atEnd = make(undefined, [quiet]);
    atEnd.push(rootPair('M2', 0)[0] as EqlEvent);
    expect(atEnd.flush().map((r) => r.entityIds)).toEqual([['M2']]);
  });

  it('emits the held-back count of a rule removed by reload', () => {
    const d = make();
    feed(d, [...rootPair('X', 0), ...rootPair('X', 1000)]);
    d.reload(load().filter((r) => r.rule.ruleId !== ROOT));
    expect(d.advance(0).map((r) => [r.type, r.suppressedCount])).toEqual([['suppressed', 1]]);
  });
});
