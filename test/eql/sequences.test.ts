// Sequence, sample and pipe semantics on streams: table-like cases for Elasticsearch's sequence
// state machine (eql-syntax "How sequence queries handle matches"), ordering, maxspan bounds,
// join keys (null, optional, multi-valued), until, runs, missing events and out-of-order input.
import { describe, expect, it } from 'vitest';
import {
  compileQuery,
  createMatcher,
  type EqlEvent,
  type Match,
  PartialBudget,
} from '../../src/eql/index.js';
import { type Doc, events, ids, runAll } from './support.js';

const byIds = (ms: Match[]) => ms.map((m) => m.events.map((e) => e.doc.id));

describe('sequence matching', () => {
  it('follows the state machine of the Elasticsearch documentation example', () => {
    const users = [
      'root',
      'root',
      'elkbee',
      'root',
      'root',
      'elkbee',
      'root',
      'elkbee',
      'root',
      'elkbee',
      'root',
    ];
    const names = [
      'attrib',
      'attrib',
      'bash',
      'bash',
      'bash',
      'attrib',
      'attrib',
      'bash',
      'cat',
      'cat',
      'cat',
    ];
    const docs = users.map((u, i) => ({ id: i + 1, user: { name: u }, process: { name: names[i] } }));
    const q = `sequence by user.name
      [process where process.name == "attrib"]
      [process where process.name == "bash"]
      [process where process.name == "cat"]`;
    const ms = runAll(q, events(docs));
    expect(byIds(ms)).toEqual([
      [2, 4, 9],
      [6, 8, 10],
    ]);
    expect(ms.map((m) => m.joinKeys)).toEqual([['root'], ['elkbee']]);
  });

  it('advances the latest pending sequence and discards the older ones of that stage and key', () => {
    const docs = [
      { id: 1, k: 'a', s: 'A' },
      { id: 2, k: 'a', s: 'A' },
      { id: 3, k: 'a', s: 'B' },
      { id: 4, k: 'a', s: 'B' },
    ];
    expect(ids('sequence by k [process where s == "A"] [process where s == "B"]', docs)).toEqual([[2, 3]]);
  });

  it('orders events by @timestamp, then event.sequence', () => {
    const q = 'sequence [process where s == "A"] [process where s == "B"]';
    const m = createMatcher(compileQuery(q));
    const mk = (id: number, s: string, t: number, seq: number): EqlEvent => ({
      doc: { id, s, event: { category: 'process' } },
      timestamp: t,
      sequence: seq,
    });
    // same timestamp: the tiebreaker decides; B at the same timestamp but a lower sequence comes first
    expect(m.push(mk(1, 'A', 5, 2))).toEqual([]);
    expect(m.push(mk(2, 'B', 5, 3)).map((x) => x.events.map((e) => e.doc.id))).toEqual([[1, 2]]);
    const m2 = createMatcher(compileQuery(q));
    m2.push(mk(1, 'A', 5, 2));
    // equal in both: the one that came first is first, as Elasticsearch's implicit tiebreaker
    // (the shard doc order, Ordinal.implicitTiebreaker) never leaves two events on one ordinal
    expect(m2.push(mk(2, 'B', 5, 2)).map((x) => x.events.map((e) => e.doc.id))).toEqual([[1, 2]]);
  });

  it('one event may end one sequence and start another', () => {
    const docs = [{ id: 1 }, { id: 2 }, { id: 3 }];
    expect(ids('sequence [process where true] [process where true]', docs)).toEqual([
      [1, 2],
      [2, 3],
    ]);
  });

  it('treats maxspan as inclusive: a gap of exactly maxspan matches, one ms more does not', () => {
    const q = 'sequence with maxspan=1s [process where s == "A"] [process where s == "B"]';
    expect(
      ids(q, [
        { id: 1, s: 'A', t: 0 },
        { id: 2, s: 'B', t: 1000 },
      ]),
    ).toEqual([[1, 2]]);
    expect(
      ids(q, [
        { id: 1, s: 'A', t: 0 },
        { id: 2, s: 'B', t: 1001 },
      ]),
    ).toEqual([]);
  });

  it('drops a partial that fails maxspan (it is consumed, not kept)', () => {
    const q =
      'sequence with maxspan=1s [process where s == "A"] [process where s == "B"] [process where s == "C"]';
    const docs = [
      { id: 1, s: 'A', t: 0 },
      { id: 2, s: 'B', t: 2000 },
      { id: 3, s: 'A', t: 2100 },
      { id: 4, s: 'B', t: 2200 },
      { id: 5, s: 'C', t: 2300 },
    ];
    expect(ids(q, docs)).toEqual([[3, 4, 5]]);
  });

  it('uses per-stage join keys in different fields', () => {
    const q = `sequence by host.id
      [process where s == "A"] by process.entity_id
      [network where true] by process.parent.entity_id`;
    const docs: Doc[] = [
      { id: 1, s: 'A', host: { id: 'h' }, process: { entity_id: 'p1' } },
      { id: 2, host: { id: 'h' }, process: { parent: { entity_id: 'p2' } }, event: { category: 'network' } },
      { id: 3, host: { id: 'h' }, process: { parent: { entity_id: 'p1' } }, event: { category: 'network' } },
    ];
    const ms = runAll(q, events(docs));
    expect(byIds(ms)).toEqual([[1, 3]]);
    expect(ms[0]?.joinKeys).toEqual(['h', 'p1']);
  });

  it('never joins on a null non-optional key; an ?optional key joins with null', () => {
    const docs = [
      { id: 1, s: 'A' },
      { id: 2, s: 'B' },
    ];
    expect(ids('sequence by user.id [process where s == "A"] [process where s == "B"]', docs)).toEqual([]);
    const ms = runAll('sequence by ?user.id [process where s == "A"] [process where s == "B"]', events(docs));
    expect(byIds(ms)).toEqual([[1, 2]]);
    expect(ms[0]?.joinKeys).toEqual([null]);
  });

  it('fans a multi-valued join key out into one partial sequence per value', () => {
    const q = 'sequence [process where s == "A"] by process.args [process where s == "B"] by process.args';
    const one = runAll(
      q,
      events([
        { id: 1, s: 'A', process: { args: ['x', 'y'] } },
        { id: 2, s: 'B', process: { args: ['y', 'z'] } },
      ]),
    );
    expect(one.map((m) => [m.joinKeys, m.events.map((e) => e.doc.id)])).toEqual([[['y'], [1, 2]]]);
    const two = runAll(
      q,
      events([
        { id: 1, s: 'A', process: { args: ['x', 'y'] } },
        { id: 2, s: 'B', process: { args: ['x', 'y'] } },
      ]),
    );
    expect(two.map((m) => m.joinKeys)).toEqual([['x'], ['y']]);
  });

  it('until expires pending sequences between their events, not after', () => {
    const q =
      'sequence by k [process where s == "A"] [process where s == "B"] until [process where s == "C"]';
    expect(
      ids(q, [
        { id: 1, k: 1, s: 'A' },
        { id: 2, k: 1, s: 'B' },
      ]),
    ).toEqual([[1, 2]]);
    expect(
      ids(q, [
        { id: 1, k: 1, s: 'A' },
        { id: 2, k: 1, s: 'B' },
        { id: 3, k: 1, s: 'C' },
      ]),
    ).toEqual([[1, 2]]);
    expect(
      ids(q, [
        { id: 1, k: 1, s: 'A' },
        { id: 2, k: 1, s: 'C' },
        { id: 3, k: 1, s: 'B' },
      ]),
    ).toEqual([]);
    // an until event of another key changes nothing
    expect(
      ids(q, [
        { id: 1, k: 1, s: 'A' },
        { id: 2, k: 2, s: 'C' },
        { id: 3, k: 1, s: 'B' },
      ]),
    ).toEqual([[1, 3]]);
  });

  it('with runs=N repeats a stage N times', () => {
    const docs = [1, 2, 3, 4, 5].map((id) => ({ id, s: 'A' }));
    expect(ids('sequence [process where s == "A"] with runs=3', docs)).toEqual([
      [1, 2, 3],
      [2, 3, 4],
      [3, 4, 5],
    ]);
    expect(
      ids('sequence [process where s == "B"] [process where s == "A"] with runs=2', [
        { id: 0, s: 'B' },
        ...docs,
      ]),
    ).toEqual([[0, 1, 2]]);
  });

  it('rejects a sequence when a missing-event stage occurs between its events', () => {
    const q =
      'sequence by k with maxspan=10s [process where s == "A"] ![process where s == "C"] [process where s == "B"]';
    expect(
      ids(q, [
        { id: 1, k: 1, s: 'A' },
        { id: 2, k: 1, s: 'B' },
      ]),
    ).toEqual([[1, 2]]);
    expect(
      ids(q, [
        { id: 1, k: 1, s: 'A' },
        { id: 2, k: 1, s: 'C' },
        { id: 3, k: 1, s: 'B' },
      ]),
    ).toEqual([]);
    expect(
      ids(q, [
        { id: 1, k: 1, s: 'A' },
        { id: 2, k: 2, s: 'C' },
        { id: 3, k: 1, s: 'B' },
      ]),
    ).toEqual([[1, 3]]);
  });

  it('checks a leading missing-event stage within maxspan before the sequence', () => {
    const q =
      'sequence by k with maxspan=1s ![process where s == "C"] [process where s == "A"] [process where s == "B"]';
    const near = [
      { id: 1, k: 1, s: 'C', t: 500 },
      { id: 2, k: 1, s: 'A', t: 1000 },
      { id: 3, k: 1, s: 'B', t: 1200 },
    ];
    expect(ids(q, near)).toEqual([]);
    expect(
      ids(
        q,
        near.map((d) => (d.id === 1 ? { ...d, t: 100 } : d)),
      ),
    ).toEqual([[2, 3]]);
  });

  it('holds a sequence with a trailing missing-event stage until its window closes', () => {
    const q = 'sequence by k with maxspan=1s [process where s == "A"] ![process where s == "C"]';
    const m = createMatcher(compileQuery(q));
    const ev = (id: number, s: string, t: number): EqlEvent => ({
      doc: { id, k: 1, s, event: { category: 'process' } },
      timestamp: t,
      sequence: id,
    });
    expect(m.push(ev(1, 'A', 0))).toEqual([]);
    expect(m.stats().awaitingMissing).toBe(1);
    expect(m.advance(1000)).toEqual([]); // the window (0, 1000] is still open at 1000
    expect(m.push(ev(2, 'X', 1000))).toEqual([]);
    // the window closes on the watermark alone: no further event is needed to release the match
    expect(m.advance(1001).map((x) => x.events.map((e) => e.doc.id))).toEqual([[1]]);
    expect(m.push(ev(3, 'X', 1001))).toEqual([]);
    // and a C inside the window rejects it
    const m2 = createMatcher(compileQuery(q));
    m2.push(ev(1, 'A', 0));
    m2.push(ev(2, 'C', 1000));
    expect(m2.flush()).toEqual([]);
    expect(m2.stats().rejectedMissing).toBe(1);
  });

  /** a sequence closed by a trailing missing-event window, and its events (keyed by k) */
  const trailingQuery = 'sequence by k with maxspan=1s [process where s == "A"] ![process where s == "C"]';
  const keyed = (id: number, k: number, s: string, t: number): EqlEvent => ({
    doc: { id, k, s, event: { category: 'process' } },
    timestamp: t,
    sequence: id,
  });

  it('names the event time at which a waiting sequence is due, so a quiet host can sleep until then', () => {
    const q = trailingQuery;
    const ev = keyed;
    const m = createMatcher(compileQuery(q));
    expect(m.nextDeadlineMs()).toBe(Number.POSITIVE_INFINITY);
    m.push(ev(1, 1, 'A', 300));
    m.push(ev(2, 2, 'A', 100));
    expect(m.nextDeadlineMs()).toBe(1100);
    // nothing before the deadline, the match just past it
    expect(m.advance(1100)).toEqual([]);
    expect(byIds(m.advance(m.nextDeadlineMs() + 1))).toEqual([[2]]);
    expect(m.nextDeadlineMs()).toBe(1300);
    expect(byIds(m.advance(1301))).toEqual([[1]]);
    expect(m.nextDeadlineMs()).toBe(Number.POSITIVE_INFINITY);
    // partials that can only expire (no missing stage) and plain event queries wait on nothing
    const plain = createMatcher(
      compileQuery('sequence with maxspan=1s [process where s == "A"] [process where s == "B"]'),
    );
    plain.push(ev(1, 1, 'A', 0));
    expect(plain.nextDeadlineMs()).toBe(Number.POSITIVE_INFINITY);
    expect(createMatcher(compileQuery('process where true')).nextDeadlineMs()).toBe(Number.POSITIVE_INFINITY);
    // events held for reordering are due at their own time
    const held = createMatcher(compileQuery('process where s == "A"'), { reorderWindowMs: 500 });
    held.push(ev(1, 1, 'A', 700));
    held.push(ev(2, 1, 'A', 650));
    expect(held.nextDeadlineMs()).toBe(650);
  });

  it('releases waiting sequences by deadline, in creation order, and keeps them under the cap', () => {
    const q = trailingQuery;
    const ev = keyed;
    const m = createMatcher(compileQuery(q));
    // deadlines 1300, 1100, 1200: released as the watermark passes each
    m.push(ev(1, 1, 'A', 300));
    m.push(ev(2, 2, 'A', 100));
    m.push(ev(3, 3, 'A', 200));
    expect(byIds(m.advance(1150))).toEqual([[2]]);
    expect(byIds(m.advance(1250))).toEqual([[3]]);
    expect(m.stats().awaitingMissing).toBe(1);
    // two released by one watermark come in the order they completed
    const m1 = createMatcher(compileQuery(q));
    m1.push(ev(1, 1, 'A', 300));
    m1.push(ev(2, 2, 'A', 100));
    expect(byIds(m1.advance(2000))).toEqual([[1], [2]]);
    // over the cap, the oldest waiting sequence is dropped
    const capped = createMatcher(compileQuery(q), { maxPartials: 2 });
    for (let i = 1; i <= 3; i++) capped.push(ev(i, i, 'A', i));
    expect(capped.stats()).toMatchObject({ awaitingMissing: 2, evictedOldest: 1 });
    expect(byIds(capped.flush())).toEqual([[2], [3]]);
    expect(capped.stats()).toMatchObject({ awaitingMissing: 0, keys: 0 });
  });

  it('releases out-of-order arrivals in order within the reorder window', () => {
    const q = 'sequence [process where s == "A"] [process where s == "B"]';
    const late = events([
      { id: 2, s: 'B', t: 20, seq: 2 },
      { id: 1, s: 'A', t: 10, seq: 1 },
    ]);
    expect(byIds(runAll(q, late))).toEqual([]);
    const m = createMatcher(compileQuery(q));
    expect(m.push(late[0] as EqlEvent)).toEqual([]);
    expect(m.stats().outOfOrder).toBe(0);
    const plain = createMatcher(compileQuery(q));
    plain.push(late[0] as EqlEvent);
    plain.push(late[1] as EqlEvent);
    expect(plain.stats().outOfOrder).toBe(1);
    expect(byIds(runAll(q, late, { reorderWindowMs: 50 }))).toEqual([[1, 2]]);
  });

  it('emits a completed sequence once, with all its events', () => {
    const ms = runAll(
      'sequence [process where s == "A"] [process where s == "B"]',
      events([
        { id: 1, s: 'A' },
        { id: 2, s: 'B' },
        { id: 3, s: 'B' },
      ]),
    );
    expect(byIds(ms)).toEqual([[1, 2]]);
  });
});

describe('bounded state', () => {
  const q = 'sequence by k with maxspan=1m [process where s == "A"] [process where s == "B"]';
  const ev = (id: number, k: string, s: string, t = id): EqlEvent => ({
    doc: { id, k, s, event: { category: 'process' } },
    timestamp: t,
    sequence: id,
  });

  it('expires partial sequences past maxspan when the watermark advances', () => {
    const m = createMatcher(compileQuery(q));
    m.push(ev(1, 'a', 'A', 0));
    expect(m.stats().partials).toBe(1);
    m.advance(60_000);
    expect(m.stats().partials).toBe(1);
    m.advance(60_001);
    expect(m.stats()).toMatchObject({ partials: 0, expired: 1, keys: 0 });
  });

  it('survives a stage-1 flood of distinct keys within the cap, evicting oldest first', () => {
    const m = createMatcher(compileQuery(q), { maxPartials: 1000 });
    m.push(ev(0, 'victim', 'A'));
    for (let i = 1; i <= 200_000; i++) m.push(ev(i, `k${i}`, 'A'));
    const st = m.stats();
    expect(st.partials).toBeLessThanOrEqual(1000);
    expect(st.peakPartials).toBeLessThanOrEqual(1000);
    expect(st.keys).toBeLessThanOrEqual(1000);
    expect(st.evictedOldest).toBe(200_001 - 1000);
    // the oldest went first: the victim is gone, the youngest partials are intact
    expect(m.push(ev(300_000, 'victim', 'B', 200_001))).toEqual([]);
    expect(m.push(ev(300_001, 'k200000', 'B', 200_002))).toHaveLength(1);
    expect(m.push(ev(300_002, 'k199001', 'B', 200_003))).toHaveLength(1);
    expect(m.push(ev(300_003, 'k199000', 'B', 200_004))).toHaveLength(0);
  });

  it('shares a global budget across matchers, evicting the oldest partial of any of them first', () => {
    const budget = new PartialBudget(100);
    const b = createMatcher(compileQuery(q), { budget });
    const a = createMatcher(compileQuery(q), { budget });
    for (let i = 0; i < 10; i++) b.push(ev(i, `b${i}`, 'A'));
    for (let i = 100; i < 1100; i++) a.push(ev(i, `a${i}`, 'A'));
    expect(budget.total()).toBe(100);
    expect(b.stats()).toMatchObject({ partials: 0, evictedGlobal: 10 });
    expect(a.stats()).toMatchObject({ partials: 100, evictedGlobal: 900 });
    expect(a.push(ev(2000, 'a1099', 'B', 1100))).toHaveLength(1);
    expect(a.push(ev(2001, 'a999', 'B', 1100))).toHaveLength(0);
  });

  it('caps partial sequences per key and stage, counting evictions', () => {
    // a missing-event stage can need older first-stage partials, so none is superseded here
    const withMissing =
      'sequence by k with maxspan=1m [process where s == "A"] ![process where s == "C"] [process where s == "B"]';
    const m = createMatcher(compileQuery(withMissing), { maxPerKey: 10 });
    for (let i = 0; i < 5000; i++) m.push(ev(i, 'same', 'A'));
    expect(m.stats()).toMatchObject({ partials: 10, evictedPerKey: 4990, superseded: 0 });
    expect(m.push(ev(6000, 'same', 'B')).map((x) => x.events[0]?.doc.id)).toEqual([4999]);
  });

  it('keeps two first-stage partials of a key where older ones can never be taken, with the same matches', () => {
    // a root process's connect storm: every connect starts a sequence of the root rule
    const m = createMatcher(compileQuery(q));
    for (let i = 0; i < 5000; i++) m.push(ev(i, 'same', 'A'));
    expect(m.stats()).toMatchObject({ partials: 2, superseded: 4998, evictedPerKey: 0 });
    expect(m.push(ev(6000, 'same', 'B')).map((x) => x.events[0]?.doc.id)).toEqual([4999]);
    // an event with the newest partial's @timestamp and event.sequence comes after it (the
    // implicit tiebreaker, arrival order: Ordinal.implicitTiebreaker) and takes it
    const n = createMatcher(compileQuery(q));
    for (let i = 0; i < 100; i++) n.push(ev(i, 'same', 'A'));
    expect(n.push({ ...ev(99, 'same', 'B'), sequence: 99 }).map((x) => x.events[0]?.doc.id)).toEqual([99]);
    expect(n.stats()).toMatchObject({ superseded: 98 });
  });
});

describe('sample', () => {
  it('returns one unordered sample per join key, events in stage order', () => {
    const q = 'sample by host.id [process where s == "A"] [network where true]';
    const docs: Doc[] = [
      { id: 1, host: { id: 'h1' }, event: { category: 'network' } },
      { id: 2, host: { id: 'h1' }, s: 'A' },
      { id: 3, host: { id: 'h2' }, s: 'A' },
      { id: 4, host: { id: 'h1' }, s: 'A' },
      { id: 5, host: { id: 'h1' }, event: { category: 'network' } },
      { id: 6, event: { category: 'network' } },
    ];
    const ms = runAll(q, events(docs));
    expect(ms.map((m) => [m.joinKeys, m.events.map((e) => e.doc.id)])).toEqual([[['h1'], [2, 1]]]);
  });
});

describe('pipes', () => {
  const docs = [1, 2, 3, 4, 5].map((id) => ({ id }));
  it('head N keeps the first N results', () => {
    expect(ids('process where true | head 2', docs)).toEqual([1, 2]);
  });
  it('tail N keeps the last N results, at the end of the stream', () => {
    expect(ids('process where true | tail 2', docs)).toEqual([4, 5]);
    expect(ids('process where true | tail 3 | head 1', docs)).toEqual([3]);
    expect(ids('process where true | head 4 | tail 1', docs)).toEqual([4]);
  });
});
