// The periodic health line and the telemetry-loss check. HealthMonitor.sample() is pure: given the
// stage counters now and at the previous sample, it returns the line to log (rates per second
// over the interval) and the loss to alert on when lost kernel events in the interval reach the
// threshold. The agent owns the timer and the logging.
import type { PipelineStats } from '../pipeline.js';
import type { TelemetryLoss } from './telemetry-alert.js';

export interface StageStats {
  pipeline: PipelineStats;
  collector: object;
  normalizer: object;
  detector: { events: number; rules: { ruleId: string; name: string; alerts: number }[] };
  sinks: object;
  events?: object;
  /** connect events the collector shed so far (collector stats().shed.total) */
  shedEvents?: number;
  rssBytes: number;
  /** V8's heap: used and total bytes (what RSS is made of, besides code and buffers) */
  heap?: { usedBytes: number; totalBytes: number };
}

export interface HealthSample {
  line: Record<string, unknown>;
  /** what to alert on: lost kernel events past the threshold, events eqld shed */
  losses: TelemetryLoss[];
}

export class HealthMonitor {
  private prev: { atMs: number; pipeline: PipelineStats; shed: number } | undefined;

  constructor(private threshold: number) {}

  setThreshold(threshold: number): void {
    this.threshold = threshold;
  }

  sample(stats: StageStats, nowMs: number): HealthSample {
    const prev = this.prev;
    this.prev = { atMs: nowMs, pipeline: stats.pipeline, shed: stats.shedEvents ?? 0 };
    const seconds = prev ? Math.max((nowMs - prev.atMs) / 1000, 0.001) : undefined;
    const rate = (now: number, before: number | undefined) =>
      seconds === undefined ? undefined : Math.round(((now - (before ?? 0)) / seconds) * 10) / 10;
    const eventsPerSecond = Object.fromEntries(
      Object.entries(stats.pipeline.rawEvents).map(([k, n]) => [
        k,
        rate(n, prev?.pipeline.rawEvents[k as keyof PipelineStats['rawEvents']]),
      ]),
    );
    const lostInInterval = stats.pipeline.lostKernelEvents - (prev?.pipeline.lostKernelEvents ?? 0);
    const lostFilesInInterval = stats.pipeline.lostFileEvents - (prev?.pipeline.lostFileEvents ?? 0);
    const line: Record<string, unknown> = {
      eventsPerSecond,
      ecsEventsPerSecond: rate(stats.pipeline.ecsEvents, prev?.pipeline.ecsEvents),
      lostKernelEvents: stats.pipeline.lostKernelEvents,
      lostInInterval,
      lostFileEvents: stats.pipeline.lostFileEvents,
      gaps: stats.pipeline.gaps,
      seedBufferDropped: stats.pipeline.seedBufferDropped,
      alerts: stats.pipeline.alerts,
      alertsByRule: stats.pipeline.alertsByRule,
      sinkErrors: stats.pipeline.sinkErrors,
      shed: { total: stats.shedEvents ?? 0, inInterval: (stats.shedEvents ?? 0) - (prev?.shed ?? 0) },
      collector: stats.collector,
      normalizer: stats.normalizer,
      detector: stats.detector,
      sinks: stats.sinks,
      ...(stats.events ? { eventsFile: stats.events } : {}),
      rssBytes: stats.rssBytes,
      ...(stats.heap ? { heap: stats.heap } : {}),
    };
    const losses: TelemetryLoss[] = [];
    const fromMs = prev?.atMs ?? nowMs;
    if (lostInInterval >= this.threshold && lostInInterval > 0)
      losses.push({
        kind: 'lost',
        count: lostInInterval,
        ...(lostFilesInInterval > 0 ? { fileEvents: lostFilesInInterval } : {}),
        fromMs,
        toMs: nowMs,
      });
    // every shed event is eqld's own loss: alerted whatever the threshold
    const shedInInterval = (stats.shedEvents ?? 0) - (prev?.shed ?? 0);
    if (shedInInterval > 0) losses.push({ kind: 'shed', count: shedInInterval, fromMs, toMs: nowMs });
    return { line, losses };
  }
}
