// Runs a query over a finite list of events and returns its results as the EQL search API
// returns them: events in (@timestamp, event.sequence) order, sequences ordered by their last
// (positive) event (Sequence.compareTo; ties keep the order they completed in), and the `head`/
// `tail` pipes applied in order to that list. The streaming matcher applies pipes as results come
// out, which on a finite input can differ when a sequence waits for a trailing missing-event
// window; this is what `eqld query` and the conformance tests use.
import type { CompiledQuery } from './compile.js';
import { createMatcher } from './matcher.js';
import type { EqlEvent, Match, MatcherLimits } from './types.js';

const byOrdinal = (a: EqlEvent, b: EqlEvent) => a.timestamp - b.timestamp || a.sequence - b.sequence;

/** the last found event of a result (for sequences, the last positive stage's event) */
function lastEvent(m: Match): EqlEvent {
  return m.events[m.events.length - 1] as EqlEvent;
}

/**
 * Puts the results of a matcher created without the query's pipes (`{ ...cq, pipes: [] }`) in the
 * EQL search API's order and applies the pipes to them.
 */
export function orderResults(cq: CompiledQuery, found: readonly Match[]): Match[] {
  let out = [...found];
  if (cq.kind === 'sequence') {
    const order = new Map(out.map((m, i) => [m, i]));
    out.sort(
      (a, b) => byOrdinal(lastEvent(a), lastEvent(b)) || (order.get(a) as number) - (order.get(b) as number),
    );
  }
  for (const p of cq.pipes) out = p.kind === 'head' ? out.slice(0, p.count) : out.slice(-p.count);
  return out;
}

export function runToEnd(
  cq: CompiledQuery,
  events: readonly EqlEvent[],
  limits: MatcherLimits = {},
): Match[] {
  const matcher = createMatcher({ ...cq, pipes: [] }, limits);
  const found: Match[] = [];
  for (const e of [...events].sort(byOrdinal)) for (const m of matcher.push(e)) found.push(m);
  for (const m of matcher.flush()) found.push(m);
  return orderResults(cq, found);
}
