// The express path of SpooledSink: a sink that is up with nothing else to send sends a record at
// once, while its spool appends it, and it is still spooled, sent once, in order, and sent again
// from the spool when the express send fails.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlertRecord } from '../../src/alerts/alert-record.js';
import { SpooledSink } from '../../src/alerts/sinks/spooled-sink.js';
import type { Transport } from '../../src/alerts/sinks/transport.js';
import { SegmentSpool, type SpoolEntry } from '../../src/alerts/spool/segment-spool.js';
import { numbered, waitUntil } from './alert-fixtures.js';

/** a destination that records what it got and can be made to fail */
class RecordingTransport implements Transport {
  readonly name = 'recording';
  readonly syslog = false;
  readonly resendWindowMs = 0;
  readonly sent: string[] = [];
  failing = false;
  async send(a: AlertRecord) {
    if (this.failing) throw new Error('destination down');
    this.sent.push(a.id);
  }
  onDown() {}
  async reopen() {}
  async close() {}
}

/** a spool whose appends complete only when the test says so */
class GatedSpool extends SegmentSpool<AlertRecord> {
  private gates: (() => void)[] = [];
  held = true;
  override async append(record: AlertRecord): Promise<SpoolEntry<AlertRecord>> {
    if (this.held) await new Promise<void>((r) => this.gates.push(r));
    return super.append(record);
  }
  open_(): void {
    this.held = false;
    for (const g of this.gates.splice(0)) g();
  }
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'eqld-express-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));
const logger = pino({ level: 'silent' });
const spoolDir = () => join(dir, 'spool');
/** start() looks at the spool for records of a previous run in the background; the express path
 *  opens once that look is over */
const idle = () => new Promise((r) => setTimeout(r, 50));

describe('SpooledSink express path', () => {
  it('sends a record to an idle sink before its spool append has completed, and spools it too', async () => {
    const t = new RecordingTransport();
    const spool = new GatedSpool({ dir: spoolDir() });
    const sink = new SpooledSink(t, spool, logger);
    await sink.start();
    await idle();
    const [a] = numbered(1, 'express');
    const written = sink.write(a as AlertRecord);
    await waitUntil(() => t.sent.length === 1, 2_000, 'the express send');
    expect(t.sent).toEqual([(a as AlertRecord).id]);
    expect(sink.stats().spooled).toBe(0); // the append is still held
    spool.open_();
    await written;
    expect(sink.stats().spooled).toBe(1);
    await sink.close(1_000);
    expect(t.sent).toEqual([(a as AlertRecord).id]); // not sent a second time from the spool
  });

  it('sends every record once and in write order, and leaves nothing to replay at the next start', async () => {
    const t = new RecordingTransport();
    const sink = new SpooledSink(t, new SegmentSpool<AlertRecord>({ dir: spoolDir() }), logger);
    await sink.start();
    const alerts = numbered(30, 'once');
    // awaited one by one (each can go express) and then a burst (most go through the loop)
    for (const a of alerts.slice(0, 15)) await sink.write(a);
    await Promise.all(alerts.slice(15).map((a) => sink.write(a)));
    await sink.flush(5_000);
    await sink.close(5_000);
    expect(t.sent).toEqual(alerts.map((a) => a.id));

    const t2 = new RecordingTransport();
    const again = new SpooledSink(t2, new SegmentSpool<AlertRecord>({ dir: spoolDir() }), logger);
    await again.start();
    expect(again.stats().replayed).toBe(0);
    await again.close(1_000);
    expect(t2.sent).toEqual([]);
  });

  it('sends a record whose express send failed again from the spool, before the records after it', async () => {
    const t = new RecordingTransport();
    const sink = new SpooledSink(t, new SegmentSpool<AlertRecord>({ dir: spoolDir() }), logger);
    await sink.start();
    const [first, ...rest] = numbered(4, 'retry');
    t.failing = true;
    await sink.write(first as AlertRecord);
    await waitUntil(() => !sink.stats().up, 2_000, 'the sink to notice the failure');
    for (const a of rest) await sink.write(a); // spooled: the sink is down
    t.failing = false;
    await waitUntil(() => t.sent.length >= 4, 10_000, 'the records after the destination returns');
    await sink.close(5_000);
    expect(t.sent).toEqual([first, ...rest].map((a) => (a as AlertRecord).id));
  });

  it('counts a record the spool refused but the express send delivered as sent, not dropped', async () => {
    const t = new RecordingTransport();
    const sink = new SpooledSink(t, new SegmentSpool<AlertRecord>({ dir: spoolDir(), maxBytes: 10 }), logger);
    await sink.start();
    await idle();
    const [a] = numbered(1, 'full');
    await sink.write(a as AlertRecord);
    await sink.flush(2_000);
    await waitUntil(() => sink.stats().sent === 1, 2_000, 'the send');
    expect(t.sent).toEqual([(a as AlertRecord).id]);
    expect(sink.stats().dropped).toBe(0);
    await sink.close(1_000);
  });
});
