// The sequence matcher's expiry queue stays proportional to its live partials: a stage-1 flood
// of one key, whose older partials die (superseded, or at the per-key cap) as fast as new ones
// come, behind one long-lived partial of another key at the queue's head.
import { describe, expect, it } from 'vitest';
import { PartialBudget } from '../../src/eql/budget.js';
import { compileQuery } from '../../src/eql/index.js';
import { SequenceMatcher } from '../../src/eql/sequence-matcher.js';
import type { Match } from '../../src/eql/types.js';

const QUERY =
  'sequence by process.entity_id with maxspan=1h [network where event.action == "connection_attempted"] [process where event.action == "session_id_change"]';

function event(category: string, action: string, entity: string, i: number) {
  return {
    doc: { event: { category, action }, process: { entity_id: entity } },
    timestamp: 1_700_000_000_000 + i,
    sequence: i,
  };
}
const connect = (entity: string, i: number) => event('network', 'connection_attempted', entity, i);
const sessionChange = (entity: string, i: number) => event('process', 'session_id_change', entity, i);

/** the join keys of the sequences one event completes */
function completes(m: SequenceMatcher, e: ReturnType<typeof event>): unknown[] {
  const out: Match[] = [];
  m.push(e, out);
  return out.map((x) => x.joinKeys);
}

describe('sequence matcher expiry queue', () => {
  it('drops dead partials behind a live one at its head, so a one-key flood does not grow it', () => {
    const m = new SequenceMatcher(compileQuery(QUERY), { budget: new PartialBudget(1_000_000) });
    const out: Match[] = [];
    m.push(connect('old-process', 0), out); // lives for the whole maxspan, at the queue's head
    for (let i = 1; i <= 200_000; i++) m.push(connect('storm-worker', i), out);
    expect(out).toEqual([]);
    const st = m.stats();
    expect(st.partials).toBeLessThanOrEqual(1_001);
    expect(m.queuedCount).toBeLessThanOrEqual(Math.max(4096, 4 * st.partials) + 1);
    // the long-lived partial and the newest of the flood still complete their sequences
    expect(completes(m, sessionChange('old-process', 200_001))).toEqual([['old-process']]);
    expect(completes(m, sessionChange('storm-worker', 200_002))).toEqual([['storm-worker']]);
  });
});
