// Types the matcher exchanges with its caller. They mirror src/rules/engine.ts (EqlEvent, Match)
// structurally; src/eql imports nothing from other stages.
import type { PartialBudget } from './budget.js';

export interface EqlEvent {
  doc: Record<string, unknown>;
  /** ms since epoch (@timestamp) */
  timestamp: number;
  /** tiebreaker (event.sequence) */
  sequence: number;
}

export interface Match {
  /** join key values of a sequence or sample ([] for event queries) */
  joinKeys: unknown[];
  /** the events found, in stage order (one for event queries); missing-event stages have none */
  events: EqlEvent[];
  /** sequences with missing-event stages `![...]`: every stage in order, null for a missing-event
   *  stage (Elasticsearch's hits.sequences[].events[] entry with "missing": true) */
  stages?: (EqlEvent | null)[];
}

export interface MatcherLimits {
  /** live partial sequences (plus missing-event records / sample slots) per matcher; oldest evicted first */
  maxPartials?: number;
  /** partial sequences per join key and stage; oldest evicted first */
  maxPerKey?: number;
  /** hold events this long (ms of event time) and release them in (@timestamp, event.sequence) order */
  reorderWindowMs?: number;
  /** cap shared with other matchers; default: one process-wide budget of DEFAULT_GLOBAL_PARTIALS */
  budget?: PartialBudget;
}

export interface MatcherStats {
  kind: 'event' | 'sequence' | 'sample';
  events: number;
  matches: number;
  /** live partial sequences (or sample slots) */
  partials: number;
  peakPartials: number;
  keys: number;
  /** events that arrived behind an already processed (timestamp, sequence) */
  outOfOrder: number;
  expired: number;
  evictedOldest: number;
  evictedPerKey: number;
  /** first-stage partials dropped because a newer one of the same key can always stand in for
   *  them (in-order input, no missing-event stage): memory only, the matches are the same */
  superseded: number;
  /** evicted to keep the shared (global) budget */
  evictedGlobal: number;
  rejectedMaxspan: number;
  rejectedUntil: number;
  rejectedMissing: number;
  /** complete sequences waiting for a trailing missing-event window to close */
  awaitingMissing: number;
  /** events whose multi-valued join keys expanded past the fan-out cap */
  keyFanoutCapped: number;
}

export interface Matcher {
  push(e: EqlEvent): Match[];
  /** moves event time: releases events held for reordering up to the watermark, expires partial
   *  sequences past maxspan, closes trailing missing-event windows; returns what that completed */
  advance(watermarkMs: number): Match[];
  /** the event time past which advance() has something to complete (a held event to release, a
   *  trailing missing-event window to close); Infinity when nothing waits on time. Expiring
   *  partials past maxspan only frees memory and is not counted here. */
  nextDeadlineMs(): number;
  /** end of a finite stream: releases held events, `tail` results and waiting sequences */
  flush(): Match[];
  stats(): MatcherStats;
}

/** all counters at zero, for a matcher of the given kind */
export function emptyStats(kind: MatcherStats['kind']): MatcherStats {
  return {
    kind,
    events: 0,
    matches: 0,
    partials: 0,
    peakPartials: 0,
    keys: 0,
    outOfOrder: 0,
    expired: 0,
    evictedOldest: 0,
    evictedPerKey: 0,
    superseded: 0,
    evictedGlobal: 0,
    rejectedMaxspan: 0,
    rejectedUntil: 0,
    rejectedMissing: 0,
    awaitingMissing: 0,
    keyFanoutCapped: 0,
  };
}
