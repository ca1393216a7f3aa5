#!/usr/bin/env -S MALLOC_TRIM_THRESHOLD_=65536 MALLOC_TOP_PAD_=0 node --max-semi-space-size=1 --heap-growing-percent=20 --no-memory-reducer --interrupt-budget=32768
// eqld's command line: yargs wiring only. Each subcommand lives in its own file and calls
// into the library; nothing here does work of its own.
// The shebang caps V8's young generation at 1 MiB per semi-space (default 16): the agent's
// events live for milliseconds, and the default lets RSS grow by ~25 MiB of nursery (see
// docs/operations.md, "Memory"); the last two keep node's optimized code through quiet spells
// and re-optimize it sooner at low event rates (docs/operations.md, "Tiering"). Run it as an
// executable (`dist/cli/main.js`, or the installed /usr/local/bin/eqld) for the flags to apply.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { alertsCommand } from './alerts.js';
import { collectCommand } from './collect.js';
import { doctorCommand } from './doctor.js';
import { eventsCommand } from './events.js';
import { queryCommand } from './query.js';
import { replayCommand } from './replay.js';
import { rulesCommand } from './rules.js';
import { runCommand } from './run.js';
import { commandName, USAGE_EXIT, usageLines } from './usage-error.js';

const args = hideBin(process.argv);
const COMMANDS = ['run', 'doctor', 'collect', 'events', 'query', 'replay', 'rules', 'alerts'];

await yargs(args)
  .scriptName('eqld')
  .usage(
    '$0 <command> [options]\n\nRuns Elastic EQL detection rules on this Linux host from live eBPF telemetry.',
  )
  .command(runCommand)
  .command(doctorCommand)
  .command(collectCommand)
  .command(eventsCommand)
  .command(queryCommand)
  .command(replayCommand)
  .command(rulesCommand)
  .command(alertsCommand)
  .demandCommand(1, 'Name a command (run, doctor, collect, events, query, replay, rules, alerts).')
  .strict()
  // flags are read by their dashed names; without this an unknown flag is reported twice
  .parserConfiguration({ 'camel-case-expansion': false })
  .updateStrings({
    'Invalid values:': 'Invalid value:',
    'Argument: %s, Given: %s, Choices: %s': '--%s got %s; expected one of %s',
  })
  .fail((msg, err) => {
    // a usage error (yargs validation, a flag's coerce): reason first, exit 2
    if (msg || err?.name === 'YError') {
      const name = commandName(args, COMMANDS);
      for (const l of usageLines(name, msg ?? err?.message ?? 'bad usage')) process.stderr.write(`${l}\n`);
      process.exit(USAGE_EXIT);
    }
    // anything else is a bug in a handler: keep the stack, exit 1
    throw err;
  })
  .help()
  .alias('h', 'help')
  .version()
  .parseAsync();
