// createSinks / SinkSet behaviour across sinks: fan-out, skipSyslog, a dead or stalled sink never
// holding up the others, redaction before anything reaches a sink or the spool, a full spool
// reported loudly, file modes and reopen for logrotate, and config errors that name the value.
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSinks, type SinkSet, type SinksConfig } from '../../src/alerts/sinks/index.js';
import { SyslogConfigError } from '../../src/alerts/sinks/syslog-codes.js';
import { makeCerts } from '../support/certs.js';
import { alertIdOf, makeAlert, numbered, waitUntil } from './alert-fixtures.js';
import { freePort, streamReceiver, unixReceiver } from './receivers.js';

let dir: string;
const sets: SinkSet[] = [];
const servers: Server[] = [];
const logLines: Record<string, unknown>[] = [];
const logger = pino(
  { level: 'info' },
  new Writable({
    write(chunk, _enc, cb) {
      logLines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      cb();
    },
  }),
);

async function sinks(cfg: Omit<SinksConfig, 'spoolDir'> & { spoolDir?: string }): Promise<SinkSet> {
  const s = await createSinks({ spoolDir: join(dir, 'spool'), ...cfg }, logger);
  sets.push(s);
  return s;
}
const fileLines = (p: string) =>
  existsSync(p) ? readFileSync(p, 'utf8').split('\n').filter(Boolean) : ([] as string[]);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'eqld-sinkset-'));
  logLines.length = 0;
});
afterEach(async () => {
  for (const s of sets.splice(0)) await s.close(200).catch(() => {});
  for (const s of servers.splice(0)) s.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('SinkSet', () => {
  it('fans each record out to every sink, and keeps skipSyslog records out of syslog sinks only', async () => {
    const sock = join(dir, 'log.sock');
    const rx = unixReceiver(sock);
    await rx.start();
    const file = join(dir, 'alerts.ndjson');
    const set = await sinks({
      syslogLocal: { socketPath: sock, facility: 'authpriv' },
      file: { path: file },
    });
    const [a, b] = numbered(2, 'fan');
    await set.write(a!);
    await set.write({ ...b!, skipSyslog: true });
    await set.flush();
    await waitUntil(() => fileLines(file).length === 2 && rx.records.length >= 1, 5000, 'both sinks');
    await new Promise((r) => setTimeout(r, 100));
    expect(fileLines(file).map(alertIdOf)).toEqual(['fan-000000', 'fan-000001']);
    expect(rx.records.map(alertIdOf)).toEqual(['fan-000000']);
    expect(Object.keys(set.stats()).sort()).toEqual(['file', 'syslog-local']);
    await rx.stop();
  });

  it('keeps delivering to the file while the remote collector is dead or stalled', async () => {
    // a collector that accepts and never reads: the kernel buffers fill and writes stall
    const stalledPort = await freePort();
    const held: Socket[] = [];
    const srv = createServer((c) => {
      c.pause();
      held.push(c);
    });
    servers.push(srv);
    await new Promise<void>((r) => srv.listen(stalledPort, '127.0.0.1', () => r()));
    const file = join(dir, 'alerts.ndjson');
    const set = await sinks({
      syslogRemote: { url: `tcp://127.0.0.1:${stalledPort}`, facility: 'authpriv', maxMessageBytes: 65_536 },
      file: { path: file },
    });
    // 700 x 60 KB = 42 MB: more than loopback socket buffers can hold (tcp_rmem max 32 MB + tcp_wmem max 4 MB here)
    const alerts = numbered(700, 'stall').map((a) => ({
      ...a,
      summary: `${a.summary} ${'p'.repeat(60_000)}`,
    }));
    const t0 = Date.now();
    for (const a of alerts) await set.write(a);
    await waitUntil(() => fileLines(file).length === 700, 20_000, 'file sink to receive everything');
    const elapsed = Date.now() - t0;
    const remote = set.stats()['syslog-remote'];
    expect(remote?.sent).toBeLessThan(700); // the collector is stalled...
    expect(remote?.spoolDepth).toBeGreaterThan(0);
    expect(elapsed).toBeLessThan(20_000); // ...and the file sink did not wait for it
    for (const c of held) c.destroy();

    const deadPort = await freePort(); // nobody listens
    const set2 = await sinks({
      spoolDir: join(dir, 'spool2'),
      syslogRemote: { url: `tcp://127.0.0.1:${deadPort}`, facility: 'authpriv' },
      file: { path: join(dir, 'b.ndjson') },
    });
    for (const a of numbered(50, 'dead')) await set2.write(a);
    await waitUntil(
      () => fileLines(join(dir, 'b.ndjson')).length === 50,
      5000,
      'file beside a dead collector',
    );
    await waitUntil(() => set2.stats()['syslog-remote']?.up === false, 5000, 'remote marked down');
    expect(set2.stats()['syslog-remote']?.spoolDepth).toBe(50);
  });

  it('redacts command-line secrets in the summary and document before any sink or spool sees them', async () => {
    const sock = join(dir, 'log.sock');
    const rx = unixReceiver(sock);
    await rx.start();
    const file = join(dir, 'alerts.ndjson');
    const set = await sinks({
      syslogLocal: { socketPath: sock, facility: 'authpriv' },
      file: { path: file },
      redact: ['(?<=--password[= ])\\S+', 'hunter2'],
    });
    const alert = makeAlert({
      id: 'redact-1',
      summary: 'mysql --password=s3cret (pid 1) hunter2',
      document: {
        kibana: { alert: { uuid: 'redact-1' } },
        process: {
          command_line: 'mysql --password=s3cret',
          args: ['mysql', '--password=s3cret'],
          parent: { command_line: 'sh -c "echo hunter2"' },
        },
        eqld: { matched_events: [{ process: { command_line: 'x --password s3cret' } }] },
      },
    });
    await set.write(alert);
    await set.flush();
    await waitUntil(() => fileLines(file).length === 1 && rx.records.length === 1, 5000, 'delivery');
    const everything = [fileLines(file)[0], rx.records[0]].join('\n');
    expect(everything).not.toMatch(/s3cret|hunter2/);
    expect(fileLines(file)[0]).toContain('--password=[REDACTED]');
    expect(rx.records[0]).toContain('--password=[REDACTED]');
    const spooled = readdirSync(join(dir, 'spool'), { recursive: true })
      .map((f) => join(dir, 'spool', String(f)))
      .filter((f) => f.endsWith('.ndjson'))
      .map((f) => readFileSync(f, 'utf8'))
      .join('');
    expect(spooled).toContain('redact-1');
    expect(spooled).not.toMatch(/s3cret|hunter2/);
    await rx.stop();
  });

  it('holds only a small batch in memory however long the backlog grows while a sink is down', async () => {
    const deadPort = await freePort();
    const set = await sinks({ syslogRemote: { url: `tcp://127.0.0.1:${deadPort}`, facility: 'authpriv' } });
    await Promise.all(numbered(3000, 'backlog').map((a) => set.write(a)));
    await waitUntil(() => set.stats()['syslog-remote']?.up === false, 5000, 'remote marked down');
    const st = set.stats()['syslog-remote'];
    expect(st?.spoolDepth).toBe(3000);
    expect(st?.buffered).toBeLessThanOrEqual(256);
  });

  it('reports a full spool loudly: counted as dropped and logged at error level, older records kept', async () => {
    const deadPort = await freePort();
    const set = await sinks({
      syslogRemote: { url: `tcp://127.0.0.1:${deadPort}`, facility: 'authpriv' },
      spoolMaxBytes: 4096,
    });
    for (const a of numbered(40, 'full')) await set.write(a);
    const st = set.stats()['syslog-remote'];
    expect(st?.dropped).toBeGreaterThan(0);
    expect((st?.spooled ?? 0) + (st?.dropped ?? 0)).toBe(40);
    expect(st?.spoolBytes).toBeLessThanOrEqual(4096);
    const err = logLines.find((l) => l.level === 50 && String(l.msg).includes('ALERTS LOST'));
    expect(err).toMatchObject({ sink: 'syslog-remote', full: true });
  });

  it('creates the alert file 0600 by default or 0640 when asked, and reopen() follows logrotate', async () => {
    const file = join(dir, 'alerts.ndjson');
    const set = await sinks({ file: { path: file } });
    await set.write(numbered(1, 'rot')[0]!);
    await set.flush();
    expect(statSync(file).mode & 0o777).toBe(0o600);
    renameSync(file, `${file}.1`); // logrotate moves the file away
    await set.reopen();
    await set.write(numbered(1, 'rot', 1)[0]!);
    await set.flush();
    expect(fileLines(`${file}.1`).map(alertIdOf)).toEqual(['rot-000000']);
    expect(fileLines(file).map(alertIdOf)).toEqual(['rot-000001']);

    const group = join(dir, 'group.ndjson');
    const set2 = await sinks({ spoolDir: join(dir, 'spool2'), file: { path: group, mode: 0o640 } });
    await set2.write(numbered(1, 'grp')[0]!);
    await set2.flush();
    expect(statSync(group).mode & 0o777).toBe(0o640);
  });

  it('refuses a TLS collector whose certificate the configured CA did not sign, and keeps the alerts spooled', async () => {
    const real = makeCerts(join(dir, 'pki-real'));
    const other = makeCerts(join(dir, 'pki-other'));
    const port = await freePort();
    const rx = streamReceiver(port, real);
    await rx.start();
    const set = await sinks({
      syslogRemote: { url: `tls://127.0.0.1:${port}`, facility: 'authpriv', caFile: other.caFile },
    });
    for (const a of numbered(5, 'mitm')) await set.write(a);
    await waitUntil(() => set.stats()['syslog-remote']?.up === false, 5000, 'TLS failure');
    const st = set.stats()['syslog-remote'];
    expect(st?.lastError).toMatch(/certificate|self.signed|verify/i);
    expect(st?.spoolDepth).toBe(5);
    expect(rx.records).toEqual([]);
    await rx.stop();
  });

  it('refuses a spool directory another running agent holds, and releases the spools it did open', async () => {
    const first = await sinks({ file: { path: join(dir, 'a.ndjson') } });
    const err = await sinks({ file: { path: join(dir, 'a.ndjson') }, stdout: true }).catch((e: unknown) => e);
    expect(String(err)).toMatch(/spool .*file is in use by a running eqld \(pid \d+\)/);
    // the stdout spool that did open was released: a third start can take it
    const third = await createSinks({ spoolDir: join(dir, 'spool'), stdout: true }, logger);
    await third.close(0);
    await first.close(0);
  });

  it('rejects bad configuration with a message naming what was expected and what came', async () => {
    const bad: [Omit<SinksConfig, 'spoolDir'>, RegExp][] = [
      [{ syslogLocal: { socketPath: '/dev/log', facility: 'secret' } }, /facility.*got `secret`/],
      [
        { syslogRemote: { url: 'http://x:1', facility: 'authpriv' } },
        /udp:\/\/, tcp:\/\/ or tls:\/\/, got `http:`/,
      ],
      [{ file: { path: join(dir, 'x'), mode: 0o644 } }, /0600 or 0640, got `644`/],
      [{ redact: ['(unclosed'] }, /regular expressions, got `\(unclosed`/],
      [
        { syslogRemote: { url: 'tls://127.0.0.1:1', facility: 'authpriv', caFile: join(dir, 'no.pem') } },
        /CA file/,
      ],
    ];
    for (const [cfg, msg] of bad) {
      const err = await sinks(cfg).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SyslogConfigError);
      expect(String((err as Error).message)).toMatch(msg);
    }
  });
});
