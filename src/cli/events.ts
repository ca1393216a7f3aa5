// `eqld events [--duration S] [--udp-connects]`: wiring only. Collector -> normalizer -> ECS
// NDJSON on stdout (the telemetry tap to pipe into jq or ship with Filebeat); logs (pino JSON)
// and final stats go to stderr. Events that arrive while /proc is being read are held and
// replayed after the seed, so processes started during start-up are not missed.
import pino from 'pino';
import type { CommandModule } from 'yargs';
import {
  Collector,
  DEFAULT_ARGV_BYTES,
  DEFAULT_FILE_EVENTS_PER_SECOND,
  type RawEvent,
} from '../collector/index.js';
import { LOG_LEVELS } from '../config/schema.js';
import { Normalizer, readHostInfo } from '../normalize/index.js';
import { streamUntilStopped } from './stream-until-stopped.js';
import { numberFlag } from './usage-error.js';

export const eventsCommand: CommandModule = {
  command: 'events',
  describe: 'Print normalized ECS events (Elastic Defend shape) as NDJSON',
  builder: (y) =>
    y
      .option('duration', {
        type: 'number',
        coerce: numberFlag('duration', { min: 0.001 }),
        describe: 'stop after S seconds (default: until SIGINT/SIGTERM)',
      })
      .option('udp-connects', {
        type: 'boolean',
        default: false,
        describe: 'also report UDP connect() calls as connection_attempted',
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
        describe: "also report eqld's and bpftrace's own processes",
      })
      .option('argv-bytes', {
        type: 'number',
        default: DEFAULT_ARGV_BYTES,
        coerce: numberFlag('argv-bytes', { min: 64, max: 8192, integer: true }),
        describe: 'argv bytes captured per exec',
      })
      .option('max-processes', {
        type: 'number',
        default: 65_536,
        coerce: numberFlag('max-processes', { min: 1024, integer: true }),
        describe: 'process table cap',
      })
      .option('log-level', { choices: LOG_LEVELS, default: 'info', describe: 'log level (JSON on stderr)' }),
  handler: async (argv) => {
    const logger = pino({ level: String(argv['log-level']) }, pino.destination(2));
    const includeSelf = argv['include-self'] as boolean;
    let host: Awaited<ReturnType<typeof readHostInfo>>;
    try {
      host = await readHostInfo();
    } catch (error) {
      process.stderr.write(`eqld events: ${(error as Error).message}\n`);
      process.exitCode = 1;
      return;
    }
    const collector = new Collector({
      logger: logger.child({ stage: 'collector' }),
      argvBytes: argv['argv-bytes'] as number,
      excludeSelf: !includeSelf,
      ...(argv['file-events']
        ? { fileEvents: { eventsPerSecond: argv['file-events-per-second'] as number } }
        : {}),
    });
    const normalizer = new Normalizer({
      host,
      logger: logger.child({ stage: 'normalize' }),
      udpConnects: argv['udp-connects'] as boolean,
      maxProcesses: argv['max-processes'] as number,
      excludePids: includeSelf ? () => false : (pid) => collector.isSelfPid(pid),
    });
    let stopping = false;
    normalizer.onEvent((e) => {
      if (!stopping) process.stdout.write(`${JSON.stringify(e.doc)}\n`);
    });
    let held: RawEvent[] | undefined = [];
    collector.onEvent((r) => {
      if (held) held.push(r);
      else normalizer.push(r);
    });
    const ticker = setInterval(() => normalizer.tick(), 1_000);
    await streamUntilStopped({
      name: 'eqld events',
      logger,
      durationS: argv.duration as number | undefined,
      start: async () => {
        await collector.start();
        await normalizer.seedFromProc();
        const backlog = held ?? [];
        held = undefined;
        for (const r of backlog) normalizer.push(r);
        logger.info(
          { bpftracePid: collector.bpftracePid, seededBacklog: backlog.length },
          'streaming events',
        );
      },
      stop: async () => {
        stopping = true;
        clearInterval(ticker);
        await collector.stop();
        logger.info({ collector: collector.stats(), normalizer: normalizer.stats() }, 'stopped');
      },
    });
  },
};
