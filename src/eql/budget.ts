// A cap on partial sequences shared by many matchers (the global cap of issue #4): when the total
// passes `max`, the matcher holding the oldest partial (by first event) gives it up, so a flood
// aimed at one rule cannot starve the others of memory nor evict a younger partial first.
// Matchers are held weakly: one dropped on a rule reload stops counting once collected.

export interface BudgetMember {
  /** live partials held */
  readonly liveCount: number;
  /** timestamp of the oldest live partial's first event, or undefined when none */
  oldestStart(): number | undefined;
  /** evicts the oldest live partial; returns false when it had none */
  evictOldest(): boolean;
}

export class PartialBudget {
  private used = 0;
  private members: WeakRef<BudgetMember>[] = [];
  /** partials evicted to keep the total under `max` */
  evicted = 0;

  constructor(readonly max: number) {}

  register(m: BudgetMember): void {
    this.members.push(new WeakRef(m));
  }

  /** called when a member adds a partial */
  charge(): void {
    this.used++;
    if (this.used <= this.max) return;
    // recount exactly (members dropped since are gone), then evict oldest-first across members
    const live: BudgetMember[] = [];
    for (const r of this.members) {
      const m = r.deref();
      if (m) live.push(m);
    }
    if (live.length !== this.members.length) this.members = live.map((m) => new WeakRef(m));
    this.used = live.reduce((n, m) => n + m.liveCount, 0);
    while (this.used > this.max) {
      let victim: BudgetMember | undefined;
      let oldest = Number.POSITIVE_INFINITY;
      for (const m of live) {
        const s = m.oldestStart();
        if (s !== undefined && s < oldest) {
          oldest = s;
          victim = m;
        }
      }
      if (!victim?.evictOldest()) break;
      this.evicted++;
    }
  }

  /** called when a member drops a partial */
  release(): void {
    this.used--;
  }

  total(): number {
    return this.used;
  }
}

/** The budget matchers share unless given their own (MatcherLimits.budget). */
export const DEFAULT_GLOBAL_PARTIALS = 200_000;
let shared: PartialBudget | undefined;
export function defaultBudget(): PartialBudget {
  shared ??= new PartialBudget(DEFAULT_GLOBAL_PARTIALS);
  return shared;
}
