// Alerts raised while eqld stops: a record written to a sink whose close() is already running is
// spooled, not refused, and the next start delivers it (issue: "sink refused an alert: sink file is
// closed" after SIGTERM).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlertRecord } from '../../src/alerts/alert-record.js';
import { SpooledSink } from '../../src/alerts/sinks/spooled-sink.js';
import type { Transport } from '../../src/alerts/sinks/transport.js';
import { SegmentSpool } from '../../src/alerts/spool/segment-spool.js';
import { makeAlert } from './alert-fixtures.js';

/** a destination whose close() waits until the test lets it finish */
class HeldCloseTransport implements Transport {
  readonly name = 'held';
  readonly syslog = false;
  readonly resendWindowMs = 0;
  readonly sent: string[] = [];
  closeCalled!: Promise<void>;
  private calledResolve!: () => void;
  private release!: () => void;
  private readonly released = new Promise<void>((r) => {
    this.release = r;
  });
  constructor() {
    this.closeCalled = new Promise((r) => {
      this.calledResolve = r;
    });
  }
  async send(a: AlertRecord) {
    this.sent.push(a.id);
  }
  onDown() {}
  async reopen() {}
  async close() {
    this.calledResolve();
    await this.released;
  }
  finishClose() {
    this.release();
  }
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'eqld-drain-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const logger = pino({ level: 'silent' });
const spool = () => new SegmentSpool<AlertRecord>({ dir: join(dir, 'held'), fsync: 'never' });

describe('SpooledSink while closing', () => {
  it('spools an alert written after close() began and delivers it at the next start', async () => {
    const t = new HeldCloseTransport();
    const sink = new SpooledSink(t, spool(), logger);
    await sink.start();
    await sink.write(makeAlert({ id: 'before' }));
    const closing = sink.close(1000);
    await t.closeCalled; // close() is past its drain: the transport is being closed
    await sink.write(makeAlert({ id: 'during' })); // must not throw "sink held is closed"
    t.finishClose();
    await closing;
    expect(t.sent).toEqual(['before']);
    expect(sink.stats().dropped).toBe(0);

    const next = new HeldCloseTransport();
    next.finishClose();
    const again = new SpooledSink(next, spool(), logger);
    await again.start();
    expect(again.stats().replayed).toBe(1);
    await again.flush(1000);
    expect(next.sent).toEqual(['during']);
    await again.close(1000);
  });

  it('refuses a write only once its spool is closed', async () => {
    const t = new HeldCloseTransport();
    t.finishClose();
    const sink = new SpooledSink(t, spool(), logger);
    await sink.start();
    await sink.close(100);
    await expect(sink.write(makeAlert({ id: 'late' }))).rejects.toThrow('sink held is closed');
  });
});
