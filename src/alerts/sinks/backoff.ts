// Exponential reconnect back-off with jitter: 100 ms doubling to 30 s, +-20 %, reset on success.

export class Backoff {
  private attempt = 0;
  constructor(
    private readonly baseMs = 100,
    private readonly maxMs = 30_000,
    private readonly random: () => number = Math.random,
  ) {}

  next(): number {
    const raw = Math.min(this.maxMs, this.baseMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 30);
    return Math.round(raw * (0.8 + 0.4 * this.random()));
  }

  reset(): void {
    this.attempt = 0;
  }
}
