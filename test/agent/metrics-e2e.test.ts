// `eqld run --metrics-listen` as an operator meets it: a bad address is a config error, a taken
// port stops start-up with the reason, and on the real kernel the endpoint of a running eqld
// passes `promtool check metrics` and is scraped by a real Prometheus (Debian's package, started
// by the test on loopback, stopped by PID) that answers a query on one of eqld's counters.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EQLD_MAIN, type EqldProcess, startEqld } from '../support/eqld-process.js';
import { describeKernel } from '../support/kernel.js';
import {
  type PrometheusServer,
  prometheusUnavailable,
  promtoolCheck,
  startPrometheus,
} from '../support/prometheus.js';

const whyNoProm = prometheusUnavailable();
if (whyNoProm) process.stderr.write(`SKIPPED (${whyNoProm}): eqld scraped by a real Prometheus\n`);

async function until<T>(fn: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** the value of one sample line, e.g. `eqld_events_total{category="process",action="exec"}` */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('eqld run --metrics-listen: bad values', () => {
  it('exits 2 naming metrics.listen when the address is not ADDR:PORT', () => {
    for (const bad of ['9464', ':9464', '127.0.0.1:99999', '300.1.1.1:9464', '[::1:9464']) {
      const r = spawnSync(
        process.execPath,
        [EQLD_MAIN, 'run', '--config', '/dev/null', '--metrics-listen', bad],
        {
          encoding: 'utf8',
          timeout: 30_000,
        },
      );
      expect(r.status, bad).toBe(2);
      expect(r.stderr, bad).toContain('Expected metrics.listen to be ADDR:PORT');
    }
  });
});

describeKernel('eqld run --metrics-listen on the real kernel', () => {
  let dir: string;
  let eqld: EqldProcess | undefined;
  let address: string;
  let prometheus: PrometheusServer | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'eqld-metrics-'));
    eqld = await startEqld([
      '--config',
      '/dev/null',
      '--no-syslog',
      '--alerts-file',
      join(dir, 'alerts.ndjson'),
      '--state-dir',
      join(dir, 'state'),
      '--metrics-listen',
      '127.0.0.1:0',
    ]);
    const line = await eqld.waitForLog((l) => l.msg === 'metrics listening', 10_000);
    address = String(line.address);
  }, 90_000);

  afterAll(async () => {
    await prometheus?.stop();
    await eqld?.stop('SIGTERM', 20_000);
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves a scrape that counts this test’s execs and passes promtool check metrics', async () => {
    for (let i = 0; i < 3; i++) spawnSync('/bin/true');
    const text = await until(
      async () => {
        const t = await (await fetch(`http://${address}/metrics`)).text();
        return (sample(t, 'eqld_events_total{category="process",action="exec"}') ?? 0) >= 3 ? t : undefined;
      },
      15_000,
      'exec events in the scrape',
    );
    expect(sample(text, 'eqld_bpftrace_up')).toBe(1);
    expect(sample(text, 'eqld_process_resident_memory_bytes{process="bpftrace"}')).toBeGreaterThan(0);
    expect(sample(text, 'eqld_process_resident_memory_bytes{process="eqld"}')).toBeGreaterThan(0);
    expect(sample(text, 'eqld_rules_active')).toBe(2);
    if (whyNoProm) return;
    const r = promtoolCheck(text);
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
  });

  it.skipIf(whyNoProm !== undefined)(
    'is scraped by a real Prometheus, which answers a query on eqld’s exec counter',
    async () => {
      prometheus = await startPrometheus([address]);
      const p = prometheus;
      const result = await until(
        async () => {
          const r = await p.query('eqld_kernel_events_total{kind="exec"}');
          return r.length > 0 && Number(r[0]?.value[1]) > 0 ? r : undefined;
        },
        30_000,
        'Prometheus to have scraped eqld',
      ).catch((err: Error) => {
        throw new Error(`${err.message}\n--- prometheus log ---\n${p.log()}`);
      });
      expect(result[0]?.metric).toMatchObject({ job: 'eqld', instance: address, kind: 'exec' });
      const up = await p.query('up{job="eqld"}');
      expect(up[0]?.value[1]).toBe('1');
      await p.stop();
      prometheus = undefined;
    },
  );

  it('refuses to start, with the reason, when the metrics port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = spawnSync(
        process.execPath,
        [
          EQLD_MAIN,
          'run',
          '--config',
          '/dev/null',
          '--no-syslog',
          '--alerts-file',
          join(dir, 'alerts-2.ndjson'),
          '--state-dir',
          join(dir, 'state-2'),
          '--metrics-listen',
          `127.0.0.1:${port}`,
        ],
        { encoding: 'utf8', timeout: 60_000 },
      );
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('could not start the metrics endpoint');
      expect(r.stderr).toContain(`127.0.0.1:${port}: EADDRINUSE`);
    } finally {
      blocker.close();
    }
  });
});
