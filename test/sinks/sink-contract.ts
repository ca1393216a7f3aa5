// The contract every sink implementation passes (one suite, run against each transport by
// contract.test.ts): in-order delivery with the alert id, durable spooling while the destination
// is down, in-order catch-up with no loss when it returns (re-sends carry the same id), and records
// left spooled at close delivered by the next start.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlertRecord } from '../../src/alerts/alert-record.js';
import { SpooledSink } from '../../src/alerts/sinks/spooled-sink.js';
import type { Transport } from '../../src/alerts/sinks/transport.js';
import { SegmentSpool } from '../../src/alerts/spool/segment-spool.js';
import { alertIdOf, firstOccurrences, numbered, waitUntil } from './alert-fixtures.js';

export interface ContractTarget {
  /** a fresh transport aimed at the destination */
  transport(): Transport;
  /** what reached the destination so far, in order */
  received(): string[];
  up(): Promise<void>;
  /** make the destination unreachable in a way the sender can detect */
  down(t: Transport): Promise<void>;
  cleanup(): Promise<void>;
}

const ids = (alerts: readonly AlertRecord[]) => alerts.map((a) => a.id);

export function sinkContract(name: string, make: (dir: string) => Promise<ContractTarget>): void {
  describe(`sink contract: ${name}`, () => {
    let dir: string;
    let target: ContractTarget;
    const open: SpooledSink[] = [];
    const logger = pino({ level: 'silent' });

    async function sink(t = target.transport()): Promise<SpooledSink> {
      const s = new SpooledSink(t, new SegmentSpool<AlertRecord>({ dir: join(dir, 'spool') }), logger);
      await s.start();
      open.push(s);
      return s;
    }
    const receivedIds = () => target.received().map(alertIdOf);

    beforeEach(async () => {
      dir = mkdtempSync(join(tmpdir(), 'eqld-contract-'));
      target = await make(dir);
      await target.up();
    });
    afterEach(async () => {
      for (const s of open.splice(0)) await s.close(200).catch(() => {});
      await target.cleanup();
      rmSync(dir, { recursive: true, force: true });
    });

    it('delivers every record in write order, each carrying its alert id', async () => {
      const s = await sink();
      const alerts = numbered(40, 'order');
      for (const a of alerts) await s.write(a);
      await s.flush(10_000);
      await waitUntil(() => firstOccurrences(receivedIds()).length >= 40, 10_000, 'all records');
      expect(firstOccurrences(receivedIds())).toEqual(ids(alerts));
      const st = s.stats();
      expect(st.sent).toBeGreaterThanOrEqual(40);
      expect(st.spooled).toBe(40);
      expect(st.dropped).toBe(0);
    });

    it('spools while the destination is down and delivers everything in order when it returns', async () => {
      const s = await sink();
      const before = numbered(10, 'outage', 0);
      for (const a of before) await s.write(a);
      await waitUntil(
        () => firstOccurrences(receivedIds()).length >= 10,
        10_000,
        'records before the outage',
      );
      await target.down(s.transport);
      const during = numbered(15, 'outage', 10);
      const t0 = Date.now();
      for (const a of during) await s.write(a); // must not wait for the destination
      expect(Date.now() - t0).toBeLessThan(5000);
      await waitUntil(() => !s.stats().up, 10_000, 'the sink to notice the outage');
      expect(s.stats().spoolDepth).toBeGreaterThanOrEqual(1);
      await target.up();
      const after = numbered(5, 'outage', 25);
      for (const a of after) await s.write(a);
      const all = [...before, ...during, ...after];
      await waitUntil(
        () => firstOccurrences(receivedIds()).length >= all.length,
        30_000,
        'catch-up',
        () => ({ received: receivedIds(), stats: s.stats() }),
      );
      expect(firstOccurrences(receivedIds())).toEqual(ids(all));
      // duplicates are re-sends of known records, never anything else
      expect(receivedIds().every((id) => id !== undefined && ids(all).includes(id))).toBe(true);
      expect(s.stats().failed).toBeGreaterThanOrEqual(1);
      expect(s.stats().up).toBe(true);
    });

    it('drains everything on close while the destination is up, so the next start replays nothing', async () => {
      const s = await sink();
      const alerts = numbered(25, 'drain');
      for (const a of alerts) await s.write(a);
      await s.close(10_000);
      open.splice(open.indexOf(s), 1);
      expect(firstOccurrences(receivedIds())).toEqual(ids(alerts));
      const next = await sink();
      expect(next.stats().replayed).toBe(0);
      expect(next.stats().spoolDepth).toBe(0);
    });

    it('keeps records spooled across close while down, and the next start delivers them first', async () => {
      const s = await sink();
      await target.down(s.transport);
      const left = numbered(6, 'restart');
      for (const a of left) await s.write(a);
      await s.close(300);
      open.splice(open.indexOf(s), 1);
      await target.up();
      const next = await sink();
      expect(next.stats().replayed).toBe(6);
      const more = numbered(3, 'restart', 6);
      for (const a of more) await next.write(a);
      await waitUntil(() => firstOccurrences(receivedIds()).length >= 9, 30_000, 'replayed records');
      expect(firstOccurrences(receivedIds())).toEqual(ids([...left, ...more]));
    });
  });
}
