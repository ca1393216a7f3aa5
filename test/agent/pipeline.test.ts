import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { AlertRecord } from '../../src/alerts/alert-record.js';
import type { RawEvent } from '../../src/collector/raw-event.js';
import {
  type CollectorStage,
  type DetectorStage,
  type EventOutput,
  type KindDocument,
  type NormalizerStage,
  Pipeline,
  type SinkStage,
} from '../../src/pipeline.js';
import type { EqlEvent } from '../../src/rules/engine.js';

const logger = pino({ level: 'silent' });

class FakeCollector implements CollectorStage {
  cb: (e: RawEvent) => void = () => {};
  started = false;
  stopped = false;
  readonly bpftracePid = 4242;
  onEvent(cb: (e: RawEvent) => void) {
    this.cb = cb;
  }
  async start() {
    this.started = true;
  }
  async stop() {
    this.stopped = true;
  }
  stats() {
    return {};
  }
}

const exec = (pid: number, ktimeNs = pid): RawEvent => ({
  kind: 'exec',
  ktimeNs,
  pid,
  tid: pid,
  startNs: BigInt(pid),
  ppid: 1,
  parentStartNs: 1n,
  comm: 'x',
  filename: '/bin/x',
  argv: ['x'],
  argvTruncated: false,
  uid: 0,
  gid: 0,
  euid: 0,
  egid: 0,
});

const EXEC_KIND: KindDocument = Object.freeze({
  event: Object.freeze({ category: ['process'], action: 'exec' }),
});

/** turns each raw exec into an event with timestamp = pid (unless its kind is not wanted),
 *  records the order of calls */
class FakeNormalizer implements NormalizerStage {
  log: string[] = [];
  cb: (e: EqlEvent) => void = () => {};
  wants: (kind: KindDocument) => boolean = () => true;
  notBuilt: (kind: KindDocument, ms: number) => void = () => {};
  constructor(private readonly collector: FakeCollector) {}
  async seedFromProc() {
    this.log.push('seed-start');
    // an event arrives while /proc is read
    this.collector.cb(exec(7));
    this.log.push('seed-end');
  }
  push(raw: RawEvent) {
    this.log.push(`push ${raw.kind} ${'pid' in raw ? raw.pid : ''}`);
    if (raw.kind !== 'exec') return;
    if (this.wants(EXEC_KIND)) this.cb({ doc: { pid: raw.pid }, timestamp: raw.pid, sequence: raw.pid });
    else this.notBuilt(EXEC_KIND, raw.pid);
  }
  onEvent(cb: (e: EqlEvent) => void) {
    this.cb = cb;
  }
  setDemand(wants: (kind: KindDocument) => boolean) {
    this.wants = wants;
  }
  onNotBuilt(cb: (kind: KindDocument, ms: number) => void) {
    this.notBuilt = cb;
  }
  tick() {}
  stats() {
    return {};
  }
}

const alert = (id: string, ruleId = 'r1'): AlertRecord => ({
  id,
  type: 'alert',
  timestamp: '2026-01-01T00:00:00.000Z',
  rule: {
    id: ruleId,
    uuid: ruleId,
    name: ruleId,
    severity: 'high',
    riskScore: 73,
    code: ruleId,
    buildingBlock: false,
  },
  summary: id,
  entityIds: [],
  document: {},
});

class FakeDetector implements DetectorStage {
  advanced: number[] = [];
  flushed = false;
  /** whether a rule takes execs */
  takesExecs = true;
  wants(kind: KindDocument) {
    return this.takesExecs && (kind.event as { action?: string }).action === 'exec';
  }
  push(e: EqlEvent) {
    return [alert(`a${e.timestamp}`)];
  }
  advance(wm: number) {
    this.advanced.push(wm);
    return wm === 10_000 ? [alert('follow-up')] : [];
  }
  /** the event time of the next alert advance() gives (tests set it) */
  deadline = Number.POSITIVE_INFINITY;
  nextDeadlineMs() {
    return this.deadline;
  }
  flush() {
    this.flushed = true;
    return [alert('closing')];
  }
  stats() {
    return { events: 0, rules: [] };
  }
}

class SlowSink implements SinkStage {
  received: string[] = [];
  closed = false;
  constructor(private readonly failOn?: string) {}
  async write(a: AlertRecord) {
    // the first alert takes longest: order must still hold
    await new Promise((r) => setTimeout(r, a.id === 'a1' ? 30 : 1));
    if (a.id === this.failOn) throw new Error('destination down');
    this.received.push(a.id);
  }
  async flush() {}
  async close() {
    this.closed = true;
  }
  async reopen() {}
  stats() {
    return {};
  }
}

function build(sink = new SlowSink(), now = () => 10_000) {
  const collector = new FakeCollector();
  const normalizer = new FakeNormalizer(collector);
  const detector = new FakeDetector();
  const p = new Pipeline({ collector, normalizer, detector, sinks: sink }, { logger, now, idleLagMs: 2000 });
  return { p, collector, normalizer, detector, sink };
}

describe('Pipeline', () => {
  it('starts the collector before seeding and releases events that arrived during the seed afterwards', async () => {
    const { p, collector, normalizer } = build();
    await p.start();
    expect(collector.started).toBe(true);
    expect(normalizer.log).toEqual(['seed-start', 'seed-end', 'push exec 7']);
    collector.cb(exec(8));
    expect(normalizer.log.at(-1)).toBe('push exec 8');
  });

  it('hands alerts to the sinks in the order they were raised even when a write is slow', async () => {
    const { p, collector, sink } = build();
    await p.start();
    collector.cb(exec(1));
    collector.cb(exec(2));
    collector.cb(exec(3));
    await p.drained();
    expect(sink.received).toEqual(['a7', 'a1', 'a2', 'a3']);
    expect(p.stats().alertsByRule).toEqual({ r1: 4 });
  });

  it('counts a failed sink write and keeps delivering the alerts after it', async () => {
    const { p, collector, sink } = build(new SlowSink('a1'));
    await p.start();
    collector.cb(exec(1));
    collector.cb(exec(2));
    await p.drained();
    expect(sink.received).toEqual(['a7', 'a2']);
    expect(p.stats().sinkErrors).toBe(1);
  });

  it('moves event time to the wall clock minus the allowed lag when the host is idle', async () => {
    let now = 10_000;
    const { p, detector, sink } = build(new SlowSink(), () => now);
    await p.start(); // event at t=7
    p.tick();
    expect(detector.advanced).toEqual([8000]);
    now = 1000; // wall clock behind the newest event's time (or jumped back): event time never goes back
    p.tick();
    expect(detector.advanced.at(-1)).toBe(8000);
    now = 7000;
    p.tick();
    expect(detector.advanced.at(-1)).toBe(8000);
    now = 12_000;
    p.tick();
    expect(detector.advanced.at(-1)).toBe(10_000);
    await p.drained();
    expect(sink.received).toContain('follow-up');
  });

  it('says how long a quiet host may wait before a tick has an alert to give', async () => {
    let now = 10_000;
    const { p, detector } = build(new SlowSink(), () => now);
    await p.start();
    expect(p.msUntilDue()).toBe(Number.POSITIVE_INFINITY);
    // due at event time 9000: the idle watermark (wall clock - 2000) passes it at 11,000
    detector.deadline = 9000;
    expect(p.msUntilDue()).toBe(1001);
    now = 11_001;
    expect(p.msUntilDue()).toBe(0);
    p.tick();
    expect(detector.advanced.at(-1)).toBeGreaterThan(9000);
    // overdue (alerts already waiting): at once
    detector.deadline = Number.NEGATIVE_INFINITY;
    expect(p.msUntilDue()).toBe(0);
  });

  it('counts lost kernel events and reports telemetry gaps to its listeners', async () => {
    const { p, collector } = build();
    const gaps: string[] = [];
    p.onGap((g) => gaps.push(g.reason));
    await p.start();
    collector.cb({ kind: 'lost', ktimeNs: 1, count: 12 });
    collector.cb({ kind: 'lost', ktimeNs: 2, count: 3 });
    collector.cb({ kind: 'gap', ktimeNs: 3, fromNs: 1, toNs: 2, reason: 'bpftrace killed by SIGKILL' });
    expect(p.stats().lostKernelEvents).toBe(15);
    expect(p.stats().rawEvents.lost).toBe(2);
    expect(gaps).toEqual(['bpftrace killed by SIGKILL']);
  });

  it('on stop, stops the collector, flushes the detector and waits for the sinks before closing them', async () => {
    const { p, collector, detector, sink } = build();
    await p.start();
    collector.cb(exec(1));
    await p.stop();
    expect(collector.stopped).toBe(true);
    expect(detector.flushed).toBe(true);
    expect(sink.received).toEqual(['a7', 'a1', 'closing']);
    expect(sink.closed).toBe(true);
    collector.cb(exec(9)); // a late event after stop is ignored, not a crash
    expect(p.stats().rawEvents.exec).toBe(2);
  });

  it('counts ECS events by the category and action they carry, whatever kinds come', async () => {
    const { p, normalizer } = build();
    await p.start();
    const ev = (event: unknown) => normalizer.cb({ doc: { event }, timestamp: 1, sequence: 1 });
    ev({ category: ['file'], action: 'creation' });
    ev({ category: ['file'], action: 'creation' });
    ev({ category: 'network', action: 'connection_attempted' });
    ev(undefined);
    expect(p.stats().ecsEventsByKind).toEqual({
      unknown: { unknown: 2 },
      file: { creation: 2 },
      network: { connection_attempted: 1 },
    });
  });

  it('has no event built whose kind no rule takes, yet counts it and lets its time move event time on', async () => {
    const { p, collector, normalizer, detector, sink } = build(new SlowSink(), () => 0);
    detector.takesExecs = false;
    await p.start(); // exec 7 arrives during the seed
    collector.cb(exec(50));
    p.tick();
    await p.drained();
    expect(normalizer.log).toEqual(['seed-start', 'seed-end', 'push exec 7', 'push exec 50']);
    expect(sink.received).toEqual([]);
    expect(p.stats()).toMatchObject({
      ecsEvents: 2,
      ecsEventsNotBuilt: 2,
      ecsEventsByKind: { process: { exec: 2 } },
      lastEventMs: 50,
    });
    expect(detector.advanced).toEqual([50]);
    // the rules change (a reload): the next exec is built and offered again
    detector.takesExecs = true;
    collector.cb(exec(51));
    await p.drained();
    expect(sink.received).toEqual(['a51']);
    expect(p.stats()).toMatchObject({ ecsEvents: 3, ecsEventsNotBuilt: 2 });
  });

  it('has every event built when an events file takes them, whatever the rules take', async () => {
    const collector = new FakeCollector();
    const normalizer = new FakeNormalizer(collector);
    const detector = new FakeDetector();
    detector.takesExecs = false;
    const written: unknown[] = [];
    const events: EventOutput = {
      write: (doc) => written.push(doc),
      reopen: async () => {},
      close: async () => {},
      stats: () => ({}),
    };
    const p = new Pipeline({ collector, normalizer, detector, sinks: new SlowSink(), events }, { logger });
    await p.start();
    collector.cb(exec(8));
    expect(written).toEqual([{ pid: 7 }, { pid: 8 }]);
    expect(p.stats()).toMatchObject({ ecsEvents: 2, ecsEventsNotBuilt: 0 });
  });

  it('tells its alert listeners of every record it raises, with the time it was raised', async () => {
    const { p, collector } = build();
    const seen: string[] = [];
    p.onAlert((a, nowMs) => seen.push(`${a.id}@${nowMs}`));
    await p.start();
    collector.cb(exec(1));
    p.emit(alert('health-1', 'eqld-telemetry-loss'));
    expect(seen).toEqual(['a7@10000', 'a1@10000', 'health-1@10000']);
  });

  it("delivers every alert raised while stopping: the collector's last events, the detector's flush and the caller's own, before the sinks close", async () => {
    const { p, collector, sink } = build();
    const closedAt: string[][] = [];
    sink.close = async () => {
      closedAt.push([...sink.received]);
      sink.closed = true;
    };
    await p.start();
    // the collector releases the events it held for ordering while it stops
    collector.stop = async () => {
      collector.cb(exec(5));
      collector.stopped = true;
    };
    await p.stopInputs();
    p.emit(alert('last-health-sample')); // what the agent's final health sample may raise
    expect(sink.closed).toBe(false);
    await p.stop();
    expect(closedAt).toEqual([['a7', 'a5', 'closing', 'last-health-sample']]);
    expect(p.stats().alertsAfterClose).toBe(0);
    p.emit(alert('after-close'));
    expect(p.stats().alertsAfterClose).toBe(1);
    expect(sink.received).not.toContain('after-close');
  });

  it('bounds the buffer of events held during the seed and counts what it drops', async () => {
    const collector = new FakeCollector();
    const normalizer = new FakeNormalizer(collector);
    normalizer.seedFromProc = async () => {
      for (let i = 0; i < 5; i++) collector.cb(exec(100 + i));
    };
    const p = new Pipeline(
      { collector, normalizer, detector: new FakeDetector(), sinks: new SlowSink() },
      { logger, seedBufferMax: 3 },
    );
    await p.start();
    expect(normalizer.log).toEqual(['push exec 100', 'push exec 101', 'push exec 102']);
    expect(p.stats().seedBufferDropped).toBe(2);
  });
});
