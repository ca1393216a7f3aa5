// Fleet shape: the NDJSON files `eqld run` writes (--events-file, --alerts-file) must be what a
// Filebeat/Elastic Agent filestream input can ship unchanged into logs-endpoint.events.*: every
// event names its data stream, and every field Elastic Defend also sends has Defend's JSON type
// (checked against the samples in shared/data/elastic-defend-samples). Real kernel, real agent.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectThenSetsid, get, ROOT_RULE, readAlertsFile, ruleNameOf } from '../e2e/attack-kit.js';
import { lossAware } from '../e2e/loss-aware.js';
import { type EqldProcess, startEqld } from '../support/eqld-process.js';
import { describeKernel } from '../support/kernel.js';
import { createTopology, startListener, type Topology } from '../support/netns.js';
import { sharedPaths, typeMismatches } from './field-types.js';

const SAMPLES_DIR = '/work/shared/data/elastic-defend-samples';

function samples(): unknown[] {
  return readdirSync(SAMPLES_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(SAMPLES_DIR, f), 'utf8')) as unknown);
}

function ndjson(path: string): Record<string, unknown>[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function until<T>(fn: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describeKernel('fleet: NDJSON files shaped for logs-endpoint.events.*', () => {
  let dir: string;
  let topo: Topology;
  let eqld: EqldProcess;
  let events: Record<string, unknown>[] = [];
  let alerts: Record<string, unknown>[] = [];
  let triggerPid = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'eqld-fleet-'));
    topo = await createTopology();
    const listener = await startListener(topo.attacker, '0.0.0.0');
    writeFileSync(join(dir, 'eqld.toml'), '');
    eqld = await startEqld([
      '--config',
      join(dir, 'eqld.toml'),
      '--no-syslog',
      '--state-dir',
      dir,
      '--events-file',
      join(dir, 'events.ndjson'),
      '--alerts-file',
      join(dir, 'alerts.ndjson'),
      '--health-interval',
      '1',
    ]);
    const e = eqld;
    await lossAware(e, 'attack', async () => {
      const r = await connectThenSetsid(topo.victim, topo.publicAddress, listener.port, { mode: 'same' });
      triggerPid = r.connectPid;
      await until(
        () =>
          readAlertsFile(join(dir, 'alerts.ndjson')).find(
            (a) => ruleNameOf(a) === ROOT_RULE && JSON.stringify(a).includes(`"pid":${triggerPid}`),
          ),
        15_000,
        `the root rule's alert for pid ${triggerPid} in the alerts file (eqld stderr: ${e.stderr().slice(-2000)})`,
      );
    });
    await eqld.stop();
    await listener.stop();
    events = ndjson(join(dir, 'events.ndjson'));
    alerts = readAlertsFile(join(dir, 'alerts.ndjson'));
  });

  afterAll(async () => {
    await eqld?.stop('SIGKILL');
    await topo?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes exec, connection_attempted and session_id_change events of the trigger', () => {
    const mine = events.filter((e) => get(e, 'process.pid') === triggerPid);
    const actions = new Set(mine.map((e) => get(e, 'event.action')));
    expect(actions).toContain('connection_attempted');
    expect(actions).toContain('session_id_change');
    expect(events.some((e) => get(e, 'event.action') === 'exec')).toBe(true);
  });

  it('names a logs-endpoint.events.* data stream in every event', () => {
    const bad = events.filter(
      (e) =>
        get(e, 'data_stream.type') !== 'logs' ||
        !/^endpoint\.events\.(process|network|file)$/.test(String(get(e, 'data_stream.dataset'))) ||
        typeof get(e, 'data_stream.namespace') !== 'string',
    );
    expect(bad.slice(0, 3)).toEqual([]);
    for (const e of events) {
      const cat = get(e, 'event.category');
      expect(Array.isArray(cat) ? cat : [cat]).toContain(String(get(e, 'data_stream.dataset')).split('.')[2]);
    }
  });

  it('gives every event field the JSON type Elastic Defend uses for it', () => {
    const s = samples();
    const shared = sharedPaths(s, events);
    // the fields the bundled rules read are among those compared
    for (const path of [
      'process.pid',
      'process.args',
      'process.parent.executable',
      'user.id',
      'event.category',
      'destination.ip',
      'destination.port',
    ]) {
      expect(shared).toContain(path);
    }
    expect(shared.length).toBeGreaterThan(40);
    expect(typeMismatches(s, events)).toEqual([]);
  });

  it('gives every alert field shared with Defend events the same JSON type', () => {
    const docs = alerts.map((a) => (a.document && typeof a.document === 'object' ? a.document : a));
    const s = samples();
    expect(sharedPaths(s, docs).length).toBeGreaterThan(10);
    expect(typeMismatches(s, docs)).toEqual([]);
  });
});
