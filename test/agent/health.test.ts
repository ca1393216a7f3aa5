import { describe, expect, it } from 'vitest';
import { HealthMonitor, type StageStats } from '../../src/agent/health.js';
import { buildTelemetryAlert, TELEMETRY_LOSS_RULE } from '../../src/agent/telemetry-alert.js';
import { RAW_EVENT_KINDS, type RawEventKind } from '../../src/collector/raw-event.js';
import type { PipelineStats } from '../../src/pipeline.js';

const raw = (exec: number, connect: number): Record<RawEventKind, number> => ({
  ...(Object.fromEntries(RAW_EVENT_KINDS.map((k) => [k, 0])) as Record<RawEventKind, number>),
  exec,
  connect,
});

function stats(p: Partial<PipelineStats>): StageStats {
  return {
    pipeline: {
      rawEvents: raw(0, 0),
      ecsEvents: 0,
      ecsEventsNotBuilt: 0,
      ecsEventsByKind: {},
      lostKernelEvents: 0,
      lostFileEvents: 0,
      gaps: 0,
      seedBufferDropped: 0,
      alerts: 0,
      alertsByRule: {},
      sinkErrors: 0,
      alertsAfterClose: 0,
      lastEventMs: 0,
      ...p,
    },
    collector: { malformedLines: 0 },
    normalizer: { processes: 10 },
    detector: { events: 0, rules: [] },
    sinks: { spoolDepth: 0 },
    rssBytes: 50e6,
  };
}

describe('HealthMonitor', () => {
  it('reports events per second by kind over the interval and passes the stage counters through', () => {
    const h = new HealthMonitor(1);
    const first = h.sample(stats({ rawEvents: raw(100, 10) }), 1000);
    expect(first.line.eventsPerSecond).toMatchObject({ exec: undefined });
    const second = h.sample(stats({ rawEvents: raw(600, 30), alerts: 2, alertsByRule: { r: 2 } }), 11_000);
    expect(second.line.eventsPerSecond).toMatchObject({ exec: 50, connect: 2, fork: 0 });
    expect(second.line).toMatchObject({
      alerts: 2,
      alertsByRule: { r: 2 },
      normalizer: { processes: 10 },
      sinks: { spoolDepth: 0 },
    });
    expect(second.losses).toEqual([]);
  });

  it('raises a telemetry loss when lost events in one interval reach the threshold, once per interval', () => {
    const h = new HealthMonitor(100);
    h.sample(stats({ lostKernelEvents: 0 }), 0);
    expect(h.sample(stats({ lostKernelEvents: 99 }), 60_000).losses).toEqual([]);
    expect(h.sample(stats({ lostKernelEvents: 250 }), 120_000).losses).toEqual([
      { kind: 'lost', count: 151, fromMs: 60_000, toMs: 120_000 },
    ]);
    expect(h.sample(stats({ lostKernelEvents: 250 }), 180_000).losses).toEqual([]);
    h.setThreshold(1);
    expect(h.sample(stats({ lostKernelEvents: 251 }), 240_000).losses).toMatchObject([
      { kind: 'lost', count: 1 },
    ]);
  });

  it('raises a telemetry loss for every interval in which eqld shed events, whatever the threshold', () => {
    const h = new HealthMonitor(1000);
    h.sample({ ...stats({}), shedEvents: 0 }, 0);
    const s = h.sample({ ...stats({ lostKernelEvents: 5 }), shedEvents: 40 }, 1000);
    expect(s.losses).toEqual([{ kind: 'shed', count: 40, fromMs: 0, toMs: 1000 }]);
    expect(s.line.shed).toEqual({ total: 40, inInterval: 40 });
    expect(h.sample({ ...stats({ lostKernelEvents: 5 }), shedEvents: 40 }, 2000).losses).toEqual([]);
  });

  it('says how many of the lost events were file events', () => {
    const h = new HealthMonitor(1);
    h.sample(stats({}), 0);
    expect(h.sample(stats({ lostKernelEvents: 30, lostFileEvents: 25 }), 60_000).losses).toEqual([
      { kind: 'lost', count: 30, fileEvents: 25, fromMs: 0, toMs: 60_000 },
    ]);
    const a = buildTelemetryAlert({ kind: 'lost', count: 30, fileEvents: 25, fromMs: 0, toMs: 1 }, {});
    expect(a.summary).toContain('30 kernel events lost (25 of them file events)');
    expect(a.document).toMatchObject({ eqld: { telemetry: { lost_events: 30, lost_file_events: 25 } } });
  });
});

describe('buildTelemetryAlert', () => {
  it('is a high-severity health record with a stable id, a one-line summary and the counts', () => {
    const a = buildTelemetryAlert(
      { kind: 'lost', count: 42, fromMs: 0, toMs: 60_000 },
      { id: 'h' },
      new Date(60_000),
    );
    const b = buildTelemetryAlert({ kind: 'lost', count: 42, fromMs: 0, toMs: 60_000 }, { id: 'h' });
    expect(a.id).toBe(b.id);
    expect(a).toMatchObject({ type: 'health', rule: { id: TELEMETRY_LOSS_RULE.id, severity: 'high' } });
    expect(a.summary).toBe(
      'eqld Telemetry Loss: 42 kernel events lost between 1970-01-01T00:00:00.000Z and 1970-01-01T00:01:00.000Z; rules did not see them',
    );
    expect(a.document).toMatchObject({ event: { kind: 'alert' }, eqld: { telemetry: { lost_events: 42 } } });
  });

  it('names events shed by eqld itself apart from kernel losses', () => {
    const a = buildTelemetryAlert({ kind: 'shed', count: 7, fromMs: 0, toMs: 1000 }, {});
    expect(a.summary).toContain('7 connect events shed by eqld under overload');
    expect(a.document).toMatchObject({
      event: { action: 'telemetry_shed' },
      eqld: { telemetry: { shed_events: 7 } },
    });
  });

  it('names a gap and neutralizes a hostile reason to one line', () => {
    const a = buildTelemetryAlert({ kind: 'gap', fromMs: 0, toMs: 1000, reason: 'killed\nfake record' }, {});
    expect(a.summary).not.toContain('\n');
    expect(a.summary).toContain('kernel telemetry stopped');
  });
});
