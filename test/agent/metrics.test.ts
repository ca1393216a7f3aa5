// The Prometheus exposition from synthetic stage stats: the names and labels an operator's
// dashboards use, event kinds and rules taken from the data (a new event category shows up with no
// code change), hostile label values escaped, promtool's verdict, and the HTTP endpoint's answers.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { EqldMetrics, MetricsServer, MetricsServerError } from '../../src/agent/metrics/index.js';
import type { MetricsSnapshot } from '../../src/agent/metrics/snapshot.js';
import type { AlertRecord } from '../../src/alerts/alert-record.js';
import type { CollectorStats } from '../../src/collector/index.js';
import { RAW_EVENT_KINDS, type RawEventKind } from '../../src/collector/raw-event.js';
import type { NormalizerStats } from '../../src/normalize/index.js';
import { prometheusUnavailable, promtoolCheck } from '../support/prometheus.js';

const whyNoProm = prometheusUnavailable();
if (whyNoProm) process.stderr.write(`SKIPPED (${whyNoProm}): promtool check of the exposition\n`);

function snapshot(): MetricsSnapshot {
  return {
    pipeline: {
      rawEvents: {
        ...(Object.fromEntries(RAW_EVENT_KINDS.map((k) => [k, 0])) as Record<RawEventKind, number>),
        ...{ exec: 7, fork: 9, exit: 9, connect: 2, setsid: 1, file: 3, lost: 1 },
      },
      ecsEvents: 30,
      ecsEventsNotBuilt: 18,
      ecsEventsByKind: {
        process: { exec: 7, fork: 9, end: 9, session_id_change: 1 },
        network: { connection_attempted: 2 },
        file: { creation: 3 },
      },
      lostKernelEvents: 12,
      lostFileEvents: 0,
      gaps: 1,
      seedBufferDropped: 0,
      alerts: 2,
      alertsByRule: {},
      sinkErrors: 0,
      alertsAfterClose: 0,
      lastEventMs: 0,
    },
    collector: {
      running: true,
      byKind: { exec: 7, fork: 9, exit: 9, connect: 2, setsid: 1, lost: 1, gap: 0 },
      lines: 40,
      malformed: 3,
      restarts: 1,
      gaps: 1,
      late: 0,
    } as unknown as CollectorStats,
    normalizer: {
      unresolved: 4,
      table: {
        live: 90,
        exited: 10,
        size: 100,
        maxEntries: 65536,
        evictedExited: 5,
        evictedLive: 1,
        expired: 0,
      },
    } as unknown as NormalizerStats,
    detector: {
      events: 30,
      rules: [
        {
          ruleId: 'r-seq',
          name: 'Sequence "quoted" \\ rule\nsecond line',
          matches: 3,
          alerts: 2,
          excepted: 1,
          suppressed: 1,
          rateCapped: 0,
          errors: 0,
          matcher: {
            kind: 'sequence',
            partials: 6,
            expired: 2,
            evictedOldest: 1,
            evictedPerKey: 0,
            evictedGlobal: 0,
          },
        },
        {
          ruleId: 'r-event',
          name: 'Event rule',
          matches: 0,
          alerts: 0,
          excepted: 0,
          suppressed: 0,
          rateCapped: 4,
          errors: 0,
          matcher: { kind: 'event' },
        },
      ],
    },
    sinks: {
      'file:/var/log/eqld/alerts.ndjson': {
        sent: 2,
        failed: 0,
        spooled: 2,
        dropped: 0,
        resent: 0,
        replayed: 0,
        spoolDepth: 0,
        spoolBytes: 0,
        buffered: 0,
        up: true,
      },
      'syslog:tcp://127.0.0.1:6514': {
        sent: 0,
        failed: 5,
        spooled: 2,
        dropped: 1,
        resent: 0,
        replayed: 0,
        spoolDepth: 2,
        spoolBytes: 4096,
        buffered: 0,
        up: false,
      },
    },
    processes: {
      eqld: { userSeconds: 1.5, systemSeconds: 0.5, rssBytes: 80e6 },
      bpftrace: { userSeconds: 0.25, systemSeconds: 0.75, rssBytes: 40e6 },
    },
  };
}

const alert = (type: AlertRecord['type'], originalTime: string): AlertRecord => ({
  id: 'a',
  type,
  timestamp: originalTime,
  rule: {
    id: 'r-seq',
    uuid: 'r-seq',
    name: 'x',
    severity: 'high',
    riskScore: 73,
    code: 'x',
    buildingBlock: false,
  },
  summary: 'x',
  entityIds: [],
  document: { kibana: { alert: { original_time: originalTime } } },
});

describe('eqld metrics exposition', () => {
  it('exposes events by category and action as the data has them, new categories included', async () => {
    const text = await new EqldMetrics(snapshot, '0.1.0').scrape();
    expect(text).toContain('# TYPE eqld_events_total counter');
    expect(text).toContain('eqld_events_total{category="process",action="exec"} 7');
    expect(text).toContain('eqld_events_total{category="network",action="connection_attempted"} 2');
    expect(text).toContain('eqld_events_total{category="file",action="creation"} 3');
    expect(text).toContain('eqld_kernel_events_total{kind="setsid"} 1');
  });

  it('exposes loss, malformed lines, restarts, gaps and the process table', async () => {
    const text = await new EqldMetrics(snapshot, '0.1.0').scrape();
    for (const line of [
      'eqld_kernel_events_lost_total 12',
      'eqld_collector_malformed_lines_total 3',
      'eqld_bpftrace_restarts_total 1',
      'eqld_bpftrace_gaps_total 1',
      'eqld_bpftrace_up 1',
      'eqld_process_table_entries 100',
      'eqld_process_table_evictions_total{state="exited"} 5',
      'eqld_process_table_evictions_total{state="live"} 1',
      'eqld_events_unresolved_total 4',
      'eqld_events_not_built_total 18',
      'eqld_build_info{version="0.1.0"} 1',
    ]) {
      expect(text).toContain(line);
    }
  });

  it('labels per-rule series with the rule id and an escaped name; sequence state only for sequences', async () => {
    const text = await new EqldMetrics(snapshot, '0.1.0').scrape();
    const seq = 'rule_id="r-seq",rule="Sequence \\"quoted\\" \\\\ rule\\nsecond line"';
    expect(text).toContain(`eqld_alerts_total{${seq}} 2`);
    expect(text).toContain(`eqld_alerts_suppressed_total{${seq}} 1`);
    expect(text).toContain('eqld_alerts_rate_capped_total{rule_id="r-event",rule="Event rule"} 4');
    expect(text).toContain(`eqld_sequence_partials{${seq}} 6`);
    expect(text).toContain(`eqld_sequence_evictions_total{${seq},reason="oldest"} 1`);
    expect(text).toContain(`eqld_sequence_expired_total{${seq}} 2`);
    expect(text).not.toMatch(/eqld_sequence_partials\{rule_id="r-event"/);
  });

  it('exposes each sink’s counters and spool, and the RSS and CPU of eqld and bpftrace', async () => {
    const text = await new EqldMetrics(snapshot, '0.1.0').scrape();
    const remote = 'sink="syslog:tcp://127.0.0.1:6514"';
    expect(text).toContain(`eqld_sink_failed_total{${remote}} 5`);
    expect(text).toContain(`eqld_sink_dropped_total{${remote}} 1`);
    expect(text).toContain(`eqld_sink_spool_records{${remote}} 2`);
    expect(text).toContain(`eqld_sink_spool_bytes{${remote}} 4096`);
    expect(text).toContain(`eqld_sink_up{${remote}} 0`);
    expect(text).toContain('eqld_sink_sent_total{sink="file:/var/log/eqld/alerts.ndjson"} 2');
    expect(text).toContain('eqld_process_resident_memory_bytes{process="bpftrace"} 40000000');
    expect(text).toContain('eqld_process_cpu_seconds_total{process="bpftrace",mode="system"} 0.75');
    expect(text).toContain('eqld_process_cpu_seconds_total{process="eqld",mode="user"} 1.5');
  });

  it('reads the stages at scrape time: a later scrape shows the new totals', async () => {
    let n = 1;
    const m = new EqldMetrics(() => {
      const s = snapshot();
      s.pipeline.lostKernelEvents = n;
      return s;
    }, '0.1.0');
    expect(await m.scrape()).toContain('eqld_kernel_events_lost_total 1\n');
    n = 50;
    expect(await m.scrape()).toContain('eqld_kernel_events_lost_total 50\n');
  });

  it('observes detection latency from the last event’s time and counts records by type', async () => {
    const m = new EqldMetrics(snapshot, '0.1.0');
    const t0 = Date.parse('2026-01-01T00:00:00.000Z');
    m.observeAlert(alert('alert', '2026-01-01T00:00:00.000Z'), t0 + 80);
    m.observeAlert(alert('alert', '2026-01-01T00:00:00.000Z'), t0 + 3000);
    m.observeAlert(alert('suppressed', '2026-01-01T00:00:00.000Z'), t0 + 9e6);
    m.observeAlert(alert('health', 'not a time'), t0);
    const text = await m.scrape();
    expect(text).toContain('# TYPE eqld_detection_latency_seconds histogram');
    expect(text).toContain('eqld_detection_latency_seconds_bucket{le="0.05"} 0');
    expect(text).toContain('eqld_detection_latency_seconds_bucket{le="0.1"} 1');
    expect(text).toContain('eqld_detection_latency_seconds_bucket{le="5"} 2');
    expect(text).toContain('eqld_detection_latency_seconds_count 2');
    expect(text).toContain('eqld_detection_latency_seconds_sum 3.08');
    expect(text).toContain('eqld_alert_records_total{type="alert"} 2');
    expect(text).toContain('eqld_alert_records_total{type="suppressed"} 1');
    expect(text).toContain('eqld_alert_records_total{type="health"} 1');
  });

  it('has every metric it registers listed in docs/operations.md', () => {
    const docs = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');
    const names = new EqldMetrics(snapshot, '0.1.0').registry.getMetricsAsArray().map((m) => m.name);
    expect(names.length).toBeGreaterThan(30);
    for (const name of names) expect(docs, name).toContain(`| \`${name}\` |`);
  });

  it.skipIf(whyNoProm !== undefined)('passes promtool check metrics', async () => {
    const m = new EqldMetrics(snapshot, '0.1.0');
    m.observeAlert(alert('alert', new Date().toISOString()), Date.now() + 100);
    const r = promtoolCheck(await m.scrape());
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
  });

  it.skipIf(whyNoProm !== undefined)('promtool does flag a bad exposition (the check can fail)', () => {
    const r = promtoolCheck('# HELP eqld_things_total x\n# TYPE eqld_things_total counter\neqld_things 1\n');
    expect(`${r.status} ${r.output}`).not.toBe('0 ');
  });
});

describe('metrics endpoint', () => {
  let server: MetricsServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('answers GET /metrics with the exposition and its content type, 404 and 405 otherwise', async () => {
    const metrics = new EqldMetrics(snapshot, '0.1.0');
    server = new MetricsServer(metrics);
    const at = await server.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${at.port}`;
    const ok = await fetch(`${base}/metrics`);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    expect(await ok.text()).toContain('eqld_kernel_events_lost_total 12');
    const head = await fetch(`${base}/metrics`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect((await fetch(`${base}/`)).status).toBe(404);
    expect((await fetch(`${base}/metrics/../etc/passwd`)).status).toBe(404);
    const post = await fetch(`${base}/metrics`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect(server.stats().scrapes).toBe(2);
  });

  it('answers 500 and reports the error when a stage’s stats throw, and keeps serving', async () => {
    let fail = true;
    const errors: unknown[] = [];
    const metrics = new EqldMetrics(() => {
      if (fail) throw new Error('stats exploded');
      return snapshot();
    }, '0.1.0');
    server = new MetricsServer(metrics, (e) => errors.push(e));
    const at = await server.listen({ host: '127.0.0.1', port: 0 });
    expect((await fetch(`http://127.0.0.1:${at.port}/metrics`)).status).toBe(500);
    expect(String(errors[0])).toContain('stats exploded');
    fail = false;
    expect((await fetch(`http://127.0.0.1:${at.port}/metrics`)).status).toBe(200);
  });

  it('rejects with the reason when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    try {
      server = new MetricsServer(new EqldMetrics(snapshot, '0.1.0'));
      const err = await server.listen({ host: '127.0.0.1', port }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MetricsServerError);
      expect(String(err)).toContain(`127.0.0.1:${port}: EADDRINUSE`);
    } finally {
      blocker.close();
    }
  });
});
