// Normalizer throughput and memory. Writes docs/benchmarks/normalize.md.
// (a) raw events/s per core (CPU time) through Normalizer.push, with 100,000 live processes in
//     the table, for three streams: the mix recorded by `eqld events` on this machine under the
//     test suite (equal parts fork/exec/exit, ~0.5% connect and setsid), a TCP connect flood,
//     and a UDP connect flood that is dropped by default; (b) heap bytes per table entry at
//     100,000 entries with realistic argv (this host's /proc cmdlines, or a fixed sample:
//     NORMALIZE_BENCH_ARGV, cycled), and RSS also under smaller young generations; (c) retained
//     bytes per emitted document. No kernel needed; finishes in well under two minutes.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import pino from 'pino';
import type { RawEvent } from '../src/collector/raw-event.js';
import type { HostInfo } from '../src/normalize/host-info.js';
import { Normalizer } from '../src/normalize/normalizer.js';
import { UserDb } from '../src/normalize/user-db.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const HOST: HostInfo = {
  id: '0123456789abcdef0123456789abcdef',
  bootId: 'd1b0a1e2-0000-4000-8000-123456789abc',
  hostname: 'bench',
  name: 'bench',
  architecture: 'x86_64',
  os: { type: 'linux', name: 'Debian GNU/Linux', version: '12', kernel: release() },
  clkTck: 100,
};
const TABLE = 100_000;
const TICK = 10_000_000n;

/**
 * A reference argv sample (NORMALIZE_BENCH_ARGV=reference): the processes of a quiet test VM
 * while this bench runs (shells, npm/vite-node/esbuild, rsyslogd) and typical server and desktop
 * processes, 28 in all, about 137 bytes of argv each (the host sample of the first recorded run
 * had 134). Fixed, so runs on hosts with other processes compare.
 */
const REFERENCE_ARGVS: string[][] = [
  [
    '/usr/bin/prometheus-node-exporter',
    '--collector.systemd',
    '--collector.processes',
    '--web.listen-address=127.0.0.1:9100',
    '--collector.textfile.directory=/var/lib/prometheus/node-exporter',
    '--collector.filesystem.mount-points-exclude=^/(dev|proc|sys)($|/)',
  ],
  ['bash', '/dev/fd/3'],
  ['rsyslogd'],
  ['bash', '/dev/fd/3'],
  ['bash', '/dev/fd/3'],
  ['bash', '/dev/fd/3'],
  ['bash', '/dev/fd/3'],
  ['npm exec vite-node bench/normalize.bench.ts', '', '', '', '', '', '', '', '', ''],
  ['sh', '-c', "'vite-node' bench/normalize.bench.ts"],
  ['node', '/work/main/node_modules/.bin/vite-node', 'bench/normalize.bench.ts'],
  ['/work/main/node_modules/@esbuild/linux-x64/bin/esbuild', '--service=0.28.2', '--ping'],
  ['/usr/sbin/sshd', '-D'],
  ['sshd: alice [priv]'],
  ['-bash'],
  [
    '/usr/lib/postgresql/15/bin/postgres',
    '-D',
    '/var/lib/postgresql/15/main',
    '-c',
    'config_file=/etc/postgresql/15/main/postgresql.conf',
  ],
  ['sh', '-c', 'cd /srv/app && exec ./run.sh --port 8080 --log-level info'],
  [
    '/usr/bin/java',
    '-Xms512m',
    '-Xmx2g',
    '-XX:+UseG1GC',
    '-Dlog4j.configurationFile=/etc/app/log4j2.xml',
    '-cp',
    '/opt/app/lib/*',
    'com.example.Main',
    '--config',
    '/etc/app/app.yml',
  ],
  ['/usr/bin/dockerd', '-H', 'fd://', '--containerd=/run/containerd/containerd.sock'],
  ['/usr/bin/python3', '/usr/share/unattended-upgrades/unattended-upgrade-shutdown', '--wait-for-signal'],
  [
    'node',
    '/work/main/node_modules/vitest/vitest.mjs',
    'run',
    'test/normalize',
    '--reporter=dot',
    '--pool=forks',
    '--poolOptions.forks.singleFork',
  ],
  [
    '/usr/bin/containerd-shim-runc-v2',
    '-namespace',
    'moby',
    '-id',
    '8d38b2f18290e973c5ea8f9ee207e970a8aa9191fa89bf3d4ea2a126f2f010a6',
    '-address',
    '/run/containerd/containerd.sock',
  ],
  [
    '/usr/bin/kubelet',
    '--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf',
    '--kubeconfig=/etc/kubernetes/kubelet.conf',
    '--config=/var/lib/kubelet/config.yaml',
    '--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock',
    '--pod-infra-container-image=registry.k8s.io/pause:3.9',
    '--node-ip=10.0.0.12',
  ],
  [
    '/home/alice/.vscode-server/bin/0ee08df0cf4527e40edc9aa28f4b5bd38bbff2b2/node',
    '/home/alice/.vscode-server/bin/0ee08df0cf4527e40edc9aa28f4b5bd38bbff2b2/out/server-main.js',
    '--start-server',
    '--host=127.0.0.1',
    '--accept-server-license-terms',
    '--enable-remote-auto-shutdown',
    '--port=0',
    '--telemetry-level',
    'all',
    '--connection-token-file',
    '/home/alice/.vscode-server/.0ee08df0cf4527e40edc9aa28f4b5bd38bbff2b2.token',
  ],
  [
    '/srv/app/venv/bin/python3',
    '/srv/app/venv/bin/gunicorn',
    '--workers',
    '4',
    '--bind',
    '127.0.0.1:8000',
    '--access-logfile',
    '-',
    '--error-logfile',
    '-',
    'app.wsgi:application',
  ],
  [
    '/usr/lib/jvm/java-17-openjdk-amd64/bin/java',
    '-Xms1g',
    '-Xmx1g',
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=200',
    '-Des.path.home=/usr/share/elasticsearch',
    '-Des.path.conf=/etc/elasticsearch',
    '-Des.distribution.type=deb',
    '-cp',
    '/usr/share/elasticsearch/lib/*',
    'org.elasticsearch.bootstrap.Elasticsearch',
  ],
  [
    '/opt/google/chrome/chrome',
    '--type=renderer',
    '--crashpad-handler-pid=2211',
    '--enable-crash-reporter=,',
    '--change-stack-guard-on-fork=enable',
    '--lang=en-US',
    '--num-raster-threads=4',
    '--enable-main-frame-before-activation',
    '--renderer-client-id=7',
    '--time-ticks-at-unix-epoch=-1732550000000000',
    '--launch-time-ticks=1234567890',
    '--shared-files=v8_context_snapshot_data:100',
    '--field-trial-handle=3,i,1234567890123456789,9876543210987654321,262144',
    '--enable-features=UseOzonePlatform,WaylandWindowDecorations',
    '--disable-features=SpareRendererForSitePerProcess',
    '--variations-seed-version=20261120-180029.123000',
  ],
  [
    'bash',
    '-c',
    'set -euo pipefail; for f in /var/log/app/*.log; do gzip -9 "$f" && mv "$f.gz" /var/log/app/archive/; done; find /var/log/app/archive -mtime +30 -delete; systemctl reload app.service',
  ],
  [
    '/usr/bin/qemu-system-x86_64',
    '-name',
    'guest=build-vm,debug-threads=on',
    '-machine',
    'pc-q35-7.2,usb=off,vmport=off,dump-guest-core=off,memory-backend=pc.ram',
    '-accel',
    'kvm',
    '-cpu',
    'host,migratable=on',
    '-m',
    '4096',
    '-object',
    '{"qom-type":"memory-backend-ram","id":"pc.ram","size":4294967296}',
    '-smp',
    '2,sockets=2,cores=1,threads=1',
    '-uuid',
    '3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
    '-blockdev',
    '{"driver":"file","filename":"/var/lib/libvirt/images/build-vm.qcow2","node-name":"libvirt-1-storage"}',
    '-netdev',
    'tap,fd=32,vhost=on,vhostfd=34,id=hostnet0',
    '-device',
    'virtio-net-pci,netdev=hostnet0,id=net0,mac=52:54:00:12:34:56',
  ],
];

/**
 * argv samples: REFERENCE_ARGVS by default (NORMALIZE_BENCH_ARGV unset or `reference`), so that
 * runs compare across hosts and over time; `host` takes every process's argv on this host (the
 * heap then follows whatever runs there); any other value names a JSON file of argv arrays
 */
const ARGV_FILE = process.env.NORMALIZE_BENCH_ARGV ?? 'reference';
function sampleArgvs(): string[][] {
  if (ARGV_FILE === 'reference') return REFERENCE_ARGVS;
  if (ARGV_FILE !== 'host') {
    const list = JSON.parse(readFileSync(ARGV_FILE, 'utf8')) as unknown;
    if (
      !Array.isArray(list) ||
      list.length === 0 ||
      !list.every((a) => Array.isArray(a) && a.length > 0 && a.every((s) => typeof s === 'string'))
    ) {
      throw new Error(`Expected NORMALIZE_BENCH_ARGV (${ARGV_FILE}) to hold a JSON array of argv arrays`);
    }
    return list as string[][];
  }
  return hostArgvs();
}

/** argv of every process on this host, as realistic argv samples */
function hostArgvs(): string[][] {
  const out: string[][] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const parts = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      parts.pop();
      if (parts.length > 0) out.push(parts);
    } catch {
      // gone
    }
  }
  return out.length > 0 ? out : [['/usr/sbin/sshd', '-D']];
}
const ARGVS = sampleArgvs();
/** a copy of an argv sample in fresh strings, as the collector decodes each exec's argv anew */
const fresh = (argv: string[]): string[] => argv.map((a) => Buffer.from(a, 'utf8').toString('utf8'));
const argvBytes = ARGVS.reduce((n, a) => n + a.reduce((m, s) => m + s.length + 1, 0), 0) / ARGVS.length;

function makeNormalizer(): Normalizer {
  return new Normalizer({
    host: HOST,
    logger: pino({ level: 'silent' }),
    excludePids: () => false,
    maxProcesses: TABLE + 50_000,
    procFallback: false,
    procRoot: '/nonexistent',
    users: new UserDb({ nssLookup: false }),
    eventIdPrefix: 'B',
  });
}

let ktime = 1_000_000_000_000;
const creds = { uid: 1000, gid: 1000, euid: 1000, egid: 1000 };

/** fork+exec of `n` long-lived processes under a shell (pid 10), pids from `base` */
function populate(n: Normalizer, count: number, base: number): void {
  n.push({
    kind: 'exec',
    ktimeNs: ktime,
    pid: 10,
    tid: 10,
    startNs: 5n * TICK,
    ppid: 1,
    parentStartNs: TICK,
    sid: 10,
    comm: 'bash',
    filename: '/usr/bin/bash',
    argv: ['-bash'],
    argvTruncated: false,
    ...creds,
  });
  for (let i = 0; i < count; i++) {
    const pid = base + i;
    const startNs = BigInt(1_000 + i) * TICK;
    const argv = fresh(ARGVS[i % ARGVS.length] as string[]);
    ktime += 1000;
    n.push({
      kind: 'fork',
      ktimeNs: ktime,
      parentPid: 10,
      parentTid: 10,
      parentStartNs: 5n * TICK,
      childPid: pid,
      childStartNs: startNs,
    });
    n.push({
      kind: 'exec',
      ktimeNs: ktime + 1,
      pid,
      tid: pid,
      startNs,
      ppid: 10,
      parentStartNs: 5n * TICK,
      comm: 'p',
      filename: argv[0] ?? '/bin/x',
      argv,
      argvTruncated: false,
      cwd: '/home/alice',
      ...creds,
    });
  }
}

/**
 * Raw events are generated in chunks as the run consumes them (outside the timed pushes), so
 * they are young objects as the collector's are, not a whole stream promoted to the old space.
 */
function* mixed(count: number, livePids: number, base: number): Generator<RawEvent> {
  // recorded proportions (eqld events, 14 s under the test suite): fork 1839, exec 1839,
  // exit 1828, connect 27, setsid 26 -> one connect and one setsid per ~70 processes
  let next = 0;
  let emitted = 0;
  for (let i = 0; emitted < count; i++) {
    const pid = 900_000 + (i % 50_000);
    const startNs = BigInt(2_000_000 + i) * TICK;
    const argv = fresh(ARGVS[i % ARGVS.length] as string[]);
    ktime += 3000;
    emitted++;
    yield {
      kind: 'fork',
      ktimeNs: ktime,
      parentPid: 10,
      parentTid: 10,
      parentStartNs: 5n * TICK,
      childPid: pid,
      childStartNs: startNs,
    };
    emitted++;
    yield {
      kind: 'exec',
      ktimeNs: ktime + 1,
      pid,
      tid: pid,
      startNs,
      ppid: 10,
      parentStartNs: 5n * TICK,
      comm: 'p',
      filename: argv[0] ?? '/bin/x',
      argv,
      argvTruncated: false,
      ...creds,
    };
    if (i % 70 === 0) {
      const live = base + (next++ % livePids);
      emitted++;
      yield {
        kind: 'connect',
        ktimeNs: ktime + 2,
        pid: live,
        tid: live,
        startNs: BigInt(1_000 + (live - base)) * TICK,
        family: 'ipv4',
        socketType: 'stream',
        daddr: '10.1.2.3',
        dport: 443,
        ret: -115,
        comm: 'p',
        ...creds,
      };
      emitted++;
      yield { kind: 'setsid', ktimeNs: ktime + 3, pid, tid: pid, startNs, ret: pid, comm: 'p', ...creds };
    }
    emitted++;
    yield { kind: 'exit', ktimeNs: ktime + 4, pid, tid: pid, startNs, exitCode: 0 };
  }
}

function* connects(
  count: number,
  livePids: number,
  base: number,
  socketType: 'stream' | 'dgram',
): Generator<RawEvent> {
  for (let i = 0; i < count; i++) {
    const live = base + (i % livePids);
    ktime += 1000;
    yield {
      kind: 'connect',
      ktimeNs: ktime,
      pid: live,
      tid: live,
      startNs: BigInt(1_000 + (live - base)) * TICK,
      family: 'ipv4',
      socketType,
      daddr: `10.0.${(i >> 8) & 255}.${i & 255}`,
      dport: 1 + (i % 60000),
      ret: i % 3 === 0 ? -111 : -115,
      comm: 'p',
      ...creds,
    };
  }
}

function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

interface RunResult {
  events: number;
  perSec: number;
  cpu: number;
  wall: number;
  emitted: number;
}

const CHUNK = 10_000;

/** Pushes the stream in chunks; CPU and wall time are taken around the pushes only. */
function run(n: Normalizer, stream: Generator<RawEvent>, total: number): RunResult {
  let emitted = 0;
  n.onEvent(() => {
    emitted++;
  });
  // warm-up on the first 10% (JIT), measured on the rest
  const warm = Math.floor(total / 10);
  let done = 0;
  let cpu = 0;
  let wall = 0;
  let measured = 0;
  const chunk: RawEvent[] = [];
  for (;;) {
    chunk.length = 0;
    for (let r = stream.next(); !r.done; r = stream.next()) {
      chunk.push(r.value);
      if (chunk.length === CHUNK || done + chunk.length === warm) break;
    }
    if (chunk.length === 0) break;
    const timed = done >= warm;
    if (timed && measured === 0) emitted = 0;
    const c0 = cpuNow();
    const w0 = performance.now();
    for (const e of chunk) n.push(e);
    if (timed) {
      wall += (performance.now() - w0) / 1000;
      cpu += cpuNow() - c0;
      measured += chunk.length;
    }
    done += chunk.length;
  }
  return { events: done, perSec: measured / cpu, cpu, wall: measured / wall, emitted };
}

const BASE = 100_000;
const mib = (b: number) => (b / 2 ** 20).toFixed(1);

/** node flags of this run: V8's young generation size changes the RSS figure */
const nodeFlags = [process.env.NODE_OPTIONS ?? '', ...process.execArgv].filter((f) => f !== '').join(' ');
const MEMORY_MARK = 'memory-only: ';
/** V8 sizes each young-generation semi-space up to 16 MiB by default; an agent may run with less */
const SEMI_SPACES_MIB = [4, 2, 1];

/** The table memory figures of a child run with `--max-semi-space-size=<mib>`. */
function memoryWithSemiSpace(mib: number): { heap: number; rss: number } | undefined {
  const r = spawnSync(
    process.execPath,
    [
      ...process.execArgv,
      `--max-semi-space-size=${mib}`,
      process.argv[1] ?? '',
      fileURLToPath(import.meta.url),
    ],
    { env: { ...process.env, NORMALIZE_BENCH_MEMORY_ONLY: '1' }, encoding: 'utf8' },
  );
  const line = r.stdout?.split('\n').find((l) => l.startsWith(MEMORY_MARK));
  return line ? (JSON.parse(line.slice(MEMORY_MARK.length)) as { heap: number; rss: number }) : undefined;
}

// (b) memory of the table
gc();
const heap0 = process.memoryUsage().heapUsed;
const rss0 = process.memoryUsage().rss;
const n = makeNormalizer();
populate(n, TABLE, BASE);
gc();
const heap1 = process.memoryUsage().heapUsed;
const rss1 = process.memoryUsage().rss;
const tableBytes = heap1 - heap0;
const perEntry = tableBytes / (TABLE + 1);
process.stdout.write(
  `table: ${n.stats().table.size} entries, heap +${mib(tableBytes)} MiB (${perEntry.toFixed(0)} B/entry, ${(perEntry - argvBytes).toFixed(0)} beyond ${argvBytes.toFixed(0)} B of argv), rss +${mib(rss1 - rss0)} MiB\n`,
);
if (process.env.NORMALIZE_BENCH_MEMORY_ONLY === '1') {
  // a child run for another young-generation size (below): the table figures only
  process.stdout.write(`${MEMORY_MARK}${JSON.stringify({ heap: tableBytes, rss: rss1 - rss0 })}\n`);
  process.exit(0);
}

// (a) throughput with the table full
const STREAM = 600_000;
const streams: [string, () => Generator<RawEvent>][] = [
  ['recorded mix (fork/exec/exit + 0.5% connect/setsid)', () => mixed(STREAM, TABLE, BASE)],
  ['TCP connect flood (100,000 processes)', () => connects(STREAM, TABLE, BASE, 'stream')],
  ['TCP connect flood (100 processes)', () => connects(STREAM, 100, BASE, 'stream')],
  ['UDP connect flood (dropped by default)', () => connects(STREAM, TABLE, BASE, 'dgram')],
];
const rows: string[] = [];
const results: Record<string, number> = {};
for (const [name, make] of streams) {
  const r = run(n, make(), STREAM);
  results[name] = r.perSec;
  const us = (1e6 / r.perSec).toFixed(2);
  rows.push(
    `| ${name} | ${r.events.toLocaleString('en-US')} | ${Math.round(r.perSec).toLocaleString('en-US')} | ${us} | ${Math.round(r.wall).toLocaleString('en-US')} | ${r.cpu.toFixed(2)} | ${r.emitted.toLocaleString('en-US')} |`,
  );
  process.stdout.write(
    `${name}: ${Math.round(r.perSec)} events/s per core (${us} us CPU/event), ${Math.round(r.wall)} events/s wall\n`,
  );
}
const st = n.stats();

// the same table built under smaller young generations (a child process each)
const semi = SEMI_SPACES_MIB.map((size) => ({ size, m: memoryWithSemiSpace(size) }));
for (const { size, m } of semi) {
  process.stdout.write(
    `--max-semi-space-size=${size}: ${m ? `heap +${mib(m.heap)} MiB, rss +${mib(m.rss)} MiB` : 'failed'}\n`,
  );
}

// (c) retained bytes per document: keep 20,000 documents alive and measure the heap
const keep: unknown[] = [];
const n2 = makeNormalizer();
populate(n2, 1_000, BASE);
const sample = [...mixed(16_000, 1_000, BASE), ...connects(4_000, 1_000, BASE, 'stream')];
n2.onEvent((e) => keep.push(e.doc));
gc();
const h0 = process.memoryUsage().heapUsed;
for (const e of sample) n2.push(e);
gc();
const perDoc = (process.memoryUsage().heapUsed - h0) / keep.length;
const jsonBytes = keep.reduce((s: number, d) => s + JSON.stringify(d).length, 0) / keep.length;
process.stdout.write(`documents: ${perDoc.toFixed(0)} B retained each, ${jsonBytes.toFixed(0)} B as JSON\n`);

// target: 3x the collector's maximum lossless rate. The higher (stricter) of the figure in
// docs/benchmarks/collector.md (connect storm under the Collector; measured on whatever load the
// machine had) and the ~90,000 connect events/s delivered with 0 lost on a quiet machine in
// ../shared/docs/kernel-facts.md.
let collectorMax = 90_000;
let collectorSource = 'kernel-facts.md: ~90k connect events/s delivered to a consumer, 0 lost';
try {
  const text = readFileSync('docs/benchmarks/collector.md', 'utf8');
  for (const line of text.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    // | workload | mode | ops/s generated | events/s delivered | ... | lost | ...
    if (cells[1] === 'connect' && /collector/i.test(cells[2] ?? '') && cells[7] === '0') {
      const rate = Number((cells[4] ?? '').replaceAll(',', ''));
      if (rate > collectorMax) {
        collectorMax = rate;
        collectorSource = 'docs/benchmarks/collector.md, lossless connect storm under the Collector';
      }
    }
  }
} catch {
  // no collector benchmark yet
}
const target = 3 * collectorMax;
const verdict = (ok: boolean) => (ok ? 'met' : '**missed**');
const tcp = results['TCP connect flood (100,000 processes)'] ?? 0;
const tcpFew = results['TCP connect flood (100 processes)'] ?? 0;
const mix = results['recorded mix (fork/exec/exit + 0.5% connect/setsid)'] ?? 0;
const md = [
  '## Normalizer (bench/normalize.bench.ts)',
  '',
  `- machine: ${cpus()[0]?.model ?? 'unknown'} x ${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, kernel ${release()}, node ${process.version}`,
  `- date: ${new Date().toISOString()}`,
  `- command: ${ARGV_FILE === 'reference' ? "`npm run bench -- normalize` (or `npx vite-node bench/normalize.bench.ts`; NORMALIZE_BENCH_ARGV=host samples this host's argv instead)" : `\`NORMALIZE_BENCH_ARGV=${ARGV_FILE} npx vite-node bench/normalize.bench.ts\``}`,
  `- table: ${(TABLE + 1).toLocaleString('en-US')} live processes (fork+exec each) with ${ARGV_FILE === 'reference' ? "the bench's reference argv sample (REFERENCE_ARGVS)" : ARGV_FILE === 'host' ? "this host's argv" : `the argv samples of ${ARGV_FILE}`} cycled (fresh strings per process) (${ARGVS.length} samples, mean ${argvBytes.toFixed(0)} bytes of argv), cwd, credentials; synthetic pids (this machine's pid_max is 32768)`,
  '- events/s per core = raw events pushed / CPU seconds of this process (single thread), after a 10% warm-up, CPU and wall time taken around the pushes only (events are generated in chunks of 10,000 between them, so they are young objects like the events a live collector delivers); every event is fully enriched (parent, group/session/entry leaders, user names)',
  '',
  '| stream | raw events | raw events/s per core | CPU µs per event | raw events/s wall-clock | CPU s | documents emitted |',
  '| --- | --- | --- | --- | --- | --- | --- |',
  ...rows,
  '',
  '| memory | value |',
  '| --- | --- |',
  `| heap growth for the ${(TABLE + 1).toLocaleString('en-US')}-entry table | ${mib(tableBytes)} MiB (${perEntry.toFixed(0)} bytes per entry) |`,
  `| table heap per entry beyond the argv text itself (${argvBytes.toFixed(0)} bytes mean here: the heap figure follows the argv sample) | ${(perEntry - argvBytes).toFixed(0)} bytes |`,
  `| RSS growth for the table | ${mib(rss1 - rss0)} MiB (node flags: ${nodeFlags === '' ? 'none' : `\`${nodeFlags}\``}) |`,
  ...semi.map(
    ({ size, m }) =>
      `| RSS growth for the table with \`--max-semi-space-size=${size}\` (a child run) | ${m ? `${mib(m.rss)} MiB (heap ${mib(m.heap)} MiB)` : 'failed'} |`,
  ),
  `| retained heap per emitted document (allocation lower bound) | ${perDoc.toFixed(0)} bytes (${jsonBytes.toFixed(0)} bytes as JSON) |`,
  `| table after all streams | ${st.table.size.toLocaleString('en-US')} entries, ${st.table.evictedExited.toLocaleString('en-US')} exited evicted, ${st.table.evictedLive} live evicted |`,
  '',
  'Targets (issue #3):',
  `- throughput at least 3x the collector's maximum lossless rate (${collectorMax.toLocaleString('en-US')} events/s from ${collectorSource}, so ${target.toLocaleString('en-US')}/s): TCP connect flood from 100,000 processes ${verdict(tcp >= target)} (${Math.round(tcp).toLocaleString('en-US')}); from 100 processes ${verdict(tcpFew >= target)} (${Math.round(tcpFew).toLocaleString('en-US')}); recorded mix ${verdict(mix >= target)} (${Math.round(mix).toLocaleString('en-US')}). The exec path is bounded far lower by the kernel (~1.2k exec/s traced, kernel-facts.md), which the mix exceeds by two orders of magnitude.`,
  `- table memory under 64 MiB at 100,000 entries: heap ${verdict(tableBytes < 64 * 2 ** 20)} (${mib(tableBytes)} MiB live heap after GC, ${perEntry.toFixed(0)} bytes per entry); process RSS growth ${verdict(rss1 - rss0 < 64 * 2 ** 20)} (${mib(rss1 - rss0)} MiB: the live heap plus V8's free space and young generation kept after the build-up, which the OS only gets back under memory pressure)${semi
    .map(
      ({ size, m }) =>
        `; with \`--max-semi-space-size=${size}\` ${m ? `${verdict(m.rss < 64 * 2 ** 20)} (${mib(m.rss)} MiB)` : 'not measured'}`,
    )
    .join('')}`,
];
mkdirSync('docs/benchmarks', { recursive: true });
writeFileSync('docs/benchmarks/normalize.md', `${md.join('\n')}\n`);
process.stdout.write('wrote docs/benchmarks/normalize.md\n');
