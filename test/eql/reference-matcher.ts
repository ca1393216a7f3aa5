// A deliberately simple reference for sequence queries, written apart from src/eql's streaming
// matcher: it sees the whole (sorted) stream at once and works stage by stage, the way
// Elasticsearch's TumblingWindow runs one search per stage and feeds the hits to its matcher:
// for each hit of stage n, in order, take the latest stage n-1 sequence of its key that ends before
// it and drop it and all older ones (OrdinalGroup.trimBefore); reject on maxspan (> is too far) or
// on an `until` event at or after the sequence's last event and before the hit (UntilGroup.before +
// Ordinal.between); missing-event stages are then checked over the whole stream, query by query,
// as TumblingWindow.prepareQueryForMissingEvents/doCheckMissingEvents do.
// Only the compiled filters and key expressions of the query are shared with the engine.
import type { CompiledQuery, CompiledStage } from '../../src/eql/compile.js';
import type { EqlEvent } from '../../src/eql/index.js';

interface Seq {
  key: string;
  events: EqlEvent[];
}

/** position in the sorted stream: events equal in (@timestamp, event.sequence) keep their order,
 *  as Elasticsearch's implicit tiebreaker orders them */
const position = new WeakMap<EqlEvent, number>();
const lt = (a: EqlEvent, b: EqlEvent) =>
  a.timestamp < b.timestamp ||
  (a.timestamp === b.timestamp &&
    (a.sequence < b.sequence ||
      (a.sequence === b.sequence && (position.get(a) as number) < (position.get(b) as number))));

function keysOf(stage: CompiledStage, e: EqlEvent): string[] {
  let acc: string[] = [''];
  for (const k of stage.keys) {
    const v = k.get(e.doc);
    const vals = v === null ? (k.optional ? [null] : []) : Array.isArray(v) ? v : [v];
    const next: string[] = [];
    for (const a of acc) for (const x of new Set(vals)) next.push(`${a}|${JSON.stringify(x)}`);
    acc = next;
  }
  return acc;
}

export function referenceSequences(
  cq: CompiledQuery,
  input: readonly EqlEvent[],
): { key: string; ids: unknown[] }[] {
  const evs = [...input].sort((a, b) => a.timestamp - b.timestamp || a.sequence - b.sequence);
  for (const [i, e] of evs.entries()) position.set(e, i);
  const stages = cq.stages;
  const positive = stages.map((s, i) => (s.missing ? -1 : i)).filter((i) => i >= 0);
  const maxspan = cq.maxspanMs ?? Number.POSITIVE_INFINITY;
  const untilHits = cq.until ? evs.filter((e) => cq.until?.filter.test(e.doc)) : [];
  let prev = new Map<string, Seq[]>();
  const done: Seq[] = [];
  positive.forEach((s, n) => {
    const stage = stages[s] as CompiledStage;
    const cur = new Map<string, Seq[]>();
    for (const e of evs) {
      if (!stage.filter.test(e.doc)) continue;
      for (const key of keysOf(stage, e)) {
        let seq: Seq;
        if (n === 0) {
          seq = { key, events: [e] };
        } else {
          const list = prev.get(key) ?? [];
          let idx = -1;
          list.forEach((c, i) => {
            if (lt(c.events[c.events.length - 1] as EqlEvent, e)) idx = i;
          });
          if (idx < 0) continue;
          const from = list[idx] as Seq;
          list.splice(0, idx + 1);
          if (e.timestamp - (from.events[0] as EqlEvent).timestamp > maxspan) continue;
          const last = from.events[from.events.length - 1] as EqlEvent;
          const blocked = untilHits.some(
            (u) => cq.until && keysOf(cq.until, u).includes(key) && !lt(u, last) && lt(u, e),
          );
          if (blocked) continue;
          seq = { key, events: [...from.events, e] };
        }
        if (n === positive.length - 1) done.push(seq);
        else {
          const l = cur.get(key) ?? [];
          l.push(seq);
          cur.set(key, l);
        }
      }
    }
    prev = cur;
  });
  // missing-event stages, over the whole stream: one search per missing stage and sequence
  const isMissing = (i: number) => stages[i]?.missing === true;
  const lastStage = stages.length - 1;
  const ok = done.filter((seq) => {
    const at = new Map(positive.map((s, i) => [s, seq.events[i] as EqlEvent]));
    const first = (seq.events[0] as EqlEvent).timestamp;
    const last = (seq.events[seq.events.length - 1] as EqlEvent).timestamp;
    const hits = (m: number) =>
      evs.filter(
        (x) =>
          (stages[m] as CompiledStage).filter.test(x.doc) &&
          keysOf(stages[m] as CompiledStage, x).includes(seq.key),
      );
    let lastLeading: number | undefined;
    let firstTrailing: number | undefined;
    for (let m = 0; m < stages.length; m++) {
      if (!isMissing(m)) continue;
      const lo = [...positive].reverse().find((p) => p < m);
      const hi = positive.find((p) => p > m);
      if (lo === undefined) {
        for (const x of hits(m))
          if (x.timestamp < first && (lastLeading === undefined || x.timestamp > lastLeading))
            lastLeading = x.timestamp;
      } else if (hi === undefined) {
        for (const x of hits(m))
          if (x.timestamp > last && (firstTrailing === undefined || x.timestamp < firstTrailing))
            firstTrailing = x.timestamp;
      } else {
        const a = (at.get(lo) as EqlEvent).timestamp;
        const b = (at.get(hi) as EqlEvent).timestamp;
        if (hits(m).some((x) => x.timestamp > a && x.timestamp < b)) return false;
      }
    }
    const bigger = (from: number | undefined, to: number | undefined) =>
      from === undefined || to === undefined || to - from > maxspan;
    return (
      (firstTrailing === undefined && lastLeading === undefined) ||
      (lastLeading === undefined && isMissing(0)) ||
      (firstTrailing === undefined && isMissing(lastStage)) ||
      (isMissing(0) && isMissing(lastStage) && bigger(lastLeading, firstTrailing)) ||
      (isMissing(0) && !isMissing(lastStage) && bigger(lastLeading, last)) ||
      (!isMissing(0) && isMissing(lastStage) && bigger(first, firstTrailing))
    );
  });
  return ok.map((s) => ({ key: s.key, ids: stageIds(s) }));

  /** ids in stage order, null for each missing-event stage */
  function stageIds(s: Seq): unknown[] {
    let k = 0;
    return stages.map((st) => (st.missing ? null : (s.events[k++] as EqlEvent).doc.id));
  }
}
