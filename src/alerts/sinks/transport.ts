// What a destination looks like to the delivery loop (spooled-sink.ts): send one record and say
// whether it got there as far as the sender can tell. Transports do not queue, spool or retry.
import type { AlertRecord } from '../alert-record.js';

export interface Transport {
  readonly name: string;
  /** syslog transports skip records marked skipSyslog and spool records without the document */
  readonly syslog: boolean;
  /** how long a record sent without error may still be lost unseen (receiver died with it queued);
   *  records sent within this window are re-sent after a detected failure (0: never) */
  readonly resendWindowMs: number;
  /** resolves once the record is handed to the destination; rejects on any failure it can detect */
  send(alert: AlertRecord): Promise<void>;
  /** registers a callback for a failure noticed between sends (peer closed the connection) */
  onDown(cb: (err: Error) => void): void;
  /** file transports: reopen the path (logrotate moved the file) */
  reopen(): Promise<void>;
  close(): Promise<void>;
}

export class TransportError extends Error {
  override readonly name = 'TransportError';
  constructor(
    readonly transport: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${transport}: ${message}`, options);
  }
}
