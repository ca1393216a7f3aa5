// Runs one Elasticsearch spec case against eqld and compares the result the way the spec test
// does (BaseEqlSpecTestCase): the tiebreaker ids of every returned event, sequences flattened in
// result order, -1 for a missing-event placeholder, and the flattened join keys when the case
// lists them. Results are ordered as Elasticsearch returns them: events by (@timestamp,
// tiebreaker), sequences by their last event (Sequence.compareTo), pipes applied to that order
// (runToEnd).
import { compileQuery, EqlError, runToEnd } from '../../../src/eql/index.js';
import type { DataSet, SpecCase } from './upstream.js';

export type Verdict = 'agree' | 'disagree' | 'rejected' | 'not-runnable';

export interface CaseResult {
  c: SpecCase;
  verdict: Verdict;
  got?: number[];
  gotKeys?: string[];
  error?: string;
}

/** the request size the spec tests use (BaseEqlSpecTestCase.requestSize) */
const REQUEST_SIZE = 50;

const idOf = (d: Record<string, unknown> | undefined): number => {
  const e = d?.event as { sequence?: number } | undefined;
  return typeof e?.sequence === 'number' ? e.sequence : -1;
};

export function runCase(c: SpecCase, data: DataSet): CaseResult {
  const wanted = c.expected.flat().filter((id) => id !== -1);
  if (wanted.some((id) => !data.ids.has(id)))
    return { c, verdict: 'not-runnable', error: 'expects events absent from the stored data set' };
  let cq: ReturnType<typeof compileQuery>;
  try {
    cq = compileQuery(c.query, { fields: data.fields });
  } catch (err) {
    if (err instanceof EqlError) return { c, verdict: 'rejected', error: err.message.split('\n')[0] };
    throw err;
  }
  const found = runToEnd(cq, data.events, { maxPartials: 1e6, maxPerKey: 1e6 });
  const results = found.slice(0, c.size ?? REQUEST_SIZE);
  const got = results.flatMap((r) =>
    r.stages ? r.stages.map((e) => (e ? idOf(e.doc) : -1)) : r.events.map((e) => idOf(e.doc)),
  );
  const gotKeys = results.flatMap((r) => r.joinKeys.map((k) => (k === null ? 'null' : String(k))));
  const idsOk = c.expected.some((exp) => exp.length === got.length && exp.every((id, i) => id === got[i]));
  const keysOk =
    c.joinKeys === undefined ||
    (c.joinKeys.length === gotKeys.length && c.joinKeys.every((k, i) => k === gotKeys[i]));
  return { c, verdict: idsOk && keysOk ? 'agree' : 'disagree', got, gotKeys };
}
