// Streaming `sample by` matcher. Elasticsearch samples are unordered: for each distinct join-key
// value, one event per stage, returned once, events listed in stage order (eql-syntax "Samples").
// We take, per key, the first event (in arrival order) that matches each stage; an event may fill
// every stage it matches, as each stage is a separate query in Elasticsearch. Keys already sampled
// and incomplete keys are bounded by maxPartials (oldest evicted first); an evicted sampled key can
// be sampled again, so on an endless stream "once per key" holds within that bound.
import type { CompiledQuery } from './compile.js';
import type { Scalar } from './field.js';
import { KeyIndex, keyTuples } from './join-keys.js';
import { type EqlEvent, emptyStats, type Match, type MatcherLimits, type MatcherStats } from './types.js';

interface Slot {
  values: Scalar[];
  events: (EqlEvent | undefined)[];
  filled: number;
  done: boolean;
}

export class SampleMatcher {
  private readonly slots: KeyIndex<Slot>;
  /** slots in creation order: the oldest is evicted first */
  private order: Slot[] = [];
  private head = 0;
  private readonly max: number;
  /** set when a push's multi-valued join keys expanded past the fan-out cap */
  private readonly cap = { capped: false };
  readonly st: MatcherStats;

  constructor(
    private readonly cq: CompiledQuery,
    limits: MatcherLimits,
  ) {
    this.max = limits.maxPartials ?? 100_000;
    this.slots = new KeyIndex((cq.stages[0]?.keys.length ?? 0) as number);
    this.st = emptyStats('sample');
  }

  push(e: EqlEvent, out: Match[]): void {
    this.st.events++;
    const stages = this.cq.stages;
    const cap = this.cap;
    cap.capped = false;
    for (let i = 0; i < stages.length; i++) {
      const stage = stages[i];
      if (!stage?.filter.test(e.doc)) continue;
      for (const k of keyTuples(stage.keys, e.doc, cap)) {
        let s = this.slots.get(k.values);
        if (!s) {
          s = { values: k.values, events: new Array(stages.length).fill(undefined), filled: 0, done: false };
          this.slots.set(k.values, s);
          this.order.push(s);
          if (this.slots.size > this.max) {
            const oldest = this.order[this.head++] as Slot;
            this.slots.delete(oldest.values);
            this.st.evictedOldest++;
            if (this.head > 1024 && this.head * 2 > this.order.length) {
              this.order = this.order.slice(this.head);
              this.head = 0;
            }
          }
        }
        if (s.done || s.events[i] !== undefined) continue;
        s.events[i] = e;
        s.filled++;
        if (s.filled === stages.length) {
          const events = s.events as EqlEvent[];
          s.done = true;
          s.events = [];
          this.st.matches++;
          out.push({ joinKeys: s.values, events });
        }
      }
    }
    if (cap.capped) this.st.keyFanoutCapped++;
    this.st.keys = this.slots.size;
    this.st.partials = this.slots.size;
    if (this.st.partials > this.st.peakPartials) this.st.peakPartials = this.st.partials;
  }

  stats(): MatcherStats {
    return { ...this.st };
  }
}
