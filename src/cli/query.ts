// `eqld query 'EQL' [FILE.ndjson|-]`: wiring only. Runs an ad-hoc EQL query over NDJSON events
// (JSON objects with @timestamp, event.category and optionally event.sequence as tiebreaker) and
// prints the results as NDJSON in Elasticsearch's order: for an event query each matching event
// unchanged; for a sequence or sample one {"join_keys": [...], "events": [...]} per result (like
// hits.sequences), events in stage order. A bad query exits 2 with the positioned error.
import { readFileSync } from 'node:fs';
import type { CommandModule } from 'yargs';
import { parseEventLines } from '../alerts/replay.js';
import { compileQuery, createMatcher, EqlError, type Match } from '../eql/index.js';

export interface QueryIo {
  input: string;
  out: (line: string) => void;
  err: (line: string) => void;
}

const lastOrdinal = (m: Match) => m.events[m.events.length - 1] as Match['events'][number];

export function runQuery(query: string, io: QueryIo): number {
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
  const parsed = parseEventLines(io.input.split('\n'));
  if (parsed.malformed > 0) {
    io.err(`eqld query: ${parsed.malformed} malformed line(s) skipped`);
    for (const p of parsed.problems) io.err(`  ${p}`);
  }
  const matcher = createMatcher(cq);
  const found: Match[] = [];
  for (const e of parsed.events) found.push(...matcher.push(e));
  found.push(...matcher.flush());
  if (cq.kind === 'event') {
    for (const m of found) io.out(JSON.stringify(m.events[0]?.doc));
  } else {
    // Elasticsearch orders sequences by the ordinal of their last event (Sequence.compareTo)
    if (cq.kind === 'sequence')
      found.sort((a, b) => {
        const x = lastOrdinal(a);
        const y = lastOrdinal(b);
        return x.timestamp - y.timestamp || x.sequence - y.sequence;
      });
    for (const m of found)
      io.out(JSON.stringify({ join_keys: m.joinKeys, events: m.events.map((e) => e.doc) }));
  }
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
      }),
  handler: (argv) => {
    const file = String(argv.file ?? '-');
    let input: string;
    try {
      input = readFileSync(file === '-' ? 0 : file, 'utf8');
    } catch (err) {
      process.stderr.write(`eqld query: cannot read ${file}: ${(err as Error).message}\n`);
      process.exitCode = 2;
      return;
    }
    process.exitCode = runQuery(String(argv.query), {
      input,
      out: (l) => process.stdout.write(`${l}\n`),
      err: (l) => process.stderr.write(`${l}\n`),
    });
  },
};
