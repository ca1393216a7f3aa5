// Starts eqld's Prometheus endpoint for a running pipeline: the registry reads the stages' stats()
// at each scrape and counts alerts as the pipeline raises them. The agent calls startMetrics()
// when metrics.listen is set, before bpftrace starts, so a port that cannot be bound stops
// start-up with the reason instead of running without the metrics the operator asked for.
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { formatListenAddress, type ListenAddress } from '../../config/listen-address.js';
import type { Pipeline } from '../../pipeline.js';
import type { Stages } from '../create-stages.js';
import { EqldMetrics } from './eqld-metrics.js';
import { MetricsServer } from './metrics-server.js';
import { ownUsage, readProcessUsage } from './proc-usage.js';
import type { MetricsSnapshot } from './snapshot.js';

export { EqldMetrics } from './eqld-metrics.js';
export { MetricsServer, MetricsServerError } from './metrics-server.js';
export type { MetricsSnapshot } from './snapshot.js';

export interface MetricsSources {
  pipeline: Pipeline;
  stages: Stages;
  detector: { stats(): MetricsSnapshot['detector'] };
}

export interface RunningMetrics {
  /** the address bound (the kernel's port when 0 was asked for) */
  address: ListenAddress;
  close(): Promise<void>;
}

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      version?: unknown;
    };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

export function snapshotOf(src: MetricsSources): MetricsSnapshot {
  const { stages } = src;
  const bpftracePid = stages.collector.bpftracePid;
  const bpftrace = bpftracePid === undefined ? undefined : readProcessUsage(bpftracePid);
  return {
    pipeline: src.pipeline.stats(),
    collector: stages.collector.stats(),
    normalizer: stages.normalizer.stats(),
    detector: src.detector.stats(),
    sinks: stages.sinks.stats(),
    ...(stages.events ? { eventsFile: stages.events.stats() } : {}),
    processes: { eqld: ownUsage(), ...(bpftrace ? { bpftrace } : {}) },
  };
}

export async function startMetrics(
  at: ListenAddress,
  src: MetricsSources,
  logger: Logger,
): Promise<RunningMetrics> {
  const metrics = new EqldMetrics(() => snapshotOf(src), packageVersion());
  const server = new MetricsServer(metrics, (err) => logger.error({ err }, 'metrics scrape failed'));
  const address = await server.listen(at);
  src.pipeline.onAlert((alert, nowMs) => metrics.observeAlert(alert, nowMs));
  logger.info({ address: formatListenAddress(address), path: '/metrics' }, 'metrics listening');
  return { address, close: () => server.close() };
}
