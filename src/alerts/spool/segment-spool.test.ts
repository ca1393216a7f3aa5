import { spawn } from 'node:child_process';
import {
  appendFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { SegmentSpool } from './segment-spool.js';
import { SpoolFullError } from './spool-error.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'eqld-spool-'));
  dirs.push(d);
  return join(d, 'sink');
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('SegmentSpool', () => {
  it('returns undelivered records in append order after a reopen, and none that were acked', async () => {
    const dir = tmp();
    const a = new SegmentSpool<{ n: number }>({ dir, segmentBytes: 64 });
    expect(await a.open()).toEqual({ records: 0, bytes: 0 });
    const entries = await Promise.all(Array.from({ length: 20 }, (_, n) => a.append({ n })));
    for (const e of entries.slice(0, 7)) a.ack(e);
    await a.close();

    const b = new SegmentSpool<{ n: number }>({ dir, segmentBytes: 64 });
    expect((await b.open()).records).toBe(13);
    const left = await b.readNext(100);
    expect(left.map((e) => e.record.n)).toEqual(Array.from({ length: 13 }, (_, i) => i + 7));
    expect(b.depth().records).toBe(13);
    await b.close();
  });

  it('creates its directory, segments, cursor and lock private to root (0700 / 0600)', async () => {
    const dir = tmp();
    const s = new SegmentSpool<{ n: number }>({ dir });
    await s.open();
    await s.append({ n: 1 });
    await s.close();
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const again = new SegmentSpool<{ n: number }>({ dir }); // holds the lock file while we look
    await again.open();
    expect(readdirSync(dir)).toContain('lock');
    for (const f of readdirSync(dir)) expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600);
    await again.close();
  });

  it('refuses the newest record with SpoolFullError once the bound is reached and keeps the old ones', async () => {
    const dir = tmp();
    const s = new SegmentSpool<{ pad: string }>({ dir, maxBytes: 300 });
    await s.open();
    await s.append({ pad: 'a'.repeat(100) });
    await s.append({ pad: 'b'.repeat(100) });
    await expect(s.append({ pad: 'c'.repeat(100) })).rejects.toBeInstanceOf(SpoolFullError);
    await s.close();
    const again = new SegmentSpool<{ pad: string }>({ dir, maxBytes: 300 });
    await again.open();
    expect((await again.readNext(10)).map((e) => e.record.pad[0])).toEqual(['a', 'b']);
    await again.close();
  });

  it('deletes segments once every record in them was delivered', async () => {
    const dir = tmp();
    const s = new SegmentSpool<{ n: number }>({ dir, segmentBytes: 50 });
    await s.open();
    const entries = [];
    for (let n = 0; n < 30; n++) entries.push(await s.append({ n }));
    const before = readdirSync(dir).filter((f) => f.startsWith('seg-')).length;
    for (const e of entries) s.ack(e);
    await s.saveCursor();
    await new Promise((r) => setTimeout(r, 50));
    const after = readdirSync(dir).filter((f) => f.startsWith('seg-')).length;
    expect(before).toBeGreaterThanOrEqual(4);
    expect(after).toBeLessThanOrEqual(2);
    await s.close();
  });

  it('does not pile up segment files across restarts when everything was delivered', async () => {
    const dir = tmp();
    for (let run = 0; run < 5; run++) {
      const s = new SegmentSpool<{ n: number }>({ dir });
      await s.open();
      s.ack(await s.append({ n: run }));
      await s.close();
    }
    const s = new SegmentSpool<{ n: number }>({ dir });
    expect(await s.open()).toEqual({ records: 0, bytes: 0 });
    expect(readdirSync(dir).filter((f) => f.startsWith('seg-')).length).toBe(1); // the new active one
    await s.close();
  });

  it('cuts a torn last line left by a crash and still returns the complete records', async () => {
    const dir = tmp();
    const s = new SegmentSpool<{ n: number }>({ dir });
    await s.open();
    await s.append({ n: 1 });
    await s.append({ n: 2 });
    await s.close();
    const seg = readdirSync(dir).find((f) => f.startsWith('seg-')) as string;
    appendFileSync(join(dir, seg), '{"n":3'); // the write of record 3 was cut short
    const again = new SegmentSpool<{ n: number }>({ dir });
    await again.open();
    expect((await again.readNext(10)).map((e) => e.record.n)).toEqual([1, 2]);
    await again.append({ n: 4 });
    await again.close();
    const third = new SegmentSpool<{ n: number }>({ dir });
    await third.open();
    expect((await third.readNext(10)).map((e) => e.record.n)).toEqual([1, 2, 4]);
    await third.close();
  });

  it('refuses a second opener while the first holds the spool, and lets it in once the first closed', async () => {
    const dir = tmp();
    const a = new SegmentSpool<{ n: number }>({ dir });
    await a.open();
    await expect(new SegmentSpool<{ n: number }>({ dir }).open()).rejects.toThrow(
      `spool ${dir} is in use by a running eqld (pid ${process.pid})`,
    );
    await a.close();
    const b = new SegmentSpool<{ n: number }>({ dir });
    await b.open();
    await b.close();
  });

  it('is not blocked by a lock file naming an unrelated live process, or our own pid', async () => {
    const dir = tmp();
    const first = new SegmentSpool<{ n: number }>({ dir });
    await first.open();
    await first.close();
    const unrelated = spawn('sleep', ['600'], { stdio: 'ignore' });
    try {
      for (const pid of [unrelated.pid as number, process.pid]) {
        writeFileSync(join(dir, 'lock'), String(pid)); // what a crash or a reboot leaves behind
        const s = new SegmentSpool<{ n: number }>({ dir });
        await s.open();
        expect(readFileSync(join(dir, 'lock'), 'utf8').trim()).toBe(String(process.pid));
        await s.close();
      }
    } finally {
      unrelated.kill('SIGKILL');
    }
  });

  it('is refused while another process holds the lock and free the moment that process is killed', async () => {
    const dir = tmp();
    const first = new SegmentSpool<{ n: number }>({ dir });
    await first.open();
    await first.close();
    // a python child takes flock(2) on the file and is SIGKILLed: no cleanup code runs in it
    const holder = spawn(
      'python3',
      [
        '-c',
        'import fcntl,sys,time\nf=open(sys.argv[1],"a")\nfcntl.flock(f,fcntl.LOCK_EX|fcntl.LOCK_NB)\nprint("locked",flush=True)\ntime.sleep(600)',
        join(dir, 'lock'),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise((r) => holder.stdout?.once('data', r));
      await expect(new SegmentSpool<{ n: number }>({ dir }).open()).rejects.toThrow(
        /is in use by a running eqld/,
      );
    } finally {
      holder.kill('SIGKILL');
      await new Promise((r) => holder.once('exit', r));
    }
    const after = new SegmentSpool<{ n: number }>({ dir });
    await after.open();
    await after.close();
  });

  it('hands out records in batches, across segments, including ones appended while reading and ones larger than a read chunk', async () => {
    const dir = tmp();
    const s = new SegmentSpool<{ n: number; pad?: string }>({ dir, segmentBytes: 100 });
    await s.open();
    for (let n = 0; n < 10; n++) await s.append({ n });
    const first = await s.readNext(4);
    expect(first.map((e) => e.record.n)).toEqual([0, 1, 2, 3]);
    await s.append({ n: 10, pad: 'x'.repeat(600_000) });
    await s.append({ n: 11 });
    const rest = await s.readNext(100);
    expect(rest.map((e) => e.record.n)).toEqual([4, 5, 6, 7, 8, 9, 10, 11]);
    expect(rest.find((e) => e.record.n === 10)?.record.pad?.length).toBe(600_000);
    expect(s.hasUnread()).toBe(false);
    expect(await s.readNext(5)).toEqual([]);
    await s.close();
  });

  it('group-commits concurrent appends and resolves each with its own position', async () => {
    const dir = tmp();
    const s = new SegmentSpool<{ n: number }>({ dir });
    await s.open();
    const entries = await Promise.all(Array.from({ length: 500 }, (_, n) => s.append({ n })));
    const ends = entries.map((e) => e.end);
    expect([...ends].sort((a, b) => a - b)).toEqual(ends);
    expect(new Set(ends).size).toBe(500);
    await s.close();
  });

  it('never loses or reorders a record across any mix of appends, reads, acks and restarts', async () => {
    type Op = { kind: 'append'; n: number } | { kind: 'read'; n: number; ack: boolean } | { kind: 'restart' };
    const op = fc.oneof(
      fc.record({ kind: fc.constant('append' as const), n: fc.integer({ min: 1, max: 20 }) }),
      fc.record({
        kind: fc.constant('read' as const),
        n: fc.integer({ min: 1, max: 15 }),
        ack: fc.boolean(),
      }),
      fc.record({ kind: fc.constant('restart' as const) }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { maxLength: 25 }),
        fc.integer({ min: 40, max: 400 }),
        async (ops: Op[], seg) => {
          const dir = tmp();
          let spool = new SegmentSpool<{ n: number }>({ dir, segmentBytes: seg, fsync: 'never' });
          await spool.open();
          let next = 0;
          let acked = 0; // records 0..acked-1 are delivered
          let handed = acked; // what the reader has handed out since the last (re)start
          for (const o of ops) {
            if (o.kind === 'append') {
              for (let i = 0; i < o.n; i++) await spool.append({ n: next++ });
            } else if (o.kind === 'read') {
              const got = await spool.readNext(o.n);
              const want = Array.from({ length: Math.min(o.n, next - handed) }, (_, i) => handed + i);
              expect(got.map((e) => e.record.n)).toEqual(want);
              handed += got.length;
              if (o.ack) {
                // only the oldest unacked records can be acked, in order
                for (const e of got)
                  if (e.record.n === acked) {
                    spool.ack(e);
                    acked++;
                  }
              }
            } else {
              await spool.close();
              spool = new SegmentSpool<{ n: number }>({ dir, segmentBytes: seg, fsync: 'never' });
              expect((await spool.open()).records).toBe(next - acked);
              handed = acked;
            }
            expect(spool.depth().records).toBe(next - acked);
          }
          const rest: number[] = [];
          for (let b = await spool.readNext(50); b.length > 0; b = await spool.readNext(50)) {
            rest.push(...b.map((e) => e.record.n));
          }
          expect(rest).toEqual(Array.from({ length: next - handed }, (_, i) => handed + i));
          await spool.close();
        },
      ),
      { numRuns: 60 },
    );
  });
});
