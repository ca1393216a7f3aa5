// `eqld query 'EQL' [FILE.ndjson|-]`: wiring only. Runs an ad-hoc EQL query over NDJSON events
// (JSON objects with @timestamp, event.category and optionally event.sequence as tiebreaker) and
// prints the results as NDJSON in Elasticsearch's order (query-output.ts): for an event query each
// matching event unchanged; for a sequence or sample one {"join_keys": [...], "events": [...]} per
// result (like hits.sequences), events in stage order, {"missing": true} for a missing-event stage.
// A bad query exits 2 with the positioned error.
import { readFileSync } from 'node:fs';
import type { CommandModule } from 'yargs';
import { parseEventLines } from '../alerts/replay.js';
import { compileQuery, createMatcher, EqlError, type Match } from '../eql/index.js';
import { formatResults } from './query-output.js';

export interface QueryIo {
  input: string;
  out: (line: string) => void;
  err: (line: string) => void;
}

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
  // pipes are applied to the results in Elasticsearch's order, after the run (formatResults)
  const matcher = createMatcher({ ...cq, pipes: [] });
  const found: Match[] = [];
  for (const e of parsed.events) found.push(...matcher.push(e));
  found.push(...matcher.flush());
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
