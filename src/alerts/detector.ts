// The detector the pipeline drives: offers each ECS event to the rules that can use it (category +
// index patterns, see RuleSet), drops events matching a rule's exceptions (its Kibana exception
// lists and the tuning file's) before that rule sees them, runs the rule's EQL matcher, and turns matches into AlertRecords through duplicate
// suppression and a per-rule rate cap. advance() moves event time forward and returns the
// follow-up records of closed suppression windows. reload() swaps rule sets keeping the partial
// sequences of unchanged rules (same rule_id and query text). It does no I/O.
import type { EqlEvent, Match, MatcherFactory } from '../rules/engine.js';
import { getField } from '../rules/field.js';
import type { LoadedRule } from '../rules/load-rules.js';
import { RuleSet } from '../rules/rule-set.js';
import { buildAlert } from './alert-document.js';
import type { AlertRecord } from './alert-record.js';
import type { AncestryLookup } from './lineage.js';
import { buildSuppressedRecord, type SuppressionReason } from './suppressed-record.js';
import { type RuleTuning, type TuningConfig, tuningFor } from './tuning/config.js';
import { isExcepted } from './tuning/exceptions.js';
import { TokenBucket } from './tuning/rate-cap.js';
import { Suppressor } from './tuning/suppression.js';

export interface DetectorOptions {
  createMatcher: MatcherFactory;
  /** the process table's ancestry, carried by each alert (alert-document.ts, lineage.ts) */
  ancestry?: AncestryLookup;
  /** clock for the alert's @timestamp (default: wall clock) */
  now?: () => Date;
}

export interface RuleStats {
  ruleId: string;
  name: string;
  matches: number;
  alerts: number;
  excepted: number;
  suppressed: number;
  rateCapped: number;
  errors: number;
  lastError?: string;
  matcher: unknown;
}

interface RuleState {
  loaded: LoadedRule;
  /** exceptions: the rule's Kibana exception items, then the tuning file's */
  tuning: RuleTuning;
  /** some exception item has an expire_time: evaluate them at the clock's time */
  expiring: boolean;
  matcher: ReturnType<MatcherFactory>;
  bucket: TokenBucket;
  stats: RuleStats;
}

const RATE_CAP_WINDOW_MS = 60_000;

export class Detector {
  private states = new Map<string, RuleState>();
  private ruleSet = new RuleSet([]);
  /** the states in the rule set's order: select() gives positions in it */
  private byPosition: RuleState[] = [];
  private readonly duplicates = new Suppressor();
  private readonly capped = new Suppressor();
  private readonly now: () => Date;
  private events = 0;
  private pending: AlertRecord[] = [];

  constructor(
    rules: readonly LoadedRule[],
    private tuning: TuningConfig,
    private readonly opts: DetectorOptions,
  ) {
    this.now = opts.now ?? (() => new Date());
    this.reload(rules);
  }

  /** Replaces the rule set; unchanged rules (same rule_id and query) keep their matcher state. */
  reload(rules: readonly LoadedRule[], tuning?: TuningConfig): void {
    if (tuning) this.tuning = tuning;
    const next = new Map<string, RuleState>();
    for (const loaded of rules) {
      const id = loaded.rule.ruleId;
      const own = tuningFor(this.tuning, id, loaded.rule);
      if (!own.enabled || loaded.inactiveNeeds.length > 0) continue;
      const t = loaded.exceptions?.length
        ? { ...own, exceptions: [...loaded.exceptions, ...own.exceptions] }
        : own;
      const expiring = t.exceptions.some((x) => x.expiresAtMs !== undefined);
      const prev = this.states.get(id);
      if (prev && prev.loaded.rule.query === loaded.rule.query) {
        next.set(id, {
          ...prev,
          loaded,
          tuning: t,
          expiring,
          stats: { ...prev.stats, name: loaded.rule.name },
        });
        continue;
      }
      next.set(id, {
        loaded,
        tuning: t,
        expiring,
        matcher: this.opts.createMatcher(loaded.compiled),
        bucket: new TokenBucket(t.rateCap),
        stats: {
          ruleId: id,
          name: loaded.rule.name,
          matches: 0,
          alerts: 0,
          excepted: 0,
          suppressed: 0,
          rateCapped: 0,
          errors: 0,
          matcher: undefined,
        },
      });
    }
    // rules that went away: emit what they held back now, never lose the count
    for (const [id, st] of this.states) {
      if (next.has(id)) continue;
      for (const w of this.duplicates.flushRule(id))
        this.pending.push(buildSuppressedRecord(st.loaded.rule, w, 'duplicate', this.now()));
      for (const w of this.capped.flushRule(id))
        this.pending.push(buildSuppressedRecord(st.loaded.rule, w, 'rate_cap', this.now()));
    }
    this.states = next;
    this.byPosition = [...next.values()];
    this.ruleSet = new RuleSet(this.byPosition.map((s) => s.loaded));
  }

  /** Whether some active rule may take events of this kind (RuleSet.wants()): the pipeline builds
   *  no document for the others. Follows reload(). */
  wants(kind: Readonly<Record<string, unknown>>): boolean {
    return this.ruleSet.wants(kind);
  }

  push(e: EqlEvent): AlertRecord[] {
    this.events++;
    const out: AlertRecord[] = [];
    const set = this.ruleSet;
    const n = set.select(e.doc);
    for (let k = 0; k < n; k++) {
      const st = this.byPosition[set.selected[k] as number] as RuleState;
      if (
        st.tuning.exceptions.length > 0 &&
        isExcepted(e.doc, st.tuning.exceptions, st.expiring ? this.now().getTime() : undefined)
      ) {
        st.stats.excepted++;
        continue;
      }
      // guarded() without a closure per offer
      try {
        this.take(st, st.matcher.push(e), out);
      } catch (err) {
        this.failed(st, err);
      }
    }
    return out;
  }

  /** Runs one matcher call; its matches become alerts, an engine exception is counted, never thrown. */
  private guarded(st: RuleState, call: () => readonly Match[], out: AlertRecord[]): void {
    try {
      this.take(st, call(), out);
    } catch (err) {
      this.failed(st, err);
    }
  }

  private take(st: RuleState, matches: readonly Match[], out: AlertRecord[]): void {
    for (const m of matches) {
      st.stats.matches++;
      const rec = this.admit(st, m.events, m.joinKeys, m.stages);
      if (rec) out.push(rec);
    }
  }

  private failed(st: RuleState, err: unknown): void {
    st.stats.errors++;
    st.stats.lastError = (err as Error).message ?? String(err);
  }

  private admit(
    st: RuleState,
    events: readonly EqlEvent[],
    joinKeys: readonly unknown[],
    stages?: readonly (EqlEvent | null)[],
  ): AlertRecord | undefined {
    const rule = st.loaded.rule;
    const rec = buildAlert({
      rule,
      events: events.map((x) => x.doc),
      ...(stages ? { stages: stages.map((x) => x?.doc ?? null) } : {}),
      joinKeys,
      now: this.now(),
      ...(this.opts.ancestry ? { ancestry: this.opts.ancestry } : {}),
    });
    if (rule.buildingBlockType !== undefined && !this.tuning.sendBuildingBlocksToSyslog)
      rec.skipSyslog = true;
    const last = events[events.length - 1];
    const at = last?.timestamp ?? 0;
    const terms = st.tuning.suppression.fields.map((field) => ({
      field,
      value: last ? (getField(last.doc, field) ?? null) : null,
    }));
    if (!this.duplicates.admit(rule.ruleId, terms, at, st.tuning.suppression.windowMs, rec.id)) {
      st.stats.suppressed++;
      return undefined;
    }
    if (!st.bucket.take(at)) {
      st.stats.rateCapped++;
      this.capped.count(rule.ruleId, [], at, RATE_CAP_WINDOW_MS, rec.id);
      return undefined;
    }
    st.stats.alerts++;
    return rec;
  }

  private followUps(windows: ReturnType<Suppressor['advance']>, reason: SuppressionReason): AlertRecord[] {
    const out: AlertRecord[] = [];
    for (const w of windows) {
      const st = this.states.get(w.ruleId);
      if (st) out.push(buildSuppressedRecord(st.loaded.rule, w, reason, this.now()));
    }
    return out;
  }

  /** Moves event time to the watermark: expires partial sequences, closes suppression windows. */
  advance(watermarkMs: number): AlertRecord[] {
    // sequences that complete on time alone (a trailing missing-event stage) come out here
    const matched: AlertRecord[] = [];
    for (const st of this.states.values()) this.guarded(st, () => st.matcher.advance(watermarkMs), matched);
    const out = this.pending;
    this.pending = [];
    return [
      ...out,
      ...matched,
      ...this.followUps(this.duplicates.advance(watermarkMs), 'duplicate'),
      ...this.followUps(this.capped.advance(watermarkMs), 'rate_cap'),
    ];
  }

  /** The event time past which advance() has alerts to give (a trailing missing-event window, a
   *  suppression window's follow-up); -Infinity when some are waiting already, Infinity if none. */
  nextDeadlineMs(): number {
    if (this.pending.length > 0) return Number.NEGATIVE_INFINITY;
    let t = Math.min(this.duplicates.nextEndMs(), this.capped.nextEndMs());
    for (const st of this.states.values()) {
      const d = st.matcher.nextDeadlineMs();
      if (d < t) t = d;
    }
    return t;
  }

  /** Closes every open window (shutdown, end of a replay) and returns the follow-ups. */
  flush(): AlertRecord[] {
    // end of the stream: held events, `tail` results and sequences waiting on a missing-event window
    const matched: AlertRecord[] = [];
    for (const st of this.states.values()) this.guarded(st, () => st.matcher.flush(), matched);
    const out = this.pending;
    this.pending = [];
    return [
      ...out,
      ...matched,
      ...this.followUps(this.duplicates.flush(), 'duplicate'),
      ...this.followUps(this.capped.flush(), 'rate_cap'),
    ];
  }

  stats(): { events: number; rules: RuleStats[] } {
    return {
      events: this.events,
      rules: [...this.states.values()].map((s) => ({ ...s.stats, matcher: s.matcher.stats() })),
    };
  }
}
