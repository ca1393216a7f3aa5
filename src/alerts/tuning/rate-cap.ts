// A per-rule token bucket in event time, so one noisy rule can never drown the others: each alert
// takes a token; tokens refill at `perMinute`, up to `burst`. Alerts over the cap are not lost:
// the caller counts them into a follow-up record (see detector.ts).
import type { RateCapConfig } from './config.js';

export class TokenBucket {
  private tokens: number;
  private lastMs: number | undefined;

  constructor(private readonly cfg: RateCapConfig) {
    this.tokens = cfg.burst;
  }

  take(atMs: number): boolean {
    if (this.lastMs !== undefined && atMs > this.lastMs) {
      this.tokens = Math.min(
        this.cfg.burst,
        this.tokens + ((atMs - this.lastMs) / 60_000) * this.cfg.perMinute,
      );
    }
    if (this.lastMs === undefined || atMs > this.lastMs) this.lastMs = atMs;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }
}
