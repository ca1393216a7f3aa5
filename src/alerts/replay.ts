// Replay: runs rules over recorded ECS events (NDJSON, e.g. from `eqld events` or an Elasticsearch
// export) and returns the alerts, the rule author's test loop. Lines are parsed, malformed ones
// counted with the first few reasons, events sorted by @timestamp then event.sequence (the order
// Elasticsearch EQL uses: timestamp, then tiebreaker), then fed to a Detector whose clock is event
// time, so the same input always gives the same alerts. It holds the whole input in memory.

import type { EqlEvent } from '../rules/engine.js';
import { getField } from '../rules/field.js';
import type { AlertRecord } from './alert-record.js';
import type { Detector } from './detector.js';

export interface ParsedEvents {
  events: EqlEvent[];
  malformed: number;
  /** first few problems, as `line N: reason` */
  problems: string[];
}

function timestampMs(doc: Record<string, unknown>): number | undefined {
  const t = getField(doc, '@timestamp');
  if (typeof t === 'number' && Number.isFinite(t)) return t;
  if (typeof t !== 'string') return undefined;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? undefined : ms;
}

export function parseEventLines(lines: Iterable<string>, maxProblems = 10): ParsedEvents {
  const out: ParsedEvents = { events: [], malformed: 0, problems: [] };
  let n = 0;
  const bad = (reason: string) => {
    out.malformed++;
    if (out.problems.length < maxProblems) out.problems.push(`line ${n}: ${reason}`);
  };
  for (const raw of lines) {
    n++;
    const line = raw.trim();
    if (line === '') continue;
    let doc: unknown;
    try {
      doc = JSON.parse(line);
    } catch (err) {
      bad(`not JSON (${(err as Error).message})`);
      continue;
    }
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
      bad('not a JSON object');
      continue;
    }
    const d = doc as Record<string, unknown>;
    const ts = timestampMs(d);
    if (ts === undefined) {
      bad('no valid @timestamp');
      continue;
    }
    const seq = getField(d, 'event.sequence');
    out.events.push({
      doc: d,
      timestamp: ts,
      sequence: typeof seq === 'number' && Number.isFinite(seq) ? seq : n,
    });
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
