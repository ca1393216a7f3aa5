// A deliberately simple reference for sequence queries, written apart from src/eql's streaming
// matcher: it sees the whole (sorted) stream at once and works stage by stage, the way
// Elasticsearch's TumblingWindow runs one search per stage and feeds the hits to its matcher:
// for each hit of stage n, in order, take the latest stage n-1 sequence of its key that ends before
// it and drop it and all older ones (OrdinalGroup.trimBefore); reject on maxspan (> is too far) or
// on an `until` event strictly between; missing-event stages are checked over the whole stream.
// Only the compiled filters and key expressions of the query are shared with the engine.
import type { CompiledQuery, CompiledStage } from '../../src/eql/compile.js';
import type { EqlEvent } from '../../src/eql/index.js';

interface Seq {
  key: string;
  events: EqlEvent[];
}

const lt = (a: EqlEvent, b: EqlEvent) =>
  a.timestamp < b.timestamp || (a.timestamp === b.timestamp && a.sequence < b.sequence);

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
            (u) => cq.until && keysOf(cq.until, u).includes(key) && lt(last, u) && lt(u, e),
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
  // missing-event stages, over the whole stream
  const ok = done.filter((seq) => {
    const at = new Map(positive.map((s, i) => [s, seq.events[i] as EqlEvent]));
    const first = seq.events[0] as EqlEvent;
    const last = seq.events[seq.events.length - 1] as EqlEvent;
    return stages.every((stage, m) => {
      if (!stage.missing) return true;
      const lo = [...positive].reverse().find((p) => p < m);
      const hi = positive.find((p) => p > m);
      return !evs.some((x) => {
        if (!stage.filter.test(x.doc) || !keysOf(stage, x).includes(seq.key)) return false;
        if (lo !== undefined && hi !== undefined)
          return lt(at.get(lo) as EqlEvent, x) && lt(x, at.get(hi) as EqlEvent);
        if (hi !== undefined) return x.timestamp >= last.timestamp - maxspan && lt(x, first);
        return lt(last, x) && x.timestamp <= first.timestamp + maxspan;
      });
    });
  });
  return ok.map((s) => ({ key: s.key, ids: s.events.map((e) => e.doc.id) }));
}
