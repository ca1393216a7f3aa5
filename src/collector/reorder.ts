// Re-orders events by kernel timestamp. bpftrace drains one perf buffer per CPU, so events
// from different CPUs arrive out of order; each event is held until the monotonic clock
// is `windowNs` past its timestamp (or, with the pacing shim, until every program's look has
// passed it: look-bound.ts), then released in timestamp order. An event that
// arrives after a later one was already released is passed through at once and counted
// as late, and widens the window: by twice its lateness (capped at `maxExtraNs`), halving
// again each second without late events. So when bpftrace falls behind and the CPUs'
// buffers drain unevenly, order is kept at the cost of latency that is already high.
// ktimeNs and `nowNs` are both CLOCK_MONOTONIC (bpftrace `nsecs`, process.hrtime on Linux).
/** anything ordered by its kernel timestamp: raw events, and lines held undecoded */
export interface Timed {
  readonly ktimeNs: number;
}

export class ReorderBuffer<T extends Timed = Timed> {
  private heap: T[] = [];
  private releasedUpTo = 0;
  late = 0;
  /** largest (release time - event time) seen, ns: how long events really waited */
  maxHoldNs = 0;
  /** adaptive widening of the window after late events, ns */
  private extraNs = 0;
  private lastDecayNs = 0;

  constructor(
    private readonly baseWindowNs: number,
    private readonly emit: (e: T) => void,
    private readonly maxExtraNs = 1e9,
  ) {}

  /** the window in force: the configured one plus the adaptive widening */
  get windowNs(): number {
    return this.baseWindowNs + this.extraNs;
  }

  get size(): number {
    return this.heap.length;
  }

  /** kernel timestamp of the oldest held event */
  get nextNs(): number | undefined {
    return this.heap[0]?.ktimeNs;
  }

  /**
   * Holds an event for ordering; false when it came too late to be ordered and went through at
   * once. `widen: false` for a source whose lateness is its own (the file program): its late
   * events are not counted in `late` and do not widen the window of the others.
   */
  push(e: T, widen = true): boolean {
    if (e.ktimeNs < this.releasedUpTo) {
      if (widen) {
        this.late++;
        this.extraNs = Math.min(this.maxExtraNs, Math.max(this.extraNs, 2 * (this.releasedUpTo - e.ktimeNs)));
      }
      this.emit(e);
      return false;
    }
    this.heap.push(e);
    this.up(this.heap.length - 1);
    return true;
  }

  /** Releases every event with ktimeNs <= limitNs: by default, what the window has held long
   *  enough; the collector passes what every program has certainly handed over (look-bound.ts). */
  release(nowNs: number, limitNs = nowNs - this.windowNs): void {
    if (nowNs - this.lastDecayNs >= 1e9) {
      this.lastDecayNs = nowNs;
      this.extraNs = this.extraNs < 1e6 ? 0 : this.extraNs / 2;
    }
    const limit = limitNs;
    while (this.heap.length > 0 && this.heap[0]!.ktimeNs <= limit) {
      const e = this.pop();
      this.releasedUpTo = e.ktimeNs;
      if (nowNs - e.ktimeNs > this.maxHoldNs) this.maxHoldNs = nowNs - e.ktimeNs;
      this.emit(e);
    }
  }

  /** Releases everything (at stop). */
  flush(): void {
    while (this.heap.length > 0) {
      const e = this.pop();
      this.releasedUpTo = e.ktimeNs;
      this.emit(e);
    }
  }

  private pop(): T {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      this.down(0);
    }
    return top;
  }

  // sift with a hole: each level moves one element instead of swapping two
  private up(i: number): void {
    const h = this.heap;
    const e = h[i]!;
    const t = e.ktimeNs;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pe = h[p]!;
      if (pe.ktimeNs <= t) break;
      h[i] = pe;
      i = p;
    }
    h[i] = e;
  }

  private down(i: number): void {
    const h = this.heap;
    const n = h.length;
    const e = h[i]!;
    const t = e.ktimeNs;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let m = l;
      if (r < n && h[r]!.ktimeNs < h[l]!.ktimeNs) m = r;
      if (h[m]!.ktimeNs >= t) break;
      h[i] = h[m]!;
      i = m;
    }
    h[i] = e;
  }
}
