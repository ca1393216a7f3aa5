// A private rsyslogd for tests: its own config, pid file, work directory, socket path and loopback
// ports, started as a child of the test and never the system one. `stockConfig` runs Debian's
// stock /etc/rsyslog.conf (checked against the package's conffile md5) with only the paths
// rewritten into the test directory, so "arrives intact on a stock Debian rsyslog" is tested on
// the real rules; the one other change is that imklog is not loaded (it would consume the host's
// /proc/kmsg, and has no part in the local socket). The other mode writes what every input
// receives in RSYSLOG_SyslogProtocol23Format (rsyslog's own RFC 5424 rendering of the fields it
// parsed) to one file.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';

export interface RsyslogOptions {
  dir: string;
  localSocket?: boolean;
  tcp?: boolean;
  tls?: { caFile: string; certFile: string; keyFile: string };
  udp?: boolean;
  stockConfig?: boolean;
}

export interface Rsyslog {
  pid: number;
  socketPath?: string;
  tcpPort?: number;
  udpPort?: number;
  tlsPort?: number;
  /** where received messages land (stock mode: the log file for authpriv, log/auth.log) */
  logFile: string;
  /** stock mode: every file the stock rules write, by base name (syslog, auth.log, user.log, ...) */
  logFiles: Record<string, string>;
  configFile: string;
  waitFor(pred: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  lines(): Promise<string[]>;
  stop(): Promise<void>;
  restart(): Promise<void>;
}

export const RSYSLOGD = '/usr/sbin/rsyslogd';

// rsyslogd children still running when the test process exits (a crashed or timed-out test) are
// killed, so no private instance outlives its test
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});
const STOCK_CONF = '/etc/rsyslog.conf';

/** Why rsyslog tests cannot run here, or undefined when they can. */
export function rsyslogUnavailable(opts: { tls?: boolean } = {}): string | undefined {
  if (!existsSync(RSYSLOGD))
    return `${RSYSLOGD} missing (apt-get install rsyslog; scripts/bootstrap.sh does)`;
  if (opts.tls && !existsSync('/usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_gtls.so')) {
    return 'rsyslog TLS driver missing (apt-get install rsyslog-gnutls)';
  }
  return undefined;
}

/** The stock config text, refused when /etc/rsyslog.conf differs from the package's conffile. */
export function stockConfigText(): string {
  const text = readFileSync(STOCK_CONF, 'utf8');
  const md5 = createHash('md5').update(text).digest('hex');
  const conffiles = execFileSync('dpkg-query', ['-W', `-f=${'$'}{Conffiles}`, 'rsyslog'], {
    encoding: 'utf8',
  });
  const stock = /\/etc\/rsyslog\.conf ([0-9a-f]{32})/.exec(conffiles)?.[1];
  if (stock !== md5) {
    throw new Error(`${STOCK_CONF} is not Debian's stock file (md5 ${md5}, package says ${stock})`);
  }
  return text;
}

/** A loopback port nobody listens on right now (bound, read, released). */
export function freePort(kind: 'tcp' | 'udp' = 'tcp'): Promise<number> {
  return new Promise((resolve, reject) => {
    if (kind === 'udp') {
      const s = createSocket('udp4');
      s.once('error', reject);
      s.bind(0, '127.0.0.1', () => {
        const p = s.address().port;
        s.close(() => resolve(p));
      });
      return;
    }
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

interface Ports {
  tcp?: number;
  udp?: number;
  tls?: number;
}

function networkInputs(opts: RsyslogOptions, ports: Ports, ruleset?: string): string {
  const rs = ruleset ? ` ruleset="${ruleset}"` : '';
  let c = '';
  if (opts.tls) {
    c += `global(DefaultNetstreamDriverCAFile="${opts.tls.caFile}" DefaultNetstreamDriverCertFile="${opts.tls.certFile}" DefaultNetstreamDriverKeyFile="${opts.tls.keyFile}")\n`;
  }
  if (ports.tcp || ports.tls) c += 'module(load="imtcp")\n';
  if (ports.tcp) c += `input(type="imtcp" address="127.0.0.1" port="${ports.tcp}"${rs})\n`;
  if (ports.tls) {
    c += `input(type="imtcp" address="127.0.0.1" port="${ports.tls}" streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon"${rs})\n`;
  }
  if (ports.udp)
    c += `module(load="imudp")\ninput(type="imudp" address="127.0.0.1" port="${ports.udp}"${rs})\n`;
  return c;
}

function testConfig(opts: RsyslogOptions, paths: Paths, ports: Ports): string {
  let c = `global(workDirectory="${paths.work}")\n`;
  c += 'module(load="imuxsock" SysSock.Use="off")\n';
  if (opts.localSocket) c += `input(type="imuxsock" Socket="${paths.socket}")\n`;
  c += networkInputs(opts, ports, 'eqld');
  c += `ruleset(name="eqld") { action(type="omfile" file="${paths.logFile}" template="RSYSLOG_SyslogProtocol23Format") }\n`;
  if (opts.localSocket)
    c += `*.* action(type="omfile" file="${paths.logFile}" template="RSYSLOG_SyslogProtocol23Format")\n`;
  return c;
}

function stockConfig(opts: RsyslogOptions, paths: Paths, ports: Ports): string {
  let c = stockConfigText()
    .replace('module(load="imuxsock")', `module(load="imuxsock" SysSock.Name="${paths.socket}")`)
    .replace(/^module\(load="imklog"\)/m, '#module(load="imklog") # not in tests: would consume /proc/kmsg')
    .replaceAll('/var/spool/rsyslog', paths.work)
    .replaceAll('/etc/rsyslog.d/', `${paths.includeDir}/`)
    .replaceAll('/var/log/', `${paths.logDir}/`);
  c += networkInputs(opts, ports);
  return c;
}

interface Paths {
  work: string;
  socket: string;
  logFile: string;
  logDir: string;
  includeDir: string;
  pidFile: string;
  conf: string;
}

export async function startRsyslog(opts: RsyslogOptions): Promise<Rsyslog> {
  const why = rsyslogUnavailable({ tls: opts.tls !== undefined });
  if (why) throw new Error(why);
  const paths: Paths = {
    work: join(opts.dir, 'work'),
    socket: join(opts.dir, 'log.sock'),
    logDir: join(opts.dir, 'log'),
    logFile: opts.stockConfig ? join(opts.dir, 'log', 'auth.log') : join(opts.dir, 'messages.log'),
    includeDir: join(opts.dir, 'rsyslog.d'),
    pidFile: join(opts.dir, 'rsyslogd.pid'),
    conf: join(opts.dir, 'rsyslog.conf'),
  };
  for (const d of [opts.dir, paths.work, paths.logDir, paths.includeDir]) mkdirSync(d, { recursive: true });
  const ports: Ports = {
    tcp: opts.tcp ? await freePort('tcp') : undefined,
    udp: opts.udp ? await freePort('udp') : undefined,
    tls: opts.tls ? await freePort('tcp') : undefined,
  };
  const conf = opts.stockConfig ? stockConfig(opts, paths, ports) : testConfig(opts, paths, ports);
  writeFileSync(paths.conf, conf);
  execFileSync(RSYSLOGD, ['-N1', '-f', paths.conf], { stdio: 'pipe' }); // config check, throws with rsyslog's words

  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let stderr = '';

  async function ready(): Promise<void> {
    const end = Date.now() + 20_000;
    for (;;) {
      const listening = await listeningPorts();
      const socketOk = !(opts.localSocket || opts.stockConfig) || existsSync(paths.socket);
      const tcpOk = [ports.tcp, ports.tls].every((p) => p === undefined || listening.has(p));
      const udpOk = ports.udp === undefined || (await udpBound(ports.udp));
      const ok = socketOk && tcpOk && udpOk;
      if (ok) return;
      if (child?.exitCode !== null && child?.exitCode !== undefined) {
        throw new Error(`rsyslogd exited with ${child.exitCode}: ${stderr}`);
      }
      if (Date.now() > end) throw new Error(`rsyslogd did not get ready in 20 s: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async function start(): Promise<void> {
    rmSync(paths.socket, { force: true });
    const c = spawn(RSYSLOGD, ['-n', '-f', paths.conf, '-i', paths.pidFile], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child = c;
    live.add(c);
    c.once('exit', () => live.delete(c));
    c.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    exited = new Promise((resolve) => c.once('exit', () => resolve()));
    await ready();
  }

  async function stop(): Promise<void> {
    const c = child;
    if (!c || c.exitCode !== null) return;
    c.kill('SIGTERM');
    const timer = setTimeout(() => c.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  async function lines(): Promise<string[]> {
    const text = await readFile(paths.logFile, 'utf8').catch(() => '');
    return text.split('\n').filter((l) => l.length > 0);
  }

  await start();
  const logFiles: Record<string, string> = {};
  if (opts.stockConfig) {
    for (const m of conf.matchAll(/-?(\S+\/log\/([\w.-]+))\s*$/gm)) logFiles[m[2] as string] = m[1] as string;
  }
  const r: Rsyslog = {
    get pid() {
      return child?.pid ?? 0;
    },
    socketPath: opts.localSocket || opts.stockConfig ? paths.socket : undefined,
    tcpPort: ports.tcp,
    udpPort: ports.udp,
    tlsPort: ports.tls,
    logFile: paths.logFile,
    logFiles,
    configFile: paths.conf,
    lines,
    async waitFor(pred, timeoutMs = 20_000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const hit = (await lines()).find(pred);
        if (hit !== undefined) return hit;
        if (Date.now() > end)
          throw new Error(`rsyslog: no matching line in ${paths.logFile} after ${timeoutMs} ms`);
        await new Promise((res) => setTimeout(res, 50));
      }
    },
    stop,
    async restart() {
      await stop();
      await start();
    },
  };
  return r;
}

/** TCP ports in LISTEN state on this host (from /proc/net/tcp and tcp6). */
async function listeningPorts(): Promise<Set<number>> {
  const out = new Set<number>();
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(f, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] === '0A') out.add(Number.parseInt((cols[1] ?? '').split(':')[1] ?? '0', 16));
    }
  }
  return out;
}

async function udpBound(port: number): Promise<boolean> {
  const text = await readFile('/proc/net/udp', 'utf8').catch(() => '');
  return text
    .split('\n')
    .slice(1)
    .some((l) => Number.parseInt((l.trim().split(/\s+/)[1] ?? '').split(':')[1] ?? '', 16) === port);
}
