// `--events-file`: every ECS event as one JSON line, for Filebeat / Elastic Agent into
// logs-endpoint.events.*. Written through a stream so a slow disk never blocks the event loop;
// when more than `maxBufferedBytes` wait to be written, further events are dropped and counted
// (the health line shows it) rather than growing memory without bound — detection does not depend
// on this file. reopen() starts a new file at the same path after logrotate moved the old one.
import { createWriteStream, type WriteStream } from 'node:fs';
import type { Logger } from 'pino';

export interface EventFileOptions {
  path: string;
  mode: number;
  logger: Logger;
  maxBufferedBytes?: number;
}

export class EventFile {
  private stream: WriteStream;
  private written = 0;
  private dropped = 0;
  private errors = 0;
  private readonly maxBuffered: number;

  constructor(private readonly opts: EventFileOptions) {
    this.maxBuffered = opts.maxBufferedBytes ?? 64 * 1024 * 1024;
    this.stream = this.open();
  }

  private open(): WriteStream {
    const s = createWriteStream(this.opts.path, { flags: 'a', mode: this.opts.mode });
    s.on('error', (err) => {
      this.errors++;
      this.opts.logger.error({ err, path: this.opts.path }, 'events file write failed');
    });
    return s;
  }

  write(doc: Record<string, unknown>): void {
    if (this.stream.writableLength > this.maxBuffered) {
      this.dropped++;
      return;
    }
    this.stream.write(`${JSON.stringify(doc)}\n`);
    this.written++;
  }

  async reopen(): Promise<void> {
    const old = this.stream;
    this.stream = this.open();
    await new Promise<void>((resolve) => old.end(resolve));
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.stream.end(resolve));
  }

  stats(): { written: number; dropped: number; errors: number } {
    return { written: this.written, dropped: this.dropped, errors: this.errors };
  }
}
