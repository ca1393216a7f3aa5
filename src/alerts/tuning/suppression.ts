// Duplicate suppression keyed by rule + entity, in event time: the first alert for a key goes out
// at once; later ones inside the window are counted, and when the window closes (advance() past
// its end) one follow-up record carries the count. Kibana's alert suppression does the same with
// kibana.alert.suppression.{terms,start,end,docs_count}. Nothing is dropped without being counted.

export interface SuppressionWindow {
  ruleId: string;
  key: string;
  /** values of the suppression fields, for the follow-up record */
  terms: { field: string; value: unknown }[];
  startMs: number;
  endMs: number;
  /** id of the alert that opened the window */
  firstAlertId: string;
  count: number;
  lastSeenMs: number;
}

export class Suppressor {
  private readonly open = new Map<string, SuppressionWindow>();

  /**
   * Returns true when the alert should go out now (first of its key in the window), false when
   * it was counted as a duplicate.
   */
  admit(
    ruleId: string,
    terms: { field: string; value: unknown }[],
    atMs: number,
    windowMs: number,
    alertId: string,
  ): boolean {
    if (windowMs <= 0) return true;
    const key = `${ruleId}\u0000${JSON.stringify(terms.map((t) => t.value))}`;
    const w = this.open.get(key);
    if (w && atMs < w.endMs) {
      w.count++;
      w.lastSeenMs = Math.max(w.lastSeenMs, atMs);
      return false;
    }
    this.open.set(key, {
      ruleId,
      key,
      terms,
      startMs: atMs,
      endMs: atMs + windowMs,
      firstAlertId: alertId,
      count: 0,
      lastSeenMs: atMs,
    });
    return true;
  }

  /** Counts an alert that is held back unconditionally (rate cap): opens a window if needed. */
  count(
    ruleId: string,
    terms: { field: string; value: unknown }[],
    atMs: number,
    windowMs: number,
    alertId: string,
  ): void {
    if (this.admit(ruleId, terms, atMs, Math.max(1, windowMs), alertId)) {
      const key = `${ruleId}\u0000${JSON.stringify(terms.map((t) => t.value))}`;
      const w = this.open.get(key);
      if (w) w.count = 1;
    }
  }

  /** The soonest end of a window that holds back duplicates (its follow-up is due then). */
  nextEndMs(): number {
    let t = Number.POSITIVE_INFINITY;
    for (const w of this.open.values()) if (w.count > 0 && w.endMs < t) t = w.endMs;
    return t;
  }

  /** Closes windows ending at or before the watermark; returns those that held back duplicates. */
  advance(watermarkMs: number): SuppressionWindow[] {
    const closed: SuppressionWindow[] = [];
    for (const [k, w] of this.open) {
      if (w.endMs > watermarkMs) continue;
      this.open.delete(k);
      if (w.count > 0) closed.push(w);
    }
    return closed;
  }

  /** Closes every window (shutdown, end of replay). */
  flush(): SuppressionWindow[] {
    return this.advance(Number.POSITIVE_INFINITY);
  }

  /** Closes the windows of one rule (it was removed by a reload); returns those with a count. */
  flushRule(ruleId: string): SuppressionWindow[] {
    const closed: SuppressionWindow[] = [];
    for (const [k, w] of this.open) {
      if (w.ruleId !== ruleId) continue;
      this.open.delete(k);
      if (w.count > 0) closed.push(w);
    }
    return closed;
  }

  get size(): number {
    return this.open.size;
  }
}
