// The run loop shared by the streaming commands (`eqld collect`, `eqld events`): start, then
// stream until the duration ends, SIGINT/SIGTERM arrives or stdout is closed (`| head`), then stop
// once. A start failure is printed as one line and exits with status 1.
import type { Logger } from 'pino';

export interface StreamOptions {
  /** command name for messages (`eqld collect`) */
  name: string;
  logger: Logger;
  /** seconds; undefined streams until a signal */
  durationS?: number;
  start: () => Promise<void>;
  stop: () => Promise<void>;
}

export async function streamUntilStopped(opts: StreamOptions): Promise<void> {
  let stopping: Promise<void> | undefined;
  let release: () => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    release = resolve;
  });
  const stop = (why: string): Promise<void> => {
    stopping ??= (async () => {
      opts.logger.info({ why }, 'stopping');
      await opts.stop();
      release();
    })();
    return stopping;
  };
  // a closed stdout ends the stream instead of crashing on EPIPE
  process.stdout.on('error', () => void stop('stdout closed'));
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  try {
    await opts.start();
  } catch (error) {
    process.stderr.write(`${opts.name}: ${(error as Error).message}\n`);
    process.exitCode = 1;
    await stop('start failed');
    return;
  }
  if (opts.durationS !== undefined) setTimeout(() => void stop('duration elapsed'), opts.durationS * 1000);
  await stopped;
}
