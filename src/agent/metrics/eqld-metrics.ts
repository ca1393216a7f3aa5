// eqld's Prometheus metrics, on prom-client's registry and text exposition. Almost every metric
// is read at scrape time (scraped-metrics.ts) from one snapshot of the stages, so the event path
// pays nothing for them; only the detection-latency histogram and the alert records by type are
// observed as alerts are raised (per alert, never per event). Names follow Prometheus
// conventions: the eqld_ prefix, `_total` counters, base units (seconds, bytes);
// docs/operations.md ("Metrics") lists them.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AlertRecord } from '../../alerts/alert-record.js';
import { SCRAPED_METRICS } from './scraped-metrics.js';
import type { MetricsSnapshot } from './snapshot.js';

/** Detection latency buckets, seconds: the reorder window and poll put a floor near 50 ms;
 *  sequences that complete when a missing-event window closes wait up to their maxspan. */
export const LATENCY_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

export class EqldMetrics {
  readonly registry = new Registry();
  private current: MetricsSnapshot | undefined;
  private readonly latency: Histogram;
  private readonly records: Counter;

  constructor(
    private readonly snapshot: () => MetricsSnapshot,
    version: string,
  ) {
    const registers = [this.registry];
    for (const def of SCRAPED_METRICS) {
      const read = () => def.read(this.current ?? this.snapshot());
      const labelNames = [...def.labels];
      if (def.type === 'counter') {
        new Counter({
          name: def.name,
          help: def.help,
          labelNames,
          registers,
          collect() {
            this.reset();
            for (const [labels, v] of read()) this.inc(labels, v);
          },
        });
      } else {
        new Gauge({
          name: def.name,
          help: def.help,
          labelNames,
          registers,
          collect() {
            this.reset();
            for (const [labels, v] of read()) this.set(labels, v);
          },
        });
      }
    }
    new Gauge({ name: 'eqld_build_info', help: 'eqld version', labelNames: ['version'], registers }).set(
      { version },
      1,
    );
    this.latency = new Histogram({
      name: 'eqld_detection_latency_seconds',
      help: 'From the last matched kernel event (its @timestamp) to the alert being raised',
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.records = new Counter({
      name: 'eqld_alert_records_total',
      help: 'Records handed to the sinks, by type: alert (detections), suppressed (follow-ups), health (telemetry loss)',
      labelNames: ['type'],
      registers,
    });
    for (const type of ['alert', 'suppressed', 'health']) this.records.inc({ type }, 0);
  }

  /** Counts a record raised at `nowMs` (wall clock); for a detection, observes its latency. */
  observeAlert(alert: AlertRecord, nowMs: number): void {
    this.records.inc({ type: alert.type });
    if (alert.type !== 'alert') return;
    const kibana = alert.document.kibana as { alert?: { original_time?: unknown } } | undefined;
    const t = kibana?.alert?.original_time;
    const eventMs = typeof t === 'string' ? Date.parse(t) : Number.NaN;
    if (Number.isFinite(eventMs)) this.latency.observe(Math.max(0, nowMs - eventMs) / 1000);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition text, from one snapshot of the stages. */
  async scrape(): Promise<string> {
    this.current = this.snapshot();
    return await this.registry.metrics();
  }
}
