// Streaming sequence matcher with Elasticsearch EQL semantics (x-pack/plugin/eql .../sequence/
// SequenceMatcher.java, OrdinalGroup.java, KeyToSequences.java, TumblingWindow.java; cited in
// docs/eql.md):
// - events are taken in (@timestamp, event.sequence) order; per join key and stage there is a list
//   of partial sequences ordered by the ordinal of their last event;
// - an event matching stage n takes, for its key, the LATEST partial at the previous positive stage
//   whose last event is strictly before it, and discards that one and every older one at that stage
//   (OrdinalGroup.trimBefore); the others for the key are untouched. One event may start a new
//   sequence and advance another (it is offered to every stage it matches, highest first);
// - maxspan is checked against the sequence's first event: rejected when the gap is > maxspan (an
//   event exactly maxspan later still matches); a rejected partial is dropped;
// - `until`: an advance to event e is rejected when the latest until event of the key strictly
//   before e is at or after the partial's last event (UntilGroup.before + Ordinal.between, which
//   includes both ends);
// - missing-event stages `![...]` are checked once the positive stages complete, as
//   TumblingWindow.checkMissingEvents does, on timestamps alone: an event of an in-between missing
//   stage strictly between the neighbouring positive events' timestamps rejects the sequence;
//   leading and trailing missing stages reject it only as doCheckMissingEvents decides (the latest
//   leading event before the first positive one, the earliest trailing event after the last one,
//   measured against maxspan); a sequence that needs to see its trailing window waits until the
//   watermark passes it;
// - a completed sequence is emitted once with all its events, and with a null placeholder for each
//   missing-event stage (hits.sequences[].events[] with "missing": true).
// State is bounded: maxspan expiry against the watermark, a per-key/per-stage cap and a per-matcher
// cap, both evicting the oldest partial first.

import { type BudgetMember, defaultBudget, type PartialBudget } from './budget.js';
import type { CompiledQuery, CompiledStage } from './compile.js';
import type { Scalar } from './field.js';
import { KeyIndex, type KeyTuple, keyTuples } from './join-keys.js';
import { OrderedGroup } from './ordered-group.js';
import { type EqlEvent, emptyStats, type Match, type MatcherLimits, type MatcherStats } from './types.js';

interface Ordinal {
  timestamp: number;
  sequence: number;
}
const NO_EVENTS = Object.freeze([]) as unknown as EqlEvent[];
/** an event's place: (@timestamp, event.sequence) and, for events equal in both, the order they
 *  came in, as Elasticsearch breaks such ties with an implicit tiebreaker (the shard doc order,
 *  Ordinal.implicitTiebreaker), so two events never share an ordinal */
interface Ord extends Ordinal {
  n: number;
}
/** whether a partial's last event comes before the event at (timestamp, sequence, n) */
const partialBefore = (p: Partial, timestamp: number, sequence: number, n: number) =>
  p.lastTs < timestamp ||
  (p.lastTs === timestamp && (p.lastSeq < sequence || (p.lastSeq === sequence && p.lastN < n)));
/** before(a, the event at (timestamp, sequence, n)) without building its Ord */
const beforeAt = (a: Ord, timestamp: number, sequence: number, n: number) =>
  a.timestamp < timestamp ||
  (a.timestamp === timestamp && (a.sequence < sequence || (a.sequence === sequence && a.n < n)));

interface Partial {
  kind: 'partial';
  entry: KeyEntry;
  stage: number;
  events: EqlEvent[];
  start: number;
  /** the Ord of its last event, as numbers (no object per partial) */
  lastTs: number;
  lastSeq: number;
  lastN: number;
  alive: boolean;
}
interface MissingRecord {
  kind: 'missing';
  entry: KeyEntry;
  stage: number;
  at: EqlEvent;
  start: number;
  alive: boolean;
}
/** a complete sequence waiting for its trailing missing-event window to close */
interface Candidate {
  entry: KeyEntry;
  events: EqlEvent[];
  /** a trailing missing event at a timestamp above `after` and at most `deadline` rejects it */
  after: number;
  deadline: number;
  alive: boolean;
  /** creation order: candidates closed together are emitted in it, the oldest is evicted first */
  id: number;
}
interface KeyEntry {
  values: Scalar[];
  /** per stage, created on first use */
  groups: (OrderedGroup<Partial> | undefined)[];
  /** per missing stage, created on first use (absent without missing stages) */
  missing?: (OrderedGroup<MissingRecord> | undefined)[];
  /** complete sequences of this key waiting for a trailing window, created on first use */
  candidates?: Candidate[];
  live: number;
  /** latest `until` event of this key, and the latest one before it with a smaller ordinal */
  untilLast?: Ord;
  untilPrev?: Ord;
}

export const DEFAULT_LIMITS: Required<Omit<MatcherLimits, 'reorderWindowMs' | 'budget'>> = {
  maxPartials: 50_000,
  maxPerKey: 1_000,
};

export class SequenceMatcher implements BudgetMember {
  private readonly budget: PartialBudget;
  private readonly stages: CompiledStage[];
  private readonly positive: number[];
  private readonly prevPositive: number[];
  private readonly first: number;
  private readonly last: number;
  private readonly hasMissing: boolean;
  /** stage 0 is a missing-event stage (leading), the last one too (trailing) */
  private readonly hasLeading: boolean;
  private readonly hasTrailing: boolean;
  private readonly maxspan: number;
  private readonly keys: KeyIndex<KeyEntry>;
  /** partials and missing records in creation order (= start order): expiry and oldest-first eviction */
  private queue: (Partial | MissingRecord)[] = [];
  private head = 0;
  private live = 0;
  /** complete sequences waiting for their trailing window: a min-heap on deadline, and the same
   *  in creation order for evicting the oldest over the cap */
  private waiting: Candidate[] = [];
  private waitingFifo: Candidate[] = [];
  private waitingHead = 0;
  private candidateIds = 0;
  private readonly maxPartials: number;
  private readonly maxPerKey: number;
  /** stages repeated by `runs` share a compiled filter: test it once per event */
  private readonly filterSlot: number[];
  private readonly tested: Uint8Array;
  /** live partials per stage (none live at the last one): a stage whose previous positive stage
   *  holds none cannot advance anything, so its filter is not evaluated */
  private readonly atStage: Int32Array;
  private readonly cap = { capped: false };
  readonly st: MatcherStats;

  constructor(
    private readonly cq: CompiledQuery,
    limits: MatcherLimits,
  ) {
    this.stages = cq.stages;
    this.keys = new KeyIndex((cq.stages[0] as CompiledStage).keys.length);
    this.positive = this.stages.flatMap((s, i) => (s.missing ? [] : [i]));
    this.first = this.positive[0] as number;
    this.last = this.positive[this.positive.length - 1] as number;
    this.prevPositive = this.stages.map((_, i) => {
      for (let j = i - 1; j >= 0; j--) if (!this.stages[j]?.missing) return j;
      return -1;
    });
    this.hasMissing = this.stages.some((s) => s.missing);
    this.hasLeading = this.stages[0]?.missing === true;
    this.hasTrailing = this.stages[this.stages.length - 1]?.missing === true;
    this.maxspan = cq.maxspanMs ?? Number.POSITIVE_INFINITY;
    this.maxPartials = limits.maxPartials ?? DEFAULT_LIMITS.maxPartials;
    this.maxPerKey = limits.maxPerKey ?? DEFAULT_LIMITS.maxPerKey;
    this.budget = limits.budget ?? defaultBudget();
    this.budget.register(this);
    const uniq: CompiledStage[] = [];
    this.filterSlot = this.stages.map((s) => {
      let k = uniq.indexOf(s);
      if (k < 0) k = uniq.push(s) - 1;
      return k;
    });
    this.tested = new Uint8Array(uniq.length);
    this.atStage = new Int32Array(this.stages.length);
    this.st = emptyStats('sequence');
  }

  private entry(k: KeyTuple, create: boolean): KeyEntry | undefined {
    let e = this.keys.get(k.values);
    if (!e && create) {
      e = {
        values: k.values,
        groups: new Array(this.stages.length),
        live: 0,
      };
      this.keys.set(k.values, e);
    }
    return e;
  }

  private release(e: KeyEntry): void {
    if (e.live === 0 && !e.candidates?.length) this.keys.delete(e.values);
  }

  private kill(x: Partial | MissingRecord): void {
    if (!x.alive) return;
    x.alive = false;
    if (x.kind === 'partial' && x.stage !== this.last) (this.atStage[x.stage] as number)--;
    x.entry.live--;
    this.live--;
    this.budget.release();
  }

  get liveCount(): number {
    return this.live;
  }

  /** entries in the expiry queue, dead ones not yet dropped included (for tests) */
  get queuedCount(): number {
    return this.queue.length - this.head;
  }

  oldestStart(): number | undefined {
    return this.popOldest()?.start;
  }

  evictOldest(): boolean {
    const old = this.popOldest();
    if (!old) return false;
    this.remove(old);
    this.st.evictedGlobal++;
    return true;
  }

  private track(x: Partial | MissingRecord): void {
    this.queue.push(x);
    x.entry.live++;
    this.live++;
    this.budget.charge();
    while (this.live > this.maxPartials) {
      const old = this.popOldest();
      if (!old) break;
      this.remove(old);
      this.st.evictedOldest++;
    }
    if (this.live > this.st.peakPartials) this.st.peakPartials = this.live;
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    // Dead entries behind a live one at the head wait there for up to maxspan: a stage-1 flood
    // of one key kills its oldest partials at the per-key cap as fast as it adds new ones, and
    // at 10,000 connects/s for a maxspan of 1 min the queue held ~600,000 dead entries (~60 MiB)
    // behind one live partial. Dropping them once they outnumber the live ones 3 to 1 keeps the
    // queue within 4x the live count (amortized O(1) per entry; the order is kept).
    const queued = this.queue.length - this.head;
    if (queued > 4096 && queued > 4 * this.live) {
      this.queue = this.queue.slice(this.head).filter((x) => x.alive);
      this.head = 0;
    }
  }

  /**
   * Kills a partial taken out of its group ahead of its turn in the expiry queue, and lets go of
   * its events: the queue keeps the dead entry until it reaches it, which a live partial ahead
   * (up to maxspan old) can delay for as long, and its documents must not live that long.
   */
  private bury(p: Partial): void {
    this.kill(p);
    p.events = NO_EVENTS;
  }

  private popOldest(): Partial | MissingRecord | undefined {
    while (this.head < this.queue.length) {
      const x = this.queue[this.head] as Partial | MissingRecord;
      if (x.alive) return x;
      // let go of the dead partial (and its events' documents) now, not at the next compaction:
      // thousands of them kept each document alive long enough to be promoted to the old space
      (this.queue as (Partial | MissingRecord | undefined)[])[this.head] = undefined;
      this.head++;
    }
    return undefined;
  }

  /** removes a live item from its group and the counters */
  private remove(x: Partial | MissingRecord): void {
    const list = x.kind === 'partial' ? x.entry.groups[x.stage] : x.entry.missing?.[x.stage];
    // expiry and eviction take the oldest, which is nearly always at the head
    if (list) (list as OrderedGroup<Partial | MissingRecord>).remove(x);
    this.kill(x);
    this.release(x.entry);
  }

  /** places a partial at its stage (or completes it); `fresh` partials enter the expiry queue */
  private place(p: Partial, fresh: boolean, out: Match[]): void {
    if (p.stage === this.last) {
      if (!fresh) this.kill(p);
      this.complete(p.entry, p.events, out);
      return;
    }
    let g = p.entry.groups[p.stage];
    if (!g) {
      g = new OrderedGroup<Partial>();
      p.entry.groups[p.stage] = g;
    }
    if (fresh && p.stage === this.first && !this.hasMissing && g.length > 1) {
      // A first-stage partial is one event. An event that advances one takes the latest partial
      // strictly before it and discards every older one (OrdinalGroup.trimBefore); the latest also
      // has the youngest start for maxspan. So with p newer than the group's newest (q), an event
      // after p takes p and one with p's ordinal takes q: the partials older than q can never be
      // taken by an in-order event. Drop them (a root process's connect storm kept maxPerKey of
      // them, each holding its document: promoted garbage).
      const q = g.at(g.length - 1);
      if (partialBefore(q, p.lastTs, p.lastSeq, p.lastN)) {
        const dropped = g.dropFirst(g.length - 1);
        for (const old of dropped) this.bury(old);
        this.st.superseded += dropped.length;
      }
    }
    if (g.length >= this.maxPerKey) {
      this.bury(g.shift() as Partial);
      this.st.evictedPerKey++;
    }
    g.push(p);
    (this.atStage[p.stage] as number)++;
    if (fresh) this.track(p);
  }

  /**
   * A sequence whose positive stages are all matched (SequenceMatcher.tryComplete): emitted now,
   * rejected, or held for its trailing window, as TumblingWindow.doCheckMissingEvents decides.
   */
  private complete(entry: KeyEntry, events: EqlEvent[], out: Match[]): void {
    if (!this.hasMissing) {
      this.emit(entry, events, out);
      return;
    }
    const first = (events[this.first] as EqlEvent).timestamp;
    const last = (events[this.last] as EqlEvent).timestamp;
    let lastLeading: number | undefined;
    for (let m = 0; m < this.last; m++) {
      if (!this.stages[m]?.missing) continue;
      const recs = entry.missing?.[m];
      if (!recs || recs.length === 0) continue;
      const p = this.prevPositive[m] as number;
      if (p < 0) {
        // leading: the latest such event before the first positive one
        for (let i = recs.length - 1; i >= 0; i--) {
          const t = recs.at(i).at.timestamp;
          if (t < first) {
            if (lastLeading === undefined || t > lastLeading) lastLeading = t;
            break;
          }
        }
        continue;
      }
      // in between: any such event strictly between the neighbouring positive events' timestamps
      let q = m + 1;
      while (this.stages[q]?.missing) q++;
      const lo = (events[p] as EqlEvent).timestamp;
      const hi = (events[q] as EqlEvent).timestamp;
      for (let i = 0; i < recs.length; i++) {
        const t = recs.at(i).at.timestamp;
        if (t > lo && t < hi) {
          this.st.rejectedMissing++;
          return;
        }
      }
    }
    if (!this.hasTrailing) {
      // a leading event rejects unless more than maxspan before the last positive event
      if (lastLeading !== undefined && !(last - lastLeading > this.maxspan)) {
        this.st.rejectedMissing++;
        return;
      }
      this.emit(entry, events, out);
      return;
    }
    // trailing stages: with leading ones too, no leading event means a match whatever follows;
    // else a trailing event rejects when within maxspan of the latest leading one (or, without
    // leading stages, of the first positive event)
    if (this.hasLeading && lastLeading === undefined) {
      this.emit(entry, events, out);
      return;
    }
    const deadline = (this.hasLeading ? (lastLeading as number) : first) + this.maxspan;
    const c: Candidate = { entry, events, after: last, deadline, alive: true, id: this.candidateIds++ };
    entry.candidates ??= [];
    entry.candidates.push(c);
    this.waitFor(c);
  }

  private emit(entry: KeyEntry, events: EqlEvent[], out: Match[]): void {
    this.st.matches++;
    if (!this.hasMissing) {
      out.push({ joinKeys: entry.values, events });
      return;
    }
    const stages: (EqlEvent | null)[] = [];
    for (let i = 0; i < this.stages.length; i++) stages.push(events[i] ?? null);
    out.push({
      joinKeys: entry.values,
      events: events.filter((e): e is EqlEvent => e !== undefined),
      stages,
    });
  }

  push(e: EqlEvent, out: Match[]): void {
    const n = ++this.st.events;
    const ts = e.timestamp;
    const sq = e.sequence;
    // the event's Ord, built once an until event keeps it
    let eo: Ord | undefined;
    const doc = e.doc;
    const tested = this.tested;
    for (let k = 0; k < tested.length; k++) tested[k] = 0;
    const cap = this.cap;
    cap.capped = false;
    for (let i = this.stages.length - 1; i >= 0; i--) {
      const stage = this.stages[i] as CompiledStage;
      // nothing waits at the previous positive stage: an event of this one has nothing to advance
      if (!stage.missing && i !== this.first && this.atStage[this.prevPositive[i] as number] === 0) continue;
      const slot = this.filterSlot[i] as number;
      let t = tested[slot];
      if (t === 0) {
        t = stage.filter.test(doc) ? 1 : 2;
        tested[slot] = t;
      }
      if (t !== 1) continue;
      const tuples = keyTuples(stage.keys, doc, cap);
      for (const k of tuples) {
        if (stage.missing) {
          this.onMissingEvent(i, k, e);
          continue;
        }
        if (i === this.first) {
          const entry = this.entry(k, true) as KeyEntry;
          const events = new Array<EqlEvent>(this.stages.length);
          events[i] = e;
          this.place(
            {
              kind: 'partial',
              entry,
              stage: i,
              events,
              start: ts,
              lastTs: ts,
              lastSeq: sq,
              lastN: n,
              alive: true,
            },
            true,
            out,
          );
          this.release(entry);
          continue;
        }
        const entry = this.entry(k, false);
        if (!entry) continue;
        const prev = this.prevPositive[i] as number;
        const g = entry.groups[prev];
        if (!g) continue;
        // the group is ordered by last event: search from the newest end
        let j = g.length - 1;
        while (j >= 0 && !partialBefore(g.at(j), ts, sq, n)) j--;
        if (j < 0) continue;
        const seq = g.at(j);
        for (const dropped of g.dropFirst(j + 1)) if (dropped !== seq) this.kill(dropped);
        if (e.timestamp - seq.start > this.maxspan) {
          this.kill(seq);
          this.st.rejectedMaxspan++;
          this.release(entry);
          continue;
        }
        // until: the latest until event strictly before e must lie strictly before seq's last event
        // (UntilGroup.before(e) + Ordinal.between(last, e), inclusive at both ends)
        const u = entry.untilLast && beforeAt(entry.untilLast, ts, sq, n) ? entry.untilLast : entry.untilPrev;
        if (u && !beforeAt(u, seq.lastTs, seq.lastSeq, seq.lastN)) {
          this.kill(seq);
          this.st.rejectedUntil++;
          this.release(entry);
          continue;
        }
        // advanced in place (as Elasticsearch's Sequence.putMatch): it keeps its place in the
        // start-ordered expiry/eviction queue
        (this.atStage[seq.stage] as number)--;
        seq.events[i] = e;
        seq.stage = i;
        seq.lastTs = ts;
        seq.lastSeq = sq;
        seq.lastN = n;
        this.place(seq, false, out);
        this.release(entry);
      }
    }
    if (cap.capped) this.st.keyFanoutCapped++;
    const until = this.cq.until;
    // an until event only acts on keys that hold something
    if (until !== undefined && this.keys.size > 0 && until.filter.test(doc)) {
      // recorded after the stages, not applied at once: it rejects later advances of partials it
      // is at or after (the event itself may be a partial's last event)
      for (const k of keyTuples(until.keys, doc, cap)) {
        const entry = this.entry(k, false);
        if (!entry) continue;
        if (entry.untilLast && beforeAt(entry.untilLast, ts, sq, n)) entry.untilPrev = entry.untilLast;
        entry.untilLast = eo ??= { timestamp: ts, sequence: sq, n };
      }
    }
    this.expire(e.timestamp, out);
  }

  private onMissingEvent(stage: number, k: KeyTuple, e: EqlEvent): void {
    // trailing window: kills waiting complete sequences of this key whose window holds e
    const existing = this.entry(k, false);
    if (existing?.candidates && stage > this.last) {
      for (const c of existing.candidates) {
        if (c.alive && e.timestamp > c.after && e.timestamp <= c.deadline) {
          c.alive = false;
          this.st.rejectedMissing++;
          this.st.awaitingMissing--;
        }
      }
      existing.candidates = existing.candidates.filter((c) => c.alive);
      this.release(existing);
    }
    if (stage > this.last) return;
    const entry = this.entry(k, true) as KeyEntry;
    entry.missing ??= new Array(this.stages.length);
    let recs = entry.missing[stage];
    if (!recs) {
      recs = new OrderedGroup<MissingRecord>();
      entry.missing[stage] = recs;
    }
    if (recs.length >= this.maxPerKey) {
      this.kill(recs.shift() as MissingRecord);
      this.st.evictedPerKey++;
    }
    const r: MissingRecord = { kind: 'missing', entry, stage, at: e, start: e.timestamp, alive: true };
    recs.push(r);
    this.track(r);
    this.release(entry);
  }

  /** drops partials that can no longer complete, releases trailing-window sequences now closed */
  expire(watermark: number, out: Match[]): void {
    if (this.maxspan !== Number.POSITIVE_INFINITY) {
      for (;;) {
        const x = this.popOldest();
        if (!x || watermark - x.start <= this.maxspan) break;
        this.remove(x);
        this.st.expired++;
      }
    }
    const w = this.waiting;
    if (w.length > 0 && (w[0] as Candidate).deadline < watermark) {
      const closed: Candidate[] = [];
      while (w.length > 0 && (w[0] as Candidate).deadline < watermark) {
        const c = this.heapPop();
        if (c.alive) closed.push(c);
      }
      closed.sort((a, b) => a.id - b.id);
      for (const c of closed) this.closeCandidate(c, out);
    }
    this.st.partials = this.live;
    this.st.keys = this.keys.size;
  }

  /** the soonest trailing window to close (one already rejected may still head the heap: a
   *  deadline too early is a wasted advance(), never a late alert) */
  nextDeadlineMs(): number {
    return this.waiting.length > 0 ? (this.waiting[0] as Candidate).deadline : Number.POSITIVE_INFINITY;
  }

  private closeCandidate(c: Candidate, out: Match[]): void {
    c.alive = false;
    this.st.awaitingMissing--;
    c.entry.candidates = c.entry.candidates?.filter((x) => x !== c);
    this.emit(c.entry, c.events, out);
    this.release(c.entry);
  }

  flush(out: Match[]): void {
    const open = this.waiting.filter((c) => c.alive).sort((a, b) => a.id - b.id);
    this.waiting = [];
    this.waitingFifo = [];
    this.waitingHead = 0;
    for (const c of open) this.closeCandidate(c, out);
    this.st.partials = this.live;
    this.st.keys = this.keys.size;
  }

  /** holds a complete sequence until its trailing window closes; over the cap, the oldest waiting
   *  one is dropped (as the oldest partial is: a missed alert rather than one without its check) */
  private waitFor(c: Candidate): void {
    const w = this.waiting;
    w.push(c);
    for (let i = w.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if ((w[p] as Candidate).deadline <= c.deadline) break;
      w[i] = w[p] as Candidate;
      w[p] = c;
      i = p;
    }
    this.waitingFifo.push(c);
    this.st.awaitingMissing++;
    // rejected ones stay in the heap until their deadline: rebuilt when they outnumber the rest
    if (w.length > 2 * this.st.awaitingMissing + 1024)
      this.waiting = w.filter((x) => x.alive).sort((x, y) => x.deadline - y.deadline);
    while (this.st.awaitingMissing > this.maxPartials) {
      const old = this.waitingFifo[this.waitingHead++] as Candidate;
      if (!old.alive) continue;
      old.alive = false;
      old.entry.candidates = old.entry.candidates?.filter((x) => x !== old);
      this.release(old.entry);
      this.st.awaitingMissing--;
      this.st.evictedOldest++;
    }
    if (this.waitingHead > 4096 && this.waitingHead * 2 > this.waitingFifo.length) {
      this.waitingFifo = this.waitingFifo.slice(this.waitingHead).filter((x) => x.alive);
      this.waitingHead = 0;
    }
  }

  private heapPop(): Candidate {
    const w = this.waiting;
    const top = w[0] as Candidate;
    const end = w.pop() as Candidate;
    if (w.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= w.length) break;
        const r = l + 1;
        const m = r < w.length && (w[r] as Candidate).deadline < (w[l] as Candidate).deadline ? r : l;
        if ((w[m] as Candidate).deadline >= end.deadline) break;
        w[i] = w[m] as Candidate;
        i = m;
      }
      w[i] = end;
    }
    return top;
  }

  stats(): MatcherStats {
    this.st.partials = this.live;
    this.st.keys = this.keys.size;
    return { ...this.st };
  }
}
