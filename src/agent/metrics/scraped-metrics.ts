// The metrics eqld reads at scrape time, as data: name, help, type, labels and how to read the
// values from a snapshot of the stages' stats() (the counters the health line logs). Label sets
// come from the data (event kinds, rules, sinks), never from a list written here, so new event
// kinds or rules appear without a change here. Counters are the stages' running totals; a stage
// that restarts its count (bpftrace's CPU after a restart, a rule replaced by a reload) looks to
// Prometheus like a counter reset, which rate() and increase() handle.
import type { ProcessUsage } from './proc-usage.js';
import type { MetricsSnapshot } from './snapshot.js';

export type Labels = Record<string, string>;
export type Sample = readonly [Labels, number];

export interface ScrapedMetric {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  labels: readonly string[];
  read: (s: MetricsSnapshot) => Iterable<Sample>;
}

/** the matcher stats the sequence metrics read (MatcherStats of src/eql) */
interface SequenceStats {
  kind?: string;
  partials?: number;
  expired?: number;
  evictedOldest?: number;
  evictedPerKey?: number;
  evictedGlobal?: number;
}

const one = (v: number | undefined): Sample[] => (v === undefined ? [] : [[{}, v]]);
const ruleLabels = (r: { ruleId: string; name: string }): Labels => ({ rule_id: r.ruleId, rule: r.name });
const RULE = ['rule_id', 'rule'] as const;

function* perRule(s: MetricsSnapshot, read: (r: MetricsSnapshot['detector']['rules'][number]) => number) {
  for (const r of s.detector.rules) yield [ruleLabels(r), read(r)] as Sample;
}

/** rules whose matcher keeps state: sequences (and samples) */
function* sequences(s: MetricsSnapshot) {
  for (const r of s.detector.rules) {
    const m = r.matcher as SequenceStats | undefined;
    if (m && m.kind !== 'event') yield { labels: ruleLabels(r), m };
  }
}

function* perSink(s: MetricsSnapshot, read: (c: MetricsSnapshot['sinks'][string]) => number) {
  for (const [sink, c] of Object.entries(s.sinks)) yield [{ sink }, read(c)] as Sample;
}

function* perProcess(s: MetricsSnapshot, read: (u: ProcessUsage) => Iterable<Sample>) {
  for (const [process, u] of Object.entries(s.processes)) {
    if (u === undefined) continue;
    for (const [labels, v] of read(u)) yield [{ process, ...labels }, v] as Sample;
  }
}

export const SCRAPED_METRICS: readonly ScrapedMetric[] = [
  // kernel events and the collector
  {
    name: 'eqld_kernel_events_total',
    help: 'Kernel events read from bpftrace, by kind (exec, fork, exit, connect, ...)',
    type: 'counter',
    labels: ['kind'],
    read: (s) => Object.entries(s.collector.byKind).map(([kind, n]) => [{ kind }, n] as Sample),
  },
  {
    name: 'eqld_kernel_events_lost_total',
    help: 'Kernel events the perf buffers dropped (bpftrace "Lost N events")',
    type: 'counter',
    labels: [],
    read: (s) => one(s.pipeline.lostKernelEvents),
  },
  {
    name: 'eqld_collector_lines_total',
    help: 'Lines read from bpftrace',
    type: 'counter',
    labels: [],
    read: (s) => one(s.collector.lines),
  },
  {
    name: 'eqld_collector_malformed_lines_total',
    help: 'Lines from bpftrace that did not parse (counted and logged, then dropped)',
    type: 'counter',
    labels: [],
    read: (s) => one(s.collector.malformed),
  },
  {
    name: 'eqld_collector_late_events_total',
    help: 'Events that arrived after the reorder window had released later ones',
    type: 'counter',
    labels: [],
    read: (s) => one(s.collector.late),
  },
  {
    name: 'eqld_bpftrace_up',
    help: 'Whether bpftrace is running (1) or being restarted (0)',
    type: 'gauge',
    labels: [],
    read: (s) => one(s.collector.running ? 1 : 0),
  },
  {
    name: 'eqld_bpftrace_restarts_total',
    help: 'Times bpftrace was restarted after it stopped',
    type: 'counter',
    labels: [],
    read: (s) => one(s.collector.restarts),
  },
  {
    name: 'eqld_bpftrace_gaps_total',
    help: 'Telemetry gaps: intervals in which bpftrace was not running',
    type: 'counter',
    labels: [],
    read: (s) => one(s.collector.gaps),
  },
  {
    name: 'eqld_seed_buffer_dropped_events_total',
    help: 'Kernel events dropped because they arrived while /proc was read and the buffer was full',
    type: 'counter',
    labels: [],
    read: (s) => one(s.pipeline.seedBufferDropped),
  },
  // normalized events and the process table
  {
    name: 'eqld_events_total',
    help: 'ECS events made from kernel events, by event.category and event.action (built and given to the rules, or of a kind no loaded rule takes and not built)',
    type: 'counter',
    labels: ['category', 'action'],
    read: (s) =>
      Object.entries(s.pipeline.ecsEventsByKind).flatMap(([category, byAction]) =>
        Object.entries(byAction).map(([action, n]) => [{ category, action }, n] as Sample),
      ),
  },
  {
    name: 'eqld_events_not_built_total',
    help: 'ECS events of a kind no loaded rule takes (and no events file): counted in eqld_events_total, their documents never built',
    type: 'counter',
    labels: [],
    read: (s) => one(s.pipeline.ecsEventsNotBuilt),
  },
  {
    name: 'eqld_events_unresolved_total',
    help: 'ECS events whose process or parent was not found (eqld.unresolved)',
    type: 'counter',
    labels: [],
    read: (s) => one(s.normalizer.unresolved),
  },
  {
    name: 'eqld_process_table_entries',
    help: 'Processes in the process table (live, and exited ones in their grace period)',
    type: 'gauge',
    labels: [],
    read: (s) => one(s.normalizer.table.size),
  },
  {
    name: 'eqld_process_table_max_entries',
    help: 'Bound of the process table (process.max_processes)',
    type: 'gauge',
    labels: [],
    read: (s) => one(s.normalizer.table.maxEntries),
  },
  {
    name: 'eqld_process_table_evictions_total',
    help: 'Processes evicted from the full process table, by state (exited first, then live)',
    type: 'counter',
    labels: ['state'],
    read: (s) => [
      [{ state: 'exited' }, s.normalizer.table.evictedExited],
      [{ state: 'live' }, s.normalizer.table.evictedLive],
    ],
  },
  // rules
  {
    name: 'eqld_rules_active',
    help: 'Rules being evaluated',
    type: 'gauge',
    labels: [],
    read: (s) => one(s.detector.rules.length),
  },
  {
    name: 'eqld_rule_matches_total',
    help: 'Query matches per rule, before suppression and the rate cap',
    type: 'counter',
    labels: RULE,
    read: (s) => perRule(s, (r) => r.matches),
  },
  {
    name: 'eqld_alerts_total',
    help: 'Alerts raised per rule (sent to the sinks)',
    type: 'counter',
    labels: RULE,
    read: (s) => perRule(s, (r) => r.alerts),
  },
  {
    name: 'eqld_alerts_suppressed_total',
    help: 'Duplicate alerts held back per rule (reported by a follow-up record when the window closes)',
    type: 'counter',
    labels: RULE,
    read: (s) => perRule(s, (r) => r.suppressed),
  },
  {
    name: 'eqld_alerts_rate_capped_total',
    help: 'Alerts held back per rule by the rate cap (reported by a follow-up record)',
    type: 'counter',
    labels: RULE,
    read: (s) => perRule(s, (r) => r.rateCapped),
  },
  {
    name: 'eqld_rule_events_excepted_total',
    help: 'Events withheld from a rule by its exceptions',
    type: 'counter',
    labels: RULE,
    read: (s) => perRule(s, (r) => r.excepted),
  },
  {
    name: 'eqld_rule_errors_total',
    help: 'Engine errors per rule (counted, never fatal)',
    type: 'counter',
    labels: RULE,
    read: (s) => perRule(s, (r) => r.errors),
  },
  {
    name: 'eqld_sequence_partials',
    help: 'Partial sequences held per sequence rule',
    type: 'gauge',
    labels: RULE,
    read: function* (s) {
      for (const { labels, m } of sequences(s)) yield [labels, m.partials ?? 0] as Sample;
    },
  },
  {
    name: 'eqld_sequence_expired_total',
    help: 'Partial sequences dropped per sequence rule because maxspan passed',
    type: 'counter',
    labels: RULE,
    read: function* (s) {
      for (const { labels, m } of sequences(s)) yield [labels, m.expired ?? 0] as Sample;
    },
  },
  {
    name: 'eqld_sequence_evictions_total',
    help: 'Partial sequences evicted per sequence rule to keep state bounded, by reason (oldest, per_key, global)',
    type: 'counter',
    labels: [...RULE, 'reason'],
    read: function* (s) {
      for (const { labels, m } of sequences(s)) {
        yield [{ ...labels, reason: 'oldest' }, m.evictedOldest ?? 0] as Sample;
        yield [{ ...labels, reason: 'per_key' }, m.evictedPerKey ?? 0] as Sample;
        yield [{ ...labels, reason: 'global' }, m.evictedGlobal ?? 0] as Sample;
      }
    },
  },
  // sinks
  {
    name: 'eqld_sink_sent_total',
    help: 'Alert records handed to the destination, per sink (re-sends included)',
    type: 'counter',
    labels: ['sink'],
    read: (s) => perSink(s, (c) => c.sent),
  },
  {
    name: 'eqld_sink_failed_total',
    help: 'Failed send attempts per sink (the record stays spooled and is retried)',
    type: 'counter',
    labels: ['sink'],
    read: (s) => perSink(s, (c) => c.failed),
  },
  {
    name: 'eqld_sink_spooled_total',
    help: 'Alert records written to the sink’s on-disk spool',
    type: 'counter',
    labels: ['sink'],
    read: (s) => perSink(s, (c) => c.spooled),
  },
  {
    name: 'eqld_sink_dropped_total',
    help: 'Alert records refused because the spool was full or unwritable (ALERTS LOST)',
    type: 'counter',
    labels: ['sink'],
    read: (s) => perSink(s, (c) => c.dropped),
  },
  {
    name: 'eqld_sink_spool_records',
    help: 'Alert records waiting in the sink’s spool',
    type: 'gauge',
    labels: ['sink'],
    read: (s) => perSink(s, (c) => c.spoolDepth),
  },
  {
    name: 'eqld_sink_spool_bytes',
    help: 'Bytes waiting in the sink’s spool',
    type: 'gauge',
    labels: ['sink'],
    read: (s) => perSink(s, (c) => c.spoolBytes),
  },
  {
    name: 'eqld_sink_up',
    help: 'Whether the sink’s destination is reachable (1) or not (0)',
    type: 'gauge',
    labels: ['sink'],
    read: (s) => perSink(s, (c) => (c.up ? 1 : 0)),
  },
  {
    name: 'eqld_events_file_written_total',
    help: 'ECS events written to the events file (output.events_file)',
    type: 'counter',
    labels: [],
    read: (s) => one(s.eventsFile?.written),
  },
  {
    name: 'eqld_events_file_dropped_total',
    help: 'ECS events not written to the events file (it could not keep up, or failed)',
    type: 'counter',
    labels: [],
    read: (s) => one(s.eventsFile?.dropped),
  },
  // eqld and bpftrace
  {
    name: 'eqld_process_resident_memory_bytes',
    help: 'Resident memory of eqld (node) and of bpftrace',
    type: 'gauge',
    labels: ['process'],
    read: (s) => perProcess(s, (u) => [[{}, u.rssBytes]]),
  },
  {
    name: 'eqld_process_cpu_seconds_total',
    help: 'CPU time of eqld (node) and of bpftrace (since it last started), by mode',
    type: 'counter',
    labels: ['process', 'mode'],
    read: (s) =>
      perProcess(s, (u) => [
        [{ mode: 'user' }, u.userSeconds],
        [{ mode: 'system' }, u.systemSeconds],
      ]),
  },
];
