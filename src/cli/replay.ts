// `eqld replay FILE.ndjson|- [--rules PATH] [--tuning FILE.json]`: wiring only. Runs rules over
// recorded ECS events and prints the alert documents as NDJSON on stdout; rule errors and
// malformed lines are reported on stderr.
import { readFileSync } from 'node:fs';
import type { CommandModule } from 'yargs';
import { Detector } from '../alerts/detector.js';
import { DEFAULT_ORDER_WINDOW, OrderError, OrderedEvents } from '../alerts/ordered-events.js';
import { EventClock, replayEvent } from '../alerts/replay.js';
import { normalizeTuning } from '../alerts/tuning/config.js';
import { BUNDLED_RULES_DIR } from '../rules/bundled.js';
import { type EqlEngine, type EqlEvent, eqlEngine } from '../rules/engine.js';
import { loadRules } from '../rules/load-rules.js';
import { InputError, openLines, stdinDash } from './event-input.js';
import { createProgress, type Progress } from './progress.js';
import { numberFlag } from './usage-error.js';

export interface ReplayIo {
  /** NDJSON lines, read as they come (a file or standard input) */
  lines: AsyncIterable<string> | Iterable<string>;
  out: (line: string) => void;
  err: (line: string) => void;
  progress?: Progress;
  /** events held to sort input that is locally out of order (OrderedEvents) */
  sortWindow?: number;
}

export async function runReplay(
  rulesPaths: readonly string[],
  tuningJson: string | undefined,
  io: ReplayIo,
  engine?: EqlEngine,
): Promise<number> {
  const { compileQuery, createMatcher } = engine ?? eqlEngine;
  const loaded = loadRules(rulesPaths.length > 0 ? rulesPaths : [BUNDLED_RULES_DIR], {
    compile: compileQuery,
  });
  for (const e of loaded.errors) io.err(`eqld replay: rule skipped: ${e.message}`);
  for (const w of [...loaded.warnings, ...loaded.rules.flatMap((r) => r.warnings ?? [])])
    io.err(`eqld replay: warning: ${w.message}`);
  const tuning = normalizeTuning(tuningJson === undefined ? undefined : JSON.parse(tuningJson));
  const clock = new EventClock();
  const detector = new Detector(loaded.rules, tuning, {
    createMatcher: (cq) => createMatcher(cq),
    now: clock.now,
  });
  const ordered = new OrderedEvents(io.sortWindow ?? DEFAULT_ORDER_WINDOW);
  let alerts = 0;
  const emit = (records: readonly { document: unknown }[]) => {
    for (const a of records) io.out(JSON.stringify(a.document));
    alerts += records.length;
  };
  const feed = (events: readonly EqlEvent[]) => {
    for (const e of events) emit(replayEvent(e, detector, clock));
    io.progress?.update(ordered.stats.events, alerts);
  };
  try {
    for await (const line of io.lines) feed(ordered.push(line));
    feed(ordered.end());
  } catch (err) {
    io.progress?.done();
    if (err instanceof OrderError || err instanceof InputError) {
      io.err(`eqld replay: ${err.message}`);
      return 2;
    }
    throw err;
  }
  io.progress?.done();
  emit(detector.flush());
  const parsed = ordered.stats;
  if (parsed.malformed > 0) {
    io.err(`eqld replay: ${parsed.malformed} malformed line(s) skipped`);
    for (const p of parsed.problems) io.err(`  ${p}`);
  }
  io.err(
    `eqld replay: ${parsed.events} events, ${alerts} alert record(s), ${loaded.rules.length} rules loaded`,
  );
  return loaded.rules.length === 0 && loaded.errors.length > 0 ? 1 : 0;
}

export const replayCommand: CommandModule = {
  command: 'replay <file>',
  describe: 'Run rules over recorded ECS events (NDJSON, - for stdin) and print alerts as NDJSON',
  builder: (y) =>
    y
      .positional('file', {
        type: 'string',
        coerce: stdinDash,
        describe: 'NDJSON file of ECS events, or - for stdin',
      })
      .option('rules', {
        type: 'string',
        array: true,
        describe: 'rule files, Kibana rule exports (NDJSON) or directories (default: bundled rules/)',
      })
      .option('tuning', { type: 'string', requiresArg: true, describe: 'tuning config (JSON)' })
      .option('sort-window', {
        type: 'number',
        default: DEFAULT_ORDER_WINDOW,
        coerce: numberFlag('sort-window', { min: 1, integer: true }),
        describe:
          'events held to put input in @timestamp order as it streams; input out of order by more is an error (sort it first)',
      }),
  handler: async (argv) => {
    const file = String(argv.file);
    try {
      const tuning = argv.tuning === undefined ? undefined : readFileSync(String(argv.tuning), 'utf8');
      const lines = await openLines(file);
      process.exitCode = await runReplay(((argv.rules as string[] | undefined) ?? []).map(String), tuning, {
        lines,
        out: (l) => process.stdout.write(`${l}\n`),
        err: (l) => process.stderr.write(`${l}\n`),
        progress: createProgress('eqld replay', 'alerts'),
        sortWindow: argv['sort-window'] as number,
      });
    } catch (err) {
      process.stderr.write(`eqld replay: ${(err as Error).message}\n`);
      process.exitCode = 2;
    }
  },
};
