// `eqld query 'EQL' [FILE.ndjson|-]`: wiring only. Runs an ad-hoc EQL query over NDJSON events
// (JSON objects with @timestamp, event.category and optionally event.sequence as tiebreaker) and
// prints the results as NDJSON in Elasticsearch's order (query-output.ts): for an event query each
// matching event unchanged (as it streams, unless a pipe needs the whole result); for a sequence or
// sample one {"join_keys": [...], "events": [...]} per result (like hits.sequences), events in
// stage order, {"missing": true} for a missing-event stage. A bad query exits 2 with the
// positioned error.
import type { CommandModule } from 'yargs';
import { DEFAULT_ORDER_WINDOW, OrderError, OrderedEvents } from '../alerts/ordered-events.js';
import { compileQuery, createMatcher, EqlError, type Match } from '../eql/index.js';
import type { EqlEvent } from '../rules/engine.js';
import { InputError, openLines, stdinDash } from './event-input.js';
import { createProgress, type Progress } from './progress.js';
import { formatResults } from './query-output.js';
import { numberFlag } from './usage-error.js';

export interface QueryIo {
  /** NDJSON lines, read as they come (a file or standard input) */
  lines: AsyncIterable<string> | Iterable<string>;
  out: (line: string) => void;
  err: (line: string) => void;
  progress?: Progress;
  /** events held to sort input that is locally out of order (OrderedEvents) */
  sortWindow?: number;
}

export async function runQuery(query: string, io: QueryIo): Promise<number> {
  let cq: ReturnType<typeof compileQuery>;
  try {
    cq = compileQuery(query);
  } catch (err) {
    if (err instanceof EqlError) {
      io.err(`eqld query: ${err.message}`);
      return 2;
    }
    throw err;
  }
  // pipes are applied to the results in Elasticsearch's order, after the run (formatResults)
  const matcher = createMatcher({ ...cq, pipes: [] });
  const found: Match[] = [];
  let results = 0;
  // an event query without pipes prints as it goes; anything else is ordered at the end
  const streaming = cq.kind === 'event' && cq.pipes.length === 0;
  const take = (ms: readonly Match[]) => {
    if (streaming) for (const m of ms) io.out(JSON.stringify(m.events[0]?.doc));
    else found.push(...ms);
    results += ms.length;
  };
  const ordered = new OrderedEvents(io.sortWindow ?? DEFAULT_ORDER_WINDOW);
  const feed = (events: readonly EqlEvent[]) => {
    for (const e of events) take(matcher.push(e));
    io.progress?.update(ordered.stats.events, results);
  };
  try {
    for await (const line of io.lines) feed(ordered.push(line));
    feed(ordered.end());
  } catch (err) {
    io.progress?.done();
    if (err instanceof OrderError || err instanceof InputError) {
      io.err(`eqld query: ${err.message}`);
      return 2;
    }
    throw err;
  }
  io.progress?.done();
  const parsed = ordered.stats;
  if (parsed.malformed > 0) {
    io.err(`eqld query: ${parsed.malformed} malformed line(s) skipped`);
    for (const p of parsed.problems) io.err(`  ${p}`);
  }
  take(matcher.flush());
  for (const line of formatResults(cq, found)) io.out(line);
  return 0;
}

export const queryCommand: CommandModule = {
  command: 'query <query> [file]',
  describe:
    'Run an EQL query over ECS events (NDJSON file, or - / nothing for stdin); print matches as NDJSON',
  builder: (y) =>
    y
      .positional('query', {
        type: 'string',
        describe: 'EQL query, e.g. \'process where process.name == "nc"\'',
      })
      .positional('file', {
        type: 'string',
        describe: 'NDJSON file of events, or - for stdin',
        default: '-',
        coerce: stdinDash,
      })
      .option('sort-window', {
        type: 'number',
        default: DEFAULT_ORDER_WINDOW,
        coerce: numberFlag('sort-window', { min: 1, integer: true }),
        describe:
          'events held to put input in @timestamp order as it streams; input out of order by more is an error (sort it first)',
      }),
  handler: async (argv) => {
    const file = String(argv.file ?? '-');
    try {
      const lines = await openLines(file);
      process.exitCode = await runQuery(String(argv.query), {
        lines,
        out: (l) => process.stdout.write(`${l}\n`),
        err: (l) => process.stderr.write(`${l}\n`),
        progress: createProgress('eqld query', 'matches'),
        sortWindow: argv['sort-window'] as number,
      });
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      process.stderr.write(`eqld query: ${err.message}\n`);
      process.exitCode = 2;
    }
  },
};
