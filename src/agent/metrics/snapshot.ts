// What the metrics read at scrape time: each stage's own stats() (the same counters the health
// line logs), taken once per scrape, plus the CPU and memory of eqld and bpftrace. Nothing here is
// on the event path.
import type { RuleStats } from '../../alerts/detector.js';
import type { SinkStats } from '../../alerts/sinks/index.js';
import type { CollectorStats } from '../../collector/index.js';
import type { NormalizerStats } from '../../normalize/index.js';
import type { PipelineStats } from '../../pipeline.js';
import type { ProcessUsage } from './proc-usage.js';

export interface MetricsSnapshot {
  pipeline: PipelineStats;
  collector: CollectorStats;
  normalizer: NormalizerStats;
  detector: { events: number; rules: RuleStats[] };
  sinks: SinkStats;
  eventsFile?: { written: number; dropped: number; errors: number };
  processes: { eqld: ProcessUsage; bpftrace?: ProcessUsage };
}
