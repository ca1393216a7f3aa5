// A fixed-size ring of recent samples with cheap percentiles, for CollectorStats.

/** The last `size` samples, for cheap percentiles in stats(). */
export class Reservoir {
  private readonly buf: Float64Array;
  private n = 0;
  constructor(size: number) {
    this.buf = new Float64Array(size);
  }
  add(v: number): void {
    this.buf[this.n++ % this.buf.length] = v;
  }
  reset(): void {
    this.n = 0;
  }
  summary(): { p50: number; p99: number; max: number } {
    const k = Math.min(this.n, this.buf.length);
    if (k === 0) return { p50: 0, p99: 0, max: 0 };
    // a typed array sorts numerically without a comparator call per step (the health line
    // takes this summary every interval: Array.from and a comparator cost ~10x more)
    const s = this.buf.slice(0, k).sort();
    const at = (q: number): number => s[Math.min(k - 1, Math.floor(q * k))]!;
    return { p50: at(0.5), p99: at(0.99), max: s[k - 1]! };
  }
}
