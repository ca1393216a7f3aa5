// Reads the alerts NDJSON file (what the file sink writes) line by line, without holding it in
// memory: each line that is an eqld alert document becomes an AlertView; a line that is not JSON,
// or JSON that is not an alert, is counted with its line number (the first few reasons kept) and
// skipped. Invalid UTF-8 in the file decodes to U+FFFD, never to raw bytes on the terminal.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { type AlertView, viewOf } from './alert-view.js';

export interface LineProblems {
  count: number;
  /** the first few, as `line N: reason` */
  first: string[];
}

export class AlertLineParser {
  readonly problems: LineProblems = { count: 0, first: [] };
  private lineNo = 0;

  constructor(private readonly keep = 10) {}

  /** The alert on this line, or undefined (blank, or a problem counted). */
  parse(line: string): AlertView | undefined {
    this.lineNo++;
    if (line.trim() === '') return undefined;
    let doc: unknown;
    try {
      doc = JSON.parse(line);
    } catch (err) {
      this.problem(`not JSON (${(err as Error).message})`);
      return undefined;
    }
    const view =
      typeof doc === 'object' && doc !== null && !Array.isArray(doc)
        ? viewOf(doc as Record<string, unknown>)
        : undefined;
    if (view === undefined) this.problem('not an eqld alert document (no kibana.alert)');
    return view;
  }

  /** line numbers restart (a rotated or truncated file is read from its start) */
  restart(): void {
    this.lineNo = 0;
  }

  private problem(reason: string): void {
    this.problems.count++;
    if (this.problems.first.length < this.keep) this.problems.first.push(`line ${this.lineNo}: ${reason}`);
  }
}

/** Every alert of the file, in file order. */
export async function* readAlerts(path: string, parser = new AlertLineParser()): AsyncGenerator<AlertView> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const line of lines) {
    const v = parser.parse(line);
    if (v !== undefined) yield v;
  }
}

export type FindResult = { found: AlertView } | { ambiguous: string[] } | { notFound: true };

/** The alert whose id is `id` or starts with it (at least 6 characters); the same id seen again
 *  (an alert re-sent after a reconnect) is the same alert. */
export async function findAlert(path: string, id: string, parser?: AlertLineParser): Promise<FindResult> {
  const want = id.toLowerCase();
  const hits = new Map<string, AlertView>();
  for await (const v of readAlerts(path, parser)) {
    if (v.id === undefined) continue;
    if (v.id === want) return { found: v };
    if (v.id.startsWith(want) && !hits.has(v.id)) hits.set(v.id, v);
  }
  if (hits.size === 1) return { found: [...hits.values()][0] as AlertView };
  if (hits.size > 1) return { ambiguous: [...hits.keys()] };
  return { notFound: true };
}
