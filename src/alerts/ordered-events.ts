// Recorded ECS events (NDJSON lines) turned into EqlEvents in the order Elasticsearch EQL uses
// (@timestamp, then event.sequence as tiebreaker, then line number), streaming: lines go in one at
// a time and events come out as soon as no later line can precede them. A bounded window of events
// (a min-heap) sorts input that is out of order locally, as exports and merged files are; input of
// at most `window` events is sorted whole, exactly as if read at once. An event that would have to
// go before one already released (out of order by more than the window) is an OrderError naming
// the line, never a silent reorder: results would differ from Elasticsearch's. Malformed lines are
// counted with the first few reasons. No I/O.
import type { EqlEvent } from '../rules/engine.js';
import { getField } from '../rules/field.js';

export const DEFAULT_ORDER_WINDOW = 50_000;

export class OrderError extends Error {
  override readonly name = 'OrderError';
  constructor(
    readonly line: number,
    readonly window: number,
  ) {
    super(
      `line ${line}: this event sorts before events already evaluated (input out of @timestamp order by more than ${window} events); sort the input by @timestamp or raise --sort-window`,
    );
  }
}

export interface ParseStats {
  lines: number;
  events: number;
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

/** One NDJSON line as an event, or the reason it is not one (undefined for a blank line). */
export function parseEventLine(raw: string, lineNo: number): EqlEvent | string | undefined {
  const line = raw.trim();
  if (line === '') return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(line);
  } catch (err) {
    return `not JSON (${(err as Error).message})`;
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return 'not a JSON object';
  const d = doc as Record<string, unknown>;
  const ts = timestampMs(d);
  if (ts === undefined) return 'no valid @timestamp';
  const seq = getField(d, 'event.sequence');
  return { doc: d, timestamp: ts, sequence: typeof seq === 'number' && Number.isFinite(seq) ? seq : lineNo };
}

interface Held {
  e: EqlEvent;
  line: number;
}

const before = (a: Held, b: Held) =>
  a.e.timestamp - b.e.timestamp || a.e.sequence - b.e.sequence || a.line - b.line;

export class OrderedEvents {
  readonly stats: ParseStats = { lines: 0, events: 0, malformed: 0, problems: [] };
  private readonly heap: Held[] = [];
  private last: Held | undefined;

  constructor(
    private readonly window = DEFAULT_ORDER_WINDOW,
    private readonly maxProblems = 10,
  ) {}

  /** Takes the next line; returns the events it releases, in order. Throws OrderError. */
  push(raw: string): EqlEvent[] {
    const n = ++this.stats.lines;
    const r = parseEventLine(raw, n);
    if (r === undefined) return [];
    if (typeof r === 'string') {
      this.stats.malformed++;
      if (this.stats.problems.length < this.maxProblems) this.stats.problems.push(`line ${n}: ${r}`);
      return [];
    }
    this.stats.events++;
    const held = { e: r, line: n };
    if (this.last && before(held, this.last) < 0) throw new OrderError(n, this.window);
    this.insert(held);
    const out: EqlEvent[] = [];
    while (this.heap.length > this.window) out.push(this.release());
    return out;
  }

  /** End of input: every held event, in order. */
  end(): EqlEvent[] {
    const out: EqlEvent[] = [];
    while (this.heap.length > 0) out.push(this.release());
    return out;
  }

  private release(): EqlEvent {
    const top = this.heap[0] as Held;
    const tail = this.heap.pop() as Held;
    if (this.heap.length > 0) {
      this.heap[0] = tail;
      this.down(0);
    }
    this.last = top;
    return top.e;
  }

  private insert(h: Held): void {
    const a = this.heap;
    a.push(h);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (before(a[i] as Held, a[p] as Held) >= 0) break;
      [a[i], a[p]] = [a[p] as Held, a[i] as Held];
      i = p;
    }
  }

  private down(i: number): void {
    const a = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < a.length && before(a[l] as Held, a[m] as Held) < 0) m = l;
      if (r < a.length && before(a[r] as Held, a[m] as Held) < 0) m = r;
      if (m === i) return;
      [a[i], a[m]] = [a[m] as Held, a[i] as Held];
      i = m;
    }
  }
}
