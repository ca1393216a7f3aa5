// One destination with its own on-disk spool and delivery loop. write() appends the record to the
// spool (durably) and returns, so a slow or dead destination never holds up the caller or the
// other sinks; the loop sends spooled records strictly in order, one at a time, and retries with
// back-off after a failure. Records the transport accepted within its resend window (a receiver
// that died with them still queued cannot be told apart from one that read them) are sent again
// after a detected failure, with the same alert id: at-least-once, duplicates recognizable.
// A record counts as delivered (spool cursor moves) once it leaves that window or the transport
// closed cleanly. Spool full: the new record is refused, counted and logged at error level.
// The express path: a record written to a sink that is up and has nothing else to send (no
// record queued, unread in the spool or being appended, no send running) is sent at once, while
// the spool appends it, instead of after the append's fdatasync and a read back from the spool
// (under a connect storm on 2 vCPUs those thread-pool round trips made the tail of detection
// latency). It is still spooled: if the send fails, the loop sends it from the spool like any
// other; if it succeeds, the spool's reader skips it and it enters the resend window as sent.
// write() still resolves once the spool has it, never waiting for the destination.
import type pino from 'pino';
import type { AlertRecord, AlertSink } from '../alert-record.js';
import type { SegmentSpool, SpoolEntry } from '../spool/segment-spool.js';
import { SpoolFullError } from '../spool/spool-error.js';
import { Backoff } from './backoff.js';
import type { Transport } from './transport.js';

export interface SinkCounters {
  /** records handed to the destination (re-sends included) */
  sent: number;
  /** failed send attempts */
  failed: number;
  /** records accepted into the spool */
  spooled: number;
  /** records refused because the spool was full or unwritable */
  dropped: number;
  /** records sent again after a failure (possible duplicates, same alert id) */
  resent: number;
  /** records found in the spool at start and queued again */
  replayed: number;
  spoolDepth: number;
  spoolBytes: number;
  /** records held in memory (read from the spool for sending, or in the resend window) */
  buffered: number;
  up: boolean;
  lastError?: string;
}

/** records read from the spool per batch: memory holds this many, not the whole backlog */
const READ_BATCH = 256;

interface Queued {
  entry: SpoolEntry<AlertRecord>;
  record: AlertRecord;
  sentAt: number;
}

/** a rejection as a value, so the express path can await a send and an append together */
const asError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));

/** What a syslog transport needs of a record: everything but the (large) ECS document. */
function projection(t: Transport, alert: AlertRecord): AlertRecord {
  return t.syslog ? { ...alert, document: {} } : alert;
}

export class SpooledSink implements AlertSink {
  readonly name: string;
  private readonly queue: Queued[] = [];
  private inflight: Queued[] = [];
  private readonly backoff = new Backoff();
  private readonly counters: SinkCounters = {
    sent: 0,
    failed: 0,
    spooled: 0,
    dropped: 0,
    resent: 0,
    replayed: 0,
    spoolDepth: 0,
    spoolBytes: 0,
    buffered: 0,
    up: true,
  };
  private pumping: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private settleTimer: NodeJS.Timeout | undefined;
  private cursorTimer: NodeJS.Timeout | undefined;
  private closing = false;
  private spoolClosed = false;
  private lastDropLog = 0;
  private dropsSinceLog = 0;
  private drainWaiters: (() => void)[] = [];
  /** an express send with its append, until both are done; the loop waits for it */
  private express: Promise<void> | undefined;
  private kickAfterExpress = false;

  constructor(
    readonly transport: Transport,
    private readonly spool: SegmentSpool<AlertRecord>,
    private readonly logger: pino.Logger,
  ) {
    this.name = transport.name;
    transport.onDown((err) => this.failed(err));
  }

  get syslog(): boolean {
    return this.transport.syslog;
  }

  /** Opens the spool and queues what a previous run left undelivered. */
  async start(): Promise<void> {
    const left = await this.spool.open();
    this.counters.replayed = left.records;
    if (left.records > 0) {
      this.logger.warn(
        { sink: this.name, records: left.records },
        'replaying alerts spooled by a previous run',
      );
    }
    this.kick();
  }

  /** Spools the record. While close() runs the spool still takes it (it goes out at the next
   *  start); only once the spool itself is closed is a record refused. */
  async write(alert: AlertRecord): Promise<void> {
    if (this.spoolClosed) throw new Error(`sink ${this.name} is closed`);
    if (this.expressOpen()) return this.writeExpress(alert);
    try {
      await this.spool.append(projection(this.transport, alert));
      this.counters.spooled++;
    } catch (err) {
      this.counters.dropped++;
      this.reportDrop(alert, err);
      return;
    }
    this.kick();
  }

  /** nothing else to send, so a record sent now is sent in order */
  private expressOpen(): boolean {
    return (
      this.counters.up &&
      !this.closing &&
      this.express === undefined &&
      this.pumping === undefined &&
      this.queue.length === 0 &&
      !this.spool.hasUnread() &&
      !this.spool.appending
    );
  }

  private async writeExpress(alert: AlertRecord): Promise<void> {
    const record = projection(this.transport, alert);
    const appended = this.spool.append(record).then((entry) => {
      this.counters.spooled++;
      return entry;
    }, asError);
    const sent = this.transport.send(record).then(() => undefined, asError);
    this.express = this.finishExpress(alert, record, appended, sent);
    await appended;
  }

  private async finishExpress(
    alert: AlertRecord,
    record: AlertRecord,
    appended: Promise<SpoolEntry<AlertRecord> | Error>,
    sent: Promise<Error | undefined>,
  ): Promise<void> {
    const [entry, sendError] = await Promise.all([appended, sent]);
    this.express = undefined;
    if (sendError === undefined) {
      this.counters.sent++;
      this.backoff.reset();
      // delivered (also when the spool refused it: nothing to replay then); the spool's reader
      // must not hand it out again, and it waits out the resend window like any record sent
      if (!(entry instanceof Error) && this.spool.skip(entry)) {
        this.inflight.push({ entry, record, sentAt: Date.now() });
        this.settle();
      }
    } else {
      if (entry instanceof Error) {
        this.counters.dropped++;
        this.reportDrop(alert, entry);
      }
      this.failed(sendError); // the loop sends it from the spool
    }
    if (this.kickAfterExpress || this.pending()) {
      this.kickAfterExpress = false;
      this.kick();
    }
    if (!this.pending()) for (const w of this.drainWaiters.splice(0)) w();
  }

  private reportDrop(alert: AlertRecord, err: unknown): void {
    this.dropsSinceLog++;
    const now = Date.now();
    if (now - this.lastDropLog < 10_000) return;
    this.lastDropLog = now;
    this.logger.error(
      {
        sink: this.name,
        alertId: alert.id,
        dropped: this.dropsSinceLog,
        droppedTotal: this.counters.dropped,
        err: (err as Error).message,
        full: err instanceof SpoolFullError,
      },
      'ALERTS LOST: spool refused records (newest are dropped, spooled ones are kept)',
    );
    this.dropsSinceLog = 0;
  }

  private kick(): void {
    if (this.express !== undefined) {
      this.kickAfterExpress = true;
      return;
    }
    this.pumping ??= this.pump().finally(() => {
      this.pumping = undefined;
      if (this.pending() && !this.closing) this.kick();
    });
  }

  private async pump(): Promise<void> {
    for (;;) {
      if (this.queue.length === 0) {
        const next = await this.spool.readNext(READ_BATCH);
        for (const entry of next) this.queue.push({ entry, record: entry.record, sentAt: 0 });
        if (this.queue.length === 0) break;
      }
      if (this.pastDeadline()) return;
      const q = this.queue[0] as Queued;
      try {
        await this.transport.send(q.record);
      } catch (err) {
        this.failed(err as Error);
        if (this.pastDeadline()) return;
        await this.sleep(this.backoff.next());
        continue;
      }
      if (this.queue[0] !== q) continue; // a failure re-queued records while this one was sent
      this.queue.shift();
      this.counters.sent++;
      if (q.sentAt !== 0) this.counters.resent++;
      if (!this.counters.up) {
        this.counters.up = true;
        this.logger.info(
          { sink: this.name, queued: this.queue.length },
          'sink is back; sending spooled alerts',
        );
      }
      this.backoff.reset();
      q.sentAt = Date.now();
      this.inflight.push(q);
      this.settle();
    }
    for (const w of this.drainWaiters.splice(0)) w();
  }

  private closeDeadline = Number.POSITIVE_INFINITY;

  private pastDeadline(): boolean {
    return this.closing && Date.now() >= this.closeDeadline;
  }

  /** A detected failure: everything still in the resend window goes back to the queue's front. */
  private failed(err: Error): void {
    this.counters.failed++;
    this.counters.lastError = err.message;
    if (this.counters.up) {
      this.counters.up = false;
      this.logger.warn(
        { sink: this.name, err: err.message },
        'sink is down; spooling alerts until it returns',
      );
    }
    if (this.inflight.length > 0) {
      this.queue.unshift(...this.inflight);
      this.inflight = [];
    }
    if (!this.closing) this.kick();
  }

  /** Acks records that left the resend window; re-arms itself while any remain in it. */
  private settle(): void {
    const now = Date.now();
    const window = this.transport.resendWindowMs;
    while (this.inflight.length > 0 && now - (this.inflight[0] as Queued).sentAt >= window) {
      const q = this.inflight.shift() as Queued;
      this.spool.ack(q.entry);
    }
    this.scheduleCursorSave();
    const oldest = this.inflight[0];
    if (oldest && !this.settleTimer) {
      this.settleTimer = setTimeout(
        () => {
          this.settleTimer = undefined;
          this.settle();
        },
        oldest.sentAt + window - now + 5,
      );
      this.settleTimer.unref();
    }
  }

  /** The cursor file is rewritten at most every 250 ms (and at close): a crash re-sends at most
   *  that much, with the same ids. */
  private scheduleCursorSave(): void {
    if (this.cursorTimer) return;
    this.cursorTimer = setTimeout(() => {
      this.cursorTimer = undefined;
      this.spool.saveCursor().catch((err: Error) => {
        this.logger.error({ sink: this.name, err: err.message }, 'cannot save spool cursor');
      });
    }, 250);
    this.cursorTimer.unref();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        done();
      };
    });
  }

  private pending(): boolean {
    return this.queue.length > 0 || this.spool.hasUnread();
  }

  /** Resolves when everything queued has been handed over, or after timeoutMs (the rest stays spooled). */
  async flush(timeoutMs = 5000): Promise<void> {
    if (!this.pending() && this.express === undefined) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, timeoutMs);
      t.unref();
      this.drainWaiters.push(() => {
        clearTimeout(t);
        resolve();
      });
      this.kick();
    });
  }

  /** Drains within timeoutMs, closes the transport; what is left stays spooled for the next start. */
  async close(timeoutMs = 5000): Promise<void> {
    this.closeDeadline = Date.now() + timeoutMs;
    await this.flush(timeoutMs);
    this.closing = true;
    this.closeDeadline = Math.min(this.closeDeadline, Date.now());
    this.wake?.();
    const drained = !this.pending() && this.express === undefined;
    await this.transport.close(); // fails a send still hanging on a dead peer
    await this.express;
    await this.pumping;
    await this.transport.close();
    if (this.settleTimer) clearTimeout(this.settleTimer);
    if (this.cursorTimer) clearTimeout(this.cursorTimer);
    this.settleTimer = undefined;
    this.cursorTimer = undefined;
    // closed cleanly with nothing failing: what was sent is delivered as far as anyone can know
    if (drained && this.counters.up) {
      for (const q of this.inflight) this.spool.ack(q.entry);
      this.inflight = [];
    }
    this.spoolClosed = true;
    await this.spool.close();
    const left = this.spool.depth().records;
    if (left > 0) {
      this.logger.warn(
        { sink: this.name, left },
        'alerts left in the spool; they are sent at the next start',
      );
    }
  }

  stats(): SinkCounters {
    const d = this.spool.depth();
    return {
      ...this.counters,
      spoolDepth: d.records,
      spoolBytes: d.bytes,
      buffered: this.queue.length + this.inflight.length,
    };
  }
}
