// The normalizer builds documents only for kinds of event some consumer takes (event-demand.ts):
// what it asks about is exactly what the documents it builds hold in the kind's fields, and an
// event it does not build leaves everything else as it was (the process table, the other events'
// documents, their times).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FileEvent, RawEvent } from '../../src/collector/raw-event.js';
import { KIND_FIELDS, type KindDocument } from '../../src/normalize/ecs-event.js';
import { getField } from '../../src/rules/field.js';
import { reviveRaw } from '../support/raw-builders.js';
import { type FakeProc, fakeProcRoot, GOLDEN_DIR, HOST, makeNormalizer } from './harness.js';

type Doc = Record<string, unknown>;

interface Scenario {
  options?: { udpConnects?: boolean; alreadyRunning?: boolean };
  proc: FakeProc[];
  events: RawEvent[];
}

const cleanups: (() => void)[] = [];
afterAll(() => {
  for (const c of cleanups) c();
});

/** the document's values of the fields a kind fixes, as a nested document */
function kindFields(doc: Doc): Doc {
  const out: Doc = {};
  for (const path of KIND_FIELDS) {
    const v = getField(doc, path);
    if (v === null || v === undefined) continue;
    const [head, tail] = path.split('.') as [string, string];
    out[head] = { ...((out[head] as Doc | undefined) ?? {}), [tail]: v };
  }
  return out;
}

/** a file creation by the process of the first exec in the stream */
function fileEventAfter(events: RawEvent[]): FileEvent[] {
  const e = events.find((x) => x.kind === 'exec');
  if (e === undefined || e.kind !== 'exec') return [];
  return [
    {
      kind: 'file',
      action: 'creation',
      ktimeNs: e.ktimeNs + 1_000_000,
      pid: e.pid,
      tid: e.pid,
      startNs: e.startNs,
      comm: e.comm,
      path: '/etc/cron.d/job',
      mode: 0o100644,
      uid: 0,
      gid: 0,
      euid: 0,
      egid: 0,
    },
  ];
}

/** every golden scenario's stream run through a normalizer that builds the kinds `wants` takes */
async function run(name: string, wants: (k: KindDocument) => boolean) {
  const sc = JSON.parse(readFileSync(join(GOLDEN_DIR, `${name}.raw.json`), 'utf8'), reviveRaw) as Scenario;
  const proc = fakeProcRoot(sc.proc);
  cleanups.push(proc.cleanup);
  const h = makeNormalizer({
    procRoot: proc.root,
    udpConnects: sc.options?.udpConnects ?? false,
    alreadyRunning: sc.options?.alreadyRunning ?? true,
    host: { ...HOST, pidNs: 4026531836, mntNs: 4026531832 },
  });
  const asked: KindDocument[] = [];
  const notBuilt: { kind: KindDocument; ms: number }[] = [];
  h.n.setDemand((k) => {
    asked.push(k);
    return wants(k);
  });
  h.n.onNotBuilt((kind, ms) => notBuilt.push({ kind, ms }));
  await h.n.seedFromProc();
  h.push(...sc.events, ...fileEventAfter(sc.events));
  return { out: h.out, asked, notBuilt, stats: h.n.stats() };
}

/** a document without what numbers documents (event.id, event.sequence) */
function unnumbered(doc: Doc): Doc {
  const { id: _id, sequence: _sequence, ...event } = doc.event as Doc;
  return { ...JSON.parse(JSON.stringify(doc)), event };
}

const scenarios = readdirSync(GOLDEN_DIR)
  .filter((f) => f.endsWith('.raw.json'))
  .map((f) => f.replace(/\.raw\.json$/, ''))
  .sort();

describe('the normalizer builds only the kinds of event something takes', () => {
  it('asks about each event with exactly the kind fields its document then holds', async () => {
    let docs = 0;
    const actions = new Set<unknown>();
    for (const name of scenarios) {
      const { out, asked } = await run(name, () => true);
      expect(asked.length).toBe(out.length);
      for (const [i, e] of out.entries()) {
        const k = asked[i] as KindDocument;
        expect(kindFields(e.doc), `${name} #${i}`).toEqual(kindFields(k));
        // and the kind document holds nothing else
        expect(kindFields(k)).toEqual(JSON.parse(JSON.stringify(k)));
        expect(Object.isFrozen(k)).toBe(true);
        actions.add((e.doc.event as Doc).action);
        docs++;
      }
    }
    expect(docs).toBeGreaterThan(30);
    // every kind the golden streams make, plus the file creation added to each
    expect([...actions].sort()).toEqual(
      [
        'already_running',
        'connection_accepted',
        'connection_attempted',
        'creation',
        'disconnect_received',
        'end',
        'exec',
        'fork',
        'gid_change',
        'load_module',
        'session_id_change',
        'uid_change',
      ].sort(),
    );
  });

  it('asks once per kind and dataset with the same frozen document, so the answer can be remembered', async () => {
    const { asked } = await run('sshd-session', () => true);
    const byKey = new Map<string, KindDocument>();
    for (const k of asked) {
      const key = JSON.stringify(kindFields(k));
      expect(byKey.get(key) ?? k).toBe(k);
      byKey.set(key, k);
    }
    expect(byKey.size).toBeLessThan(asked.length);
  });

  for (const skipped of [
    ['fork', 'end'],
    ['exec', 'creation'],
    ['connection_attempted', 'already_running'],
  ]) {
    it(`left without ${skipped.join(' and ')} events, builds every other document as before, and reports the left ones with their times`, async () => {
      const wants = (k: KindDocument) => !skipped.includes((k.event as Doc).action as string);
      for (const name of scenarios) {
        const all = await run(name, () => true);
        const some = await run(name, wants);
        const kept = all.out.filter((e) => wants(kindFields(e.doc)));
        const left = all.out.filter((e) => !wants(kindFields(e.doc)));
        expect(some.out.map((e) => unnumbered(e.doc))).toEqual(kept.map((e) => unnumbered(e.doc)));
        expect(some.out.map((e) => e.timestamp)).toEqual(kept.map((e) => e.timestamp));
        expect(some.notBuilt.map((n) => [kindFields(n.kind), Math.floor(n.ms)])).toEqual(
          left.map((e) => [kindFields(e.doc), e.timestamp]),
        );
        expect(some.stats.notBuilt).toBe(left.length);
        expect(some.stats.emitted).toBe(kept.length);
      }
    });
  }

  it('builds everything when nothing was said (eqld events, replays, tests)', async () => {
    const sc = JSON.parse(
      readFileSync(join(GOLDEN_DIR, 'sshd-session.raw.json'), 'utf8'),
      reviveRaw,
    ) as Scenario;
    const proc = fakeProcRoot(sc.proc);
    cleanups.push(proc.cleanup);
    const h = makeNormalizer({ procRoot: proc.root });
    await h.n.seedFromProc();
    h.push(...sc.events);
    expect(h.n.stats().notBuilt).toBe(0);
    expect(h.out.length).toBeGreaterThan(5);
    expect(h.out.length).toBe(h.n.stats().emitted);
  });
});
