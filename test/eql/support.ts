// Helpers for the EQL tests: build events from plain documents and run a query over them.
import {
  compileQuery,
  createMatcher,
  type EqlEvent,
  type Match,
  type MatcherLimits,
} from '../../src/eql/index.js';

export type Doc = Record<string, unknown> & { id?: number | string };

/** Documents get event.category "process" unless they name one, @timestamp = t (default index) and
 *  event.sequence = their index. */
export function events(docs: Doc[], opts: { category?: string } = {}): EqlEvent[] {
  return docs.map((d, i) => {
    const t = typeof d.t === 'number' ? d.t : i;
    const doc: Record<string, unknown> = { ...d };
    delete doc.t;
    if (!('event' in doc) && !('event.category' in doc)) doc.event = { category: opts.category ?? 'process' };
    return { doc, timestamp: t, sequence: typeof d.seq === 'number' ? d.seq : i };
  });
}

export function runAll(query: string, evs: EqlEvent[], limits?: MatcherLimits): Match[] {
  const m = createMatcher(compileQuery(query), limits);
  const out: Match[] = [];
  for (const e of evs) out.push(...m.push(e));
  out.push(...m.flush());
  return out;
}

/** ids of matching events (event queries) or id lists per sequence */
export function ids(query: string, docs: Doc[], limits?: MatcherLimits): unknown[] {
  return runAll(query, events(docs), limits).map((m) =>
    m.events.length === 1 && !/^\s*(sequence|sample)/.test(query)
      ? m.events[0]?.doc.id
      : m.events.map((e) => e.doc.id),
  );
}
