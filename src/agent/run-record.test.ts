import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RUN_RECORD_FILE, RunRecorder, readRunRecord, unwatchedSince } from './run-record.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function stateDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'eqld-run-'));
  dirs.push(d);
  return d;
}

describe('the run record', () => {
  it('reports the span from the last mark of a run that was killed to the next attach', () => {
    const dir = stateDir();
    let t = 1_000_000;
    const errors: Error[] = [];
    const first = new RunRecorder(
      dir,
      'boot-a',
      (e) => errors.push(e),
      () => t,
    );
    first.start(60_000);
    t += 5_000;
    first.mark();
    // SIGKILL: no stopped(); the next run starts 12 s later
    const { record } = readRunRecord(dir);
    expect(record).toMatchObject({
      pid: process.pid,
      bootId: 'boot-a',
      startedMs: 1_000_000,
      aliveMs: 1_005_000,
    });
    const span = unwatchedSince(record, 1_017_000, 'boot-a');
    expect(span).toEqual({
      fromMs: 1_005_000,
      toMs: 1_017_000,
      reason: expect.stringMatching(/previous run \(pid \d+\) ended without a clean stop/),
    });
    expect(span?.reason).not.toMatch(/restarted/);
    first.stopped();
    expect(errors).toEqual([]);
  });

  it('reports nothing after a clean stop, nor on the first run', () => {
    const dir = stateDir();
    expect(readRunRecord(dir)).toEqual({});
    expect(unwatchedSince(undefined, 5, 'b')).toBeUndefined();
    let t = 100;
    const r = new RunRecorder(
      dir,
      'boot-a',
      () => undefined,
      () => t,
    );
    r.start(60_000);
    t = 200;
    r.stopped();
    const { record } = readRunRecord(dir);
    expect(record).toMatchObject({ aliveMs: 200, stoppedMs: 200 });
    expect(unwatchedSince(record, 300, 'boot-a')).toBeUndefined();
  });

  it('says when the host restarted in between', () => {
    const span = unwatchedSince({ pid: 7, bootId: 'boot-a', startedMs: 1, aliveMs: 2 }, 10, 'boot-b');
    expect(span?.reason).toMatch(/the host has restarted since/);
  });

  it('names why a damaged record cannot be used, and a new run replaces it', () => {
    const dir = stateDir();
    writeFileSync(join(dir, RUN_RECORD_FILE), '{"pid": "x"');
    expect(readRunRecord(dir).unreadable).toBeDefined();
    writeFileSync(join(dir, RUN_RECORD_FILE), '{"pid": 1}');
    expect(readRunRecord(dir)).toEqual({ unreadable: 'not a run record' });
    const r = new RunRecorder(dir, 'boot-a', () => undefined);
    r.start(60_000);
    r.stopped();
    expect(JSON.parse(readFileSync(join(dir, RUN_RECORD_FILE), 'utf8')).stoppedMs).toBeGreaterThan(0);
  });

  it('reports a write that fails instead of throwing from its timer', () => {
    const errors: Error[] = [];
    const r = new RunRecorder('/nonexistent/eqld-state', 'boot-a', (e) => errors.push(e));
    r.start(60_000);
    r.stopped();
    expect(errors.length).toBe(2);
    expect(errors[0]?.message).toMatch(/ENOENT/);
  });
});
