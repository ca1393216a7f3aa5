// NDJSON on stdout: the full ECS alert document, one line each, for consoles and pipelines.
// Resolves when the stream accepted the line (callback of write), so a blocked pipe holds records
// in the spool rather than in memory.
import type { Writable } from 'node:stream';
import type { AlertRecord } from '../../alert-record.js';
import { type Transport, TransportError } from '../transport.js';

export class StdoutTransport implements Transport {
  readonly name = 'stdout';
  readonly syslog = false;
  readonly resendWindowMs = 0;

  constructor(private readonly out: Writable = process.stdout) {
    // a closed pipe (EPIPE) also emits 'error' on the stream; without a listener that would end
    // the agent. The failure is seen through the write callback and the record stays spooled.
    if (typeof out.on === 'function') out.on('error', () => {});
  }

  send(alert: AlertRecord): Promise<void> {
    return new Promise((resolve, reject) => {
      this.out.write(`${JSON.stringify(alert.document)}\n`, (err) =>
        err ? reject(new TransportError(this.name, err.message, { cause: err })) : resolve(),
      );
    });
  }

  onDown(): void {}
  async reopen(): Promise<void> {}
  async close(): Promise<void> {}
}
