// Replay: runs rules over recorded ECS events (NDJSON, e.g. from `eqld events` or an Elasticsearch
// export) and returns the alerts, the rule author's test loop. Lines are parsed, malformed ones
// counted with the first few reasons, events sorted by @timestamp then event.sequence (the order
// Elasticsearch EQL uses: timestamp, then tiebreaker), then fed to a Detector whose clock is event
// time, so the same input always gives the same alerts. parseEventLines/replay hold the whole
// input in memory; `eqld replay` streams through OrderedEvents and replayEvent instead.

import type { EqlEvent } from '../rules/engine.js';
import type { AlertRecord } from './alert-record.js';
import type { Detector } from './detector.js';
import { parseEventLine } from './ordered-events.js';

export interface ParsedEvents {
  events: EqlEvent[];
  malformed: number;
  /** first few problems, as `line N: reason` */
  problems: string[];
}

/** Parses and sorts a whole input held in memory (tests, small inputs); the CLI streams through
 *  OrderedEvents instead. */
export function parseEventLines(lines: Iterable<string>, maxProblems = 10): ParsedEvents {
  const out: ParsedEvents = { events: [], malformed: 0, problems: [] };
  let n = 0;
  for (const raw of lines) {
    n++;
    const r = parseEventLine(raw, n);
    if (r === undefined) continue;
    if (typeof r === 'string') {
      out.malformed++;
      if (out.problems.length < maxProblems) out.problems.push(`line ${n}: ${r}`);
      continue;
    }
    out.events.push(r);
  }
  out.events.sort((a, b) => a.timestamp - b.timestamp || a.sequence - b.sequence);
  return out;
}

/** A clock that reads event time: pass `now` to the Detector and the clock to replay(). */
export class EventClock {
  private ms = 0;
  readonly now = (): Date => new Date(this.ms);
  set(ms: number): void {
    this.ms = ms;
  }
}

/** Feeds one event (in order) through the detector; returns the alerts and follow-ups it caused. */
export function replayEvent(e: EqlEvent, detector: Detector, clock?: EventClock): AlertRecord[] {
  clock?.set(e.timestamp);
  return [...detector.advance(e.timestamp), ...detector.push(e)];
}

/** Feeds sorted events through the detector; returns every alert and follow-up in order. */
export function replay(events: readonly EqlEvent[], detector: Detector, clock?: EventClock): AlertRecord[] {
  const out: AlertRecord[] = [];
  for (const e of events) {
    clock?.set(e.timestamp);
    out.push(...detector.advance(e.timestamp));
    out.push(...detector.push(e));
  }
  out.push(...detector.flush());
  return out;
}
