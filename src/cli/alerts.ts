// `eqld alerts [FILE]` and `eqld alerts show ID [FILE]`: wiring only. FILE defaults to the
// configured output.alerts_file, resolved as `eqld run` resolves it (--config, else
// /etc/eqld/eqld.toml); the work is in src/alerts/view/alerts-command.ts. Usage errors exit 2 with
// the reason on the first line; a file that cannot be read, an unknown id: 1.
import type { Argv, CommandModule } from 'yargs';
import { AlertFilterError, parseSince } from '../alerts/view/alert-filter.js';
import { ALERTS_EXIT, type AlertsIo, runAlertsList, runAlertsShow } from '../alerts/view/alerts-command.js';
import { styleFor } from '../alerts/view/style.js';
import { DEFAULT_CONFIG_PATH, loadConfig } from '../config/index.js';

class UsageError extends Error {}

function io(): AlertsIo {
  // a reader that stops early (`| head`) is not an error
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  return {
    out: (l) => process.stdout.write(`${l}\n`),
    err: (l) => process.stderr.write(`${l}\n`),
    style: styleFor(process.stdout),
  };
}

/** FILE, else output.alerts_file of the config `eqld run` would read */
function alertsFile(file: unknown, configPath: unknown): string {
  if (typeof file === 'string' && file !== '') return file;
  let configured: string | undefined;
  try {
    configured = loadConfig(typeof configPath === 'string' ? { path: configPath } : {}).config.output
      .alertsFile;
  } catch (err) {
    throw new UsageError(`no alerts file: the config does not load: ${(err as Error).message}`);
  }
  if (configured === undefined) {
    throw new UsageError(
      `no alerts file: name one (eqld alerts FILE), or set output.alerts_file in ${typeof configPath === 'string' ? configPath : DEFAULT_CONFIG_PATH}`,
    );
  }
  return configured;
}

const withFileOptions = (y: Argv) =>
  y
    .positional('file', {
      type: 'string',
      describe: 'alerts NDJSON file (default: output.alerts_file of the config)',
    })
    .option('config', {
      type: 'string',
      describe: 'config file naming output.alerts_file (default /etc/eqld/eqld.toml when it exists)',
    })
    .option('json', { type: 'boolean', default: false, describe: 'print alert documents as NDJSON' });

async function guarded(what: string, fn: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await fn();
  } catch (err) {
    process.stderr.write(`${what}: ${(err as Error).message}\n`);
    process.exitCode =
      err instanceof UsageError || err instanceof AlertFilterError ? ALERTS_EXIT.usage : ALERTS_EXIT.failed;
  }
}

const showCommand: CommandModule = {
  command: 'show <id> [file]',
  describe: 'Draw the process tree behind one alert (entry leader → … → process, matched events marked)',
  builder: (y) =>
    withFileOptions(y).positional('id', { type: 'string', describe: 'alert id, or its first 6+ characters' }),
  handler: (argv) =>
    guarded('eqld alerts show', async () => {
      const id = String(argv.id);
      if (!/^[0-9a-fA-F]{6,64}$/.test(id)) {
        throw new UsageError(
          `Expected an alert id (6 to 64 hex digits, as \`eqld alerts\` lists them), got \`${JSON.stringify(id).slice(1, -1)}\``,
        );
      }
      return await runAlertsShow(
        { file: alertsFile(argv.file, argv.config), id, json: argv.json === true },
        io(),
      );
    }),
};

export const alertsCommand: CommandModule = {
  command: 'alerts [file]',
  describe: 'List alerts from the alerts file as a table (time, rule, severity, host, process, destination)',
  builder: (y) =>
    withFileOptions(y)
      .command(showCommand)
      .option('since', {
        type: 'string',
        requiresArg: true,
        describe:
          'only alerts raised since then: a duration back from now (15m, 2h, 7d) or a time (2026-11-24T12:00:00Z)',
      })
      .option('rule', {
        type: 'string',
        array: true,
        requiresArg: true,
        describe: 'only alerts of this rule: its rule_id, or part of its name (any case); repeatable',
      })
      .option('follow', {
        alias: 'f',
        type: 'boolean',
        default: false,
        describe: 'keep printing alerts as they are written (follows rotation and truncation); Ctrl-C ends',
      })
      .epilog('Times are UTC. Exit status: 0 listed, 1 the file cannot be read, 2 usage error.'),
  handler: (argv) =>
    guarded('eqld alerts', async () => {
      const sinceMs = typeof argv.since === 'string' ? parseSince(argv.since, Date.now()) : undefined;
      const rules = ((argv.rule as unknown[] | undefined) ?? []).map(String);
      const file = alertsFile(argv.file, argv.config);
      const stop = new AbortController();
      if (argv.follow === true) {
        process.once('SIGINT', () => stop.abort());
        process.once('SIGTERM', () => stop.abort());
      }
      return await runAlertsList(
        {
          file,
          filter: { ...(sinceMs === undefined ? {} : { sinceMs }), rules },
          json: argv.json === true,
          follow: argv.follow === true,
          signal: stop.signal,
        },
        io(),
      );
    }),
};
