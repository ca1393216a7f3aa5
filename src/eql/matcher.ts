// createMatcher: the streaming evaluator for a CompiledQuery. Event queries test each event;
// sequences and samples delegate to their matchers. It adds what every kind shares: an optional
// reorder buffer (events released in (@timestamp, event.sequence) order once the watermark passes
// them), out-of-order accounting, and the `| head N` / `| tail N` pipes (tail results come out of
// flush(), at the end of a finite stream).
import type { Pipe } from './ast.js';
import type { CompiledQuery } from './compile.js';
import { SampleMatcher } from './sample-matcher.js';
import { SequenceMatcher } from './sequence-matcher.js';
import {
  type EqlEvent,
  emptyStats,
  type Match,
  type Matcher,
  type MatcherLimits,
  type MatcherStats,
} from './types.js';

interface Inner {
  push(e: EqlEvent, out: Match[]): void;
  expire(watermark: number, out: Match[]): void;
  /** as Matcher.nextDeadlineMs */
  nextDeadlineMs(): number;
  flush(out: Match[]): void;
  stats(): MatcherStats;
}

class EventInner implements Inner {
  readonly st: MatcherStats = emptyStats('event');
  constructor(private readonly test: (d: Record<string, unknown>) => boolean) {}
  push(e: EqlEvent, out: Match[]): void {
    this.st.events++;
    if (this.test(e.doc)) {
      this.st.matches++;
      out.push({ joinKeys: [], events: [e] });
    }
  }
  expire(): void {}
  nextDeadlineMs(): number {
    return Number.POSITIVE_INFINITY;
  }
  flush(): void {}
  stats(): MatcherStats {
    return { ...this.st };
  }
}

/** returned by every push that finds nothing (most of them); frozen, so a caller cannot fill it */
const NO_MATCHES: readonly Match[] = Object.freeze([]);

const ordBefore = (a: EqlEvent, b: EqlEvent) =>
  a.timestamp < b.timestamp || (a.timestamp === b.timestamp && a.sequence < b.sequence);

class StreamMatcher implements Matcher {
  private lastSeen: EqlEvent | undefined;
  private outOfOrder = 0;
  private buffer: EqlEvent[] = [];
  private ready: Match[] = [];
  /** reused while a push finds nothing */
  private scratch: Match[] = [];
  private emitted = 0;
  private readonly head: number;
  private readonly tail: number;
  private tailBuf: Match[] = [];
  private readonly post: Pipe[];

  constructor(
    private readonly inner: Inner,
    cq: CompiledQuery,
    private readonly reorderMs: number,
  ) {
    // `head` before any `tail` streams; from the first `tail` on, matches are collected (a ring of
    // the first tail's size) and the remaining pipes applied in order at flush()
    const pipes = cq.pipes;
    const firstTail = pipes.findIndex((p) => p.kind === 'tail');
    const pre = firstTail < 0 ? pipes : pipes.slice(0, firstTail);
    this.head = Math.min(Number.POSITIVE_INFINITY, ...pre.map((p) => p.count));
    this.tail = firstTail < 0 ? Number.POSITIVE_INFINITY : (pipes[firstTail] as Pipe).count;
    this.post = firstTail < 0 ? [] : pipes.slice(firstTail + 1);
  }

  private process(e: EqlEvent, out: Match[]): void {
    if (this.lastSeen && ordBefore(e, this.lastSeen)) this.outOfOrder++;
    else this.lastSeen = e;
    this.inner.push(e, out);
  }

  private deliver(found: Match[]): Match[] {
    if (found.length === 0) return NO_MATCHES as Match[];
    if (found === this.scratch) this.scratch = [];
    const res: Match[] = [];
    for (const m of found) {
      if (this.emitted >= this.head) break;
      this.emitted++;
      if (this.tail !== Number.POSITIVE_INFINITY) {
        this.tailBuf.push(m);
        if (this.tailBuf.length > this.tail) this.tailBuf.shift();
        continue;
      }
      res.push(m);
    }
    return res;
  }

  private releaseUpTo(watermark: number, out: Match[]): void {
    if (this.buffer.length === 0) return;
    this.buffer.sort((a, b) => a.timestamp - b.timestamp || a.sequence - b.sequence);
    let n = 0;
    while (n < this.buffer.length && (this.buffer[n] as EqlEvent).timestamp <= watermark) n++;
    for (const e of this.buffer.splice(0, n)) this.process(e, out);
  }

  push(e: EqlEvent): Match[] {
    if (this.reorderMs === 0 && this.ready.length === 0) {
      // no reordering: process() and deliver() inlined for the common push that finds nothing
      const last = this.lastSeen;
      if (last !== undefined && ordBefore(e, last)) this.outOfOrder++;
      else this.lastSeen = e;
      const found = this.scratch;
      this.inner.push(e, found);
      return found.length === 0 ? (NO_MATCHES as Match[]) : this.deliver(found);
    }
    let found = this.scratch;
    if (this.ready.length > 0) {
      found = this.ready;
      this.ready = [];
    }
    if (this.reorderMs > 0) {
      this.buffer.push(e);
      const newest = Math.max(e.timestamp, this.lastSeen?.timestamp ?? e.timestamp);
      this.releaseUpTo(newest - this.reorderMs, found);
    } else {
      this.process(e, found);
    }
    return this.deliver(found);
  }

  advance(watermarkMs: number): Match[] {
    const found = this.ready;
    this.ready = [];
    this.releaseUpTo(watermarkMs, found);
    this.inner.expire(watermarkMs, found);
    return this.deliver(found);
  }

  nextDeadlineMs(): number {
    // a match made by a push is handed out by the next push or advance: due now
    if (this.ready.length > 0) return Number.NEGATIVE_INFINITY;
    let t = this.inner.nextDeadlineMs();
    for (const e of this.buffer) if (e.timestamp < t) t = e.timestamp;
    return t;
  }

  flush(): Match[] {
    const found = this.ready;
    this.ready = [];
    this.releaseUpTo(Number.POSITIVE_INFINITY, found);
    this.inner.flush(found);
    const res = this.deliver(found);
    if (this.tail !== Number.POSITIVE_INFINITY) {
      let t = this.tailBuf;
      this.tailBuf = [];
      for (const p of this.post) t = p.kind === 'head' ? t.slice(0, p.count) : t.slice(-p.count);
      return [...res, ...t];
    }
    return res;
  }

  stats(): MatcherStats {
    return { ...this.inner.stats(), outOfOrder: this.outOfOrder };
  }
}

/** Event query without pipes or reorder buffer: the rule layer's common case, kept lean. */
function leanEventMatcher(test: (d: Record<string, unknown>) => boolean): Matcher {
  const inner = new EventInner(test);
  const st = inner.st;
  return {
    push(e) {
      st.events++;
      if (!test(e.doc)) return NO_MATCHES as Match[];
      st.matches++;
      return [{ joinKeys: [], events: [e] }];
    },
    advance: () => NO_MATCHES as Match[],
    nextDeadlineMs: () => Number.POSITIVE_INFINITY,
    flush: () => [],
    stats: () => inner.stats(),
  };
}

/** A streaming matcher for a compiled query; `limits` bound its state (see MatcherLimits). */
export function createMatcher(cq: CompiledQuery, limits: MatcherLimits = {}): Matcher {
  if (cq.kind === 'event' && cq.pipes.length === 0 && !limits.reorderWindowMs)
    return leanEventMatcher((cq.filter as { test: (d: Record<string, unknown>) => boolean }).test);
  let inner: Inner;
  if (cq.kind === 'event')
    inner = new EventInner((cq.filter as { test: (d: Record<string, unknown>) => boolean }).test);
  else if (cq.kind === 'sequence') inner = new SequenceMatcher(cq, limits);
  else {
    const s = new SampleMatcher(cq, limits);
    inner = {
      push: (e, out) => s.push(e, out),
      expire: () => {},
      nextDeadlineMs: () => Number.POSITIVE_INFINITY,
      flush: () => {},
      stats: () => s.stats(),
    };
  }
  return new StreamMatcher(inner, cq, limits.reorderWindowMs ?? 0);
}
