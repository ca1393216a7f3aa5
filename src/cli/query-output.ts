// How `eqld query` prints results: NDJSON in the EQL search API's order (orderResults). An event
// query prints each matching event unchanged; a sequence or sample one object per result,
// {"join_keys": [...], "events": [...]} as hits.sequences[] has them, events in stage order and a
// missing-event stage as {"missing": true} (the API's placeholder event: "missing": true, no
// source). It formats only; reading input and running the query stay in query.ts.
import { type CompiledQuery, type Match, orderResults } from '../eql/index.js';

/** the placeholder printed for a missing-event stage */
export const MISSING_EVENT = Object.freeze({ missing: true });

export function formatResult(kind: CompiledQuery['kind'], m: Match): string {
  if (kind === 'event') return JSON.stringify(m.events[0]?.doc);
  const events = (m.stages ?? m.events).map((e) => (e ? e.doc : MISSING_EVENT));
  return JSON.stringify({ join_keys: m.joinKeys, events });
}

/** the lines to print for the results of a matcher created without the query's pipes */
export function formatResults(cq: CompiledQuery, found: readonly Match[]): string[] {
  return orderResults(cq, found).map((m) => formatResult(cq.kind, m));
}
