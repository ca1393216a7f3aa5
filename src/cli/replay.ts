// `eqld replay FILE.ndjson|- [--rules PATH] [--tuning FILE.json]`: wiring only. Runs rules over
// recorded ECS events and prints the alert documents as NDJSON on stdout; rule errors and
// malformed lines are reported on stderr.
import { readFileSync } from 'node:fs';
import type { CommandModule } from 'yargs';
import { Detector } from '../alerts/detector.js';
import { EventClock, parseEventLines, replay } from '../alerts/replay.js';
import { normalizeTuning } from '../alerts/tuning/config.js';
import { BUNDLED_RULES_DIR } from '../rules/bundled.js';
import { type EqlEngine, eqlEngine } from '../rules/engine.js';
import { loadRules } from '../rules/load-rules.js';

export interface ReplayIo {
  input: string;
  out: (line: string) => void;
  err: (line: string) => void;
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
  const parsed = parseEventLines(io.input.split('\n'));
  if (parsed.malformed > 0) {
    io.err(`eqld replay: ${parsed.malformed} malformed line(s) skipped`);
    for (const p of parsed.problems) io.err(`  ${p}`);
  }
  const alerts = replay(parsed.events, detector, clock);
  for (const a of alerts) io.out(JSON.stringify(a.document));
  io.err(
    `eqld replay: ${parsed.events.length} events, ${alerts.length} alert record(s), ${loaded.rules.length} rules loaded`,
  );
  return loaded.rules.length === 0 && loaded.errors.length > 0 ? 1 : 0;
}

export const replayCommand: CommandModule = {
  command: 'replay <file>',
  describe: 'Run rules over recorded ECS events (NDJSON, - for stdin) and print alerts as NDJSON',
  builder: (y) =>
    y
      .positional('file', { type: 'string', describe: 'NDJSON file of ECS events, or - for stdin' })
      .option('rules', {
        type: 'string',
        array: true,
        describe: 'rule files, Kibana rule exports (NDJSON) or directories (default: bundled rules/)',
      })
      .option('tuning', { type: 'string', requiresArg: true, describe: 'tuning config (JSON)' }),
  handler: async (argv) => {
    const file = String(argv.file);
    try {
      const input = readFileSync(file === '-' ? 0 : file, 'utf8');
      const tuning = argv.tuning === undefined ? undefined : readFileSync(String(argv.tuning), 'utf8');
      process.exitCode = await runReplay(((argv.rules as string[] | undefined) ?? []).map(String), tuning, {
        input,
        out: (l) => process.stdout.write(`${l}\n`),
        err: (l) => process.stderr.write(`${l}\n`),
      });
    } catch (err) {
      process.stderr.write(`eqld replay: ${(err as Error).message}\n`);
      process.exitCode = 2;
    }
  },
};
