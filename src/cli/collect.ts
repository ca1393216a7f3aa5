// `eqld collect [--duration S] [--format ndjson] [--argv-bytes N]`: wiring only. Starts the
// collector and prints raw events as NDJSON on stdout until the duration ends or
// SIGINT/SIGTERM; logs (pino JSON) go to stderr.
import pino from 'pino';
import type { CommandModule } from 'yargs';
import {
  Collector,
  DEFAULT_ARGV_BYTES,
  DEFAULT_FILE_EVENTS_PER_SECOND,
  rawEventToJson,
} from '../collector/index.js';
import { LOG_LEVELS } from '../config/schema.js';
import { streamUntilStopped } from './stream-until-stopped.js';
import { numberFlag } from './usage-error.js';

export const collectCommand: CommandModule = {
  command: 'collect',
  describe:
    'Print raw kernel events (exec, fork, exit, connect, accept, disconnect, setsid, setuid, setgid, setpgid, chdir, module, file, lost, gap) as NDJSON',
  builder: (y) =>
    y
      .option('duration', {
        type: 'number',
        coerce: numberFlag('duration', { min: 0.001 }),
        describe: 'stop after S seconds (default: until SIGINT/SIGTERM)',
      })
      .option('format', { choices: ['ndjson'], default: 'ndjson', describe: 'output format' })
      .option('argv-bytes', {
        type: 'number',
        default: DEFAULT_ARGV_BYTES,
        coerce: numberFlag('argv-bytes', { min: 64, max: 8192, integer: true }),
        describe: 'argv bytes captured per exec',
      })
      .option('reorder-window', {
        type: 'number',
        default: 25,
        coerce: numberFlag('reorder-window', { min: 0, max: 1000, integer: true }),
        describe: 'reorder window, ms',
      })
      .option('file-events', {
        type: 'boolean',
        default: true,
        describe: 'file creation, rename and deletion events (--no-file-events: off)',
      })
      .option('file-events-per-second', {
        type: 'number',
        default: DEFAULT_FILE_EVENTS_PER_SECOND,
        coerce: numberFlag('file-events-per-second', { min: 1, integer: true }),
        describe: 'file events reported per second at most (the rest are counted as dropped)',
      })
      .option('include-self', {
        type: 'boolean',
        default: false,
        describe: "also report eqld's and bpftrace's own events",
      })
      .option('log-level', { choices: LOG_LEVELS, default: 'info', describe: 'log level (JSON on stderr)' }),
  handler: async (argv) => {
    const logger = pino({ level: String(argv['log-level']) }, pino.destination(2));
    const collector = new Collector({
      logger,
      argvBytes: argv['argv-bytes'] as number,
      reorderWindowMs: argv['reorder-window'] as number,
      excludeSelf: !argv['include-self'],
      ...(argv['file-events']
        ? { fileEvents: { eventsPerSecond: argv['file-events-per-second'] as number } }
        : {}),
    });
    collector.onEvent((e) => process.stdout.write(`${rawEventToJson(e)}\n`));
    await streamUntilStopped({
      name: 'eqld collect',
      logger,
      durationS: argv.duration as number | undefined,
      start: async () => {
        await collector.start();
        logger.info({ bpftracePid: collector.bpftracePid }, 'collecting');
      },
      stop: async () => {
        await collector.stop();
        logger.info({ stats: collector.stats() }, 'collector stopped');
      },
    });
  },
};
