// Real rsyslog (Debian's package, a private instance started by the test): alerts arrive intact on
// the local socket under Debian's STOCK rules, and as RFC 5424 over TCP, TLS and UDP; with rsyslog
// stopped they spool and arrive after it starts again, in order, none lost, duplicates carrying the
// same alert id. Skips loudly where rsyslogd is not installed.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlertRecord } from '../../src/alerts/alert-record.js';
import { createSinks, type SinkSet, type SinksConfig } from '../../src/alerts/sinks/index.js';
import { formatLocal } from '../../src/alerts/sinks/local-format.js';
import { formatRfc5424 } from '../../src/alerts/sinks/rfc5424.js';
import { makeCerts } from '../support/certs.js';
import { type Rsyslog, rsyslogUnavailable, startRsyslog } from '../support/rsyslog.js';
import {
  alertIdOf,
  firstOccurrences,
  hostileAlert,
  makeAlert,
  numbered,
  waitUntil,
} from './alert-fixtures.js';
import { parse5424 } from './rfc5424-parse.js';

const why = rsyslogUnavailable();
if (why) process.stderr.write(`SKIPPED (real rsyslog unavailable: ${why}): rsyslog sink tests\n`);
const describeRsyslog = why ? describe.skip : describe;
const whyNoTls = why ?? rsyslogUnavailable({ tls: true });
if (whyNoTls && !why) process.stderr.write(`SKIPPED (${whyNoTls}): rsyslog TLS test\n`);

const logger = pino({ level: 'silent' });
const oversized = () =>
  makeAlert({ id: 'oversized-1', summary: `long ${'é'.repeat(5000)} tail`, entityIds: ['e1', 'e2'] });

describeRsyslog('real rsyslog', () => {
  let dir: string;
  const running: Rsyslog[] = [];
  const sets: SinkSet[] = [];

  async function rsyslog(opts: Parameters<typeof startRsyslog>[0]): Promise<Rsyslog> {
    const r = await startRsyslog(opts);
    running.push(r);
    return r;
  }
  async function sinks(cfg: Omit<SinksConfig, 'spoolDir'>, spool = 'spool'): Promise<SinkSet> {
    const s = await createSinks({ ...cfg, spoolDir: join(dir, spool) }, logger);
    sets.push(s);
    return s;
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'eqld-rsyslog-'));
  });
  afterEach(async () => {
    for (const s of sets.splice(0)) await s.close(200).catch(() => {});
    for (const r of running.splice(0)) await r.stop();
    if (process.env.KEEP_TEST_DIRS === '1') process.stderr.write(`kept ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
  });

  it('delivers alerts intact over the local socket to rsyslog running Debian stock rules (auth.log, not syslog)', async () => {
    const r = await rsyslog({ dir: join(dir, 'rsyslog'), stockConfig: true });
    const set = await sinks({ syslogLocal: { socketPath: r.socketPath as string, facility: 'authpriv' } });
    const alerts = [makeAlert(), hostileAlert(), oversized()];
    for (const a of alerts) await set.write(a);
    await set.flush();
    const text = () => (existsSync(r.logFile) ? readFileSync(r.logFile, 'utf8') : '');
    await waitUntil(
      () => text().includes('oversized-1'),
      20_000,
      'auth.log',
      () => text().length,
    );
    const lines = await r.lines();
    expect(lines).toHaveLength(3); // the hostile command line forged no extra line
    for (const [i, a] of alerts.entries()) {
      const body = formatLocal(a, { facility: 10, pid: process.pid }).replace(
        /^<\d+>\w{3} [ \d]\d [\d:]{8} /,
        '',
      );
      // stock template RSYSLOG_FileFormat: TIMESTAMP HOSTNAME TAG MSG
      expect(lines[i]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+[+-]\d\d:\d\d \S+ /);
      expect(lines[i]?.slice(lines[i]?.indexOf(' ', lines[i]?.indexOf(' ') + 1) + 1)).toBe(body);
    }
    expect(lines[2]).toMatch(/é\.\.\.\[truncated\]"$/); // cut by eqld under rsyslog's limit, not by rsyslog
    // *.*;auth,authpriv.none -> syslog, user.* -> user.log: neither may hold an alert
    for (const f of [r.logFiles.syslog, r.logFiles['user.log']] as string[]) {
      expect(existsSync(f) ? readFileSync(f, 'utf8') : '').not.toContain('eqld[');
    }
  });

  for (const proto of ['tcp', 'tls', 'udp'] as const) {
    const itProto = proto === 'tls' && whyNoTls ? it.skip : it;
    itProto(
      `delivers RFC 5424 records over ${proto} that rsyslog parses back to the same fields`,
      async () => {
        const certs = proto === 'tls' ? makeCerts(join(dir, 'pki')) : undefined;
        const r = await rsyslog({
          dir: join(dir, 'rsyslog'),
          tcp: proto === 'tcp',
          udp: proto === 'udp',
          tls: certs && { caFile: certs.caFile, certFile: certs.certFile, keyFile: certs.keyFile },
        });
        const port = proto === 'tcp' ? r.tcpPort : proto === 'udp' ? r.udpPort : r.tlsPort;
        const set = await sinks({
          syslogRemote: { url: `${proto}://127.0.0.1:${port}`, facility: 'authpriv', caFile: certs?.caFile },
        });
        const alerts: AlertRecord[] = [makeAlert(), hostileAlert(), oversized()];
        for (const a of alerts) await set.write(a);
        await set.flush();
        await r.waitFor((l) => l.includes('oversized-1'));
        const lines = await r.lines();
        expect(lines).toHaveLength(3);
        for (const [i, a] of alerts.entries()) {
          const sent = parse5424(formatRfc5424(a, { facility: 10, hostname: hostname(), pid: process.pid }));
          const got = parse5424(lines[i] as string);
          expect({ ...got, timestamp: Date.parse(got.timestamp) }).toEqual({
            ...sent,
            timestamp: Date.parse(sent.timestamp),
          });
        }
        expect(set.stats()['syslog-remote']?.sent).toBe(3);
      },
    );
  }

  it('spools while rsyslog is stopped and delivers every alert in order after it restarts (tcp)', async () => {
    const r = await rsyslog({ dir: join(dir, 'rsyslog'), tcp: true });
    const set = await sinks({ syslogRemote: { url: `tcp://127.0.0.1:${r.tcpPort}`, facility: 'authpriv' } });
    const all = numbered(60, 'tcp');
    for (const a of all.slice(0, 20)) await set.write(a);
    await r.waitFor((l) => l.includes('tcp-000019'));
    await r.stop();
    for (const a of all.slice(20, 50)) await set.write(a);
    await waitUntil(() => set.stats()['syslog-remote']?.up === false, 20_000, 'the sink to see rsyslog gone');
    expect(set.stats()['syslog-remote']?.spoolDepth).toBeGreaterThan(0);
    await r.restart();
    for (const a of all.slice(50)) await set.write(a);
    const ids = async () => (await r.lines()).map(alertIdOf);
    const end = Date.now() + 40_000;
    while (firstOccurrences(await ids()).length < 60 && Date.now() < end)
      await new Promise((x) => setTimeout(x, 100));
    expect(firstOccurrences(await ids())).toEqual(all.map((a) => a.id));
    const received = await ids();
    expect(received.every((id) => all.some((a) => a.id === id))).toBe(true);
    process.stderr.write(
      `rsyslog tcp restart: ${received.length - 60} duplicate(s), all with known alert ids\n`,
    );
  });

  it('leaves alerts spooled when the agent stops while rsyslog is down, and the next agent start delivers them (stock local socket)', async () => {
    const r = await rsyslog({ dir: join(dir, 'rsyslog'), stockConfig: true });
    const cfg = { syslogLocal: { socketPath: r.socketPath as string, facility: 'authpriv' } };
    const first = await sinks(cfg);
    const all = numbered(40, 'local');
    for (const a of all.slice(0, 10)) await first.write(a);
    await r.waitFor((l) => l.includes('local-000009'));
    await r.stop();
    for (const a of all.slice(10, 30)) await first.write(a);
    await first.close(500); // SIGTERM while rsyslog is down: the rest stays in the spool
    sets.splice(sets.indexOf(first), 1);
    await r.restart();
    const second = await sinks(cfg);
    expect(second.stats()['syslog-local']?.replayed).toBeGreaterThanOrEqual(20);
    for (const a of all.slice(30)) await second.write(a);
    const ids = async () => (await r.lines()).map(alertIdOf);
    const end = Date.now() + 30_000;
    while (firstOccurrences(await ids()).length < 40 && Date.now() < end)
      await new Promise((x) => setTimeout(x, 100));
    expect(firstOccurrences(await ids())).toEqual(all.map((a) => a.id));
    expect((await ids()).every((id) => all.some((a) => a.id === id))).toBe(true);
  });
});
