#!/usr/bin/env -S node --max-semi-space-size=1
// eqld's command line: yargs wiring only. Each subcommand lives in its own file and calls
// into the library; nothing here does work of its own.
// The shebang caps V8's young generation at 1 MiB per semi-space (default 16): the agent's
// events live for milliseconds, and the default lets RSS grow by ~25 MiB of nursery (see
// docs/operations.md, "Memory"). Run it as an executable (`dist/cli/main.js`, or the installed
// /usr/local/bin/eqld) for the flag to apply.
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

await yargs(hideBin(process.argv))
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
  .demandCommand(1, 'Name a command; see eqld --help.')
  .strict()
  .help()
  .alias('h', 'help')
  .version()
  .parseAsync();
