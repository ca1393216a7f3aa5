// Public surface of alert delivery: createSinks() builds, from one normalized config, a SinkSet that
// fans every record out to the configured sinks (local syslog socket, remote syslog over
// UDP/TCP/TLS, NDJSON file, stdout), each with its own on-disk spool and delivery loop, so one slow
// or dead sink never holds up the others. docs/syslog.md describes formats and guarantees.
import { hostname } from 'node:os';
import { join } from 'node:path';
import type pino from 'pino';
import type { AlertRecord, AlertSink } from '../alert-record.js';
import { SegmentSpool } from '../spool/segment-spool.js';
import { createRedactor } from './redact.js';
import { DEFAULT_MAX_BYTES } from './rfc5424.js';
import { type SinkCounters, SpooledSink } from './spooled-sink.js';
import { DEFAULT_FACILITY, facilityCode, SyslogConfigError } from './syslog-codes.js';
import type { Transport } from './transport.js';
import { parseEndpoint } from './transports/endpoint.js';
import { FileTransport } from './transports/file.js';
import { StdoutTransport } from './transports/stdout.js';
import { StreamTransport } from './transports/stream.js';
import { UdpTransport } from './transports/udp.js';
import { UnixDgramTransport } from './transports/unix-dgram.js';

export interface SinksConfig {
  syslogLocal?: { socketPath: string; facility: string; maxMessageBytes?: number };
  syslogRemote?: {
    url: string;
    facility: string;
    caFile?: string;
    certFile?: string;
    keyFile?: string;
    maxMessageBytes?: number;
  };
  file?: { path: string; mode?: number };
  stdout?: boolean;
  /** regular expressions; matches in command lines become [REDACTED] */
  redact?: string[];
  /** one sub-directory per sink; default for the agent: /var/lib/eqld/spool */
  spoolDir: string;
  /** bound on undelivered bytes, per sink (default 64 MiB) */
  spoolMaxBytes?: number;
  /** 'always' (default): a record is fdatasync'ed before write() resolves */
  spoolFsync?: 'always' | 'never';
}

/** per-sink counters, keyed by sink name (syslog-local, syslog-remote, file, stdout) */
export type SinkStats = Record<string, SinkCounters>;

export interface SinkSet extends AlertSink {
  /** reopen file sinks (logrotate) */
  reopen(): Promise<void>;
  stats(): SinkStats;
  /** drain within timeoutMs (default 5 s); the rest stays spooled for the next start */
  close(timeoutMs?: number): Promise<void>;
  flush(timeoutMs?: number): Promise<void>;
}

export const DEFAULT_SPOOL_DIR = '/var/lib/eqld/spool';

function checkMaxBytes(n: number | undefined): number {
  const v = n ?? DEFAULT_MAX_BYTES;
  if (!Number.isInteger(v) || v < 1024 || v > 1024 * 1024) {
    throw new SyslogConfigError(`Expected maxMessageBytes between 1024 and 1048576, got \`${n}\``);
  }
  return v;
}

function checkMode(mode: number | undefined): number {
  const m = mode ?? 0o600;
  if (m !== 0o600 && m !== 0o640) {
    throw new SyslogConfigError(`Expected the alert file mode 0600 or 0640, got \`${m.toString(8)}\``);
  }
  return m;
}

/** Builds the transports the config names; throws SyslogConfigError on a bad value. */
export function createTransports(cfg: SinksConfig): Transport[] {
  const out: Transport[] = [];
  if (cfg.syslogLocal) {
    out.push(
      new UnixDgramTransport({
        socketPath: cfg.syslogLocal.socketPath,
        facility: facilityCode(cfg.syslogLocal.facility || DEFAULT_FACILITY),
        maxMessageBytes: checkMaxBytes(cfg.syslogLocal.maxMessageBytes),
      }),
    );
  }
  if (cfg.syslogRemote) {
    const r = cfg.syslogRemote;
    const ep = parseEndpoint(
      r.url,
      {
        facility: facilityCode(r.facility || DEFAULT_FACILITY),
        hostname: hostname(),
        pid: process.pid,
        maxBytes: checkMaxBytes(r.maxMessageBytes),
      },
      r,
    );
    out.push(ep.protocol === 'udp' ? new UdpTransport(ep) : new StreamTransport(ep));
  }
  if (cfg.file) out.push(new FileTransport(cfg.file.path, checkMode(cfg.file.mode)));
  if (cfg.stdout) out.push(new StdoutTransport());
  return out;
}

class FanOut implements SinkSet {
  readonly name = 'sinks';
  constructor(
    private readonly sinks: SpooledSink[],
    private readonly redact: (a: AlertRecord) => AlertRecord,
    private readonly logger: pino.Logger,
  ) {}

  async write(alert: AlertRecord): Promise<void> {
    const rec = this.redact(alert);
    await Promise.all(
      this.sinks
        .filter((s) => !(rec.skipSyslog && s.syslog))
        .map((s) =>
          s.write(rec).catch((err: Error) => {
            this.logger.error({ sink: s.name, alertId: rec.id, err: err.message }, 'sink refused an alert');
          }),
        ),
    );
  }

  async flush(timeoutMs?: number): Promise<void> {
    await Promise.all(this.sinks.map((s) => s.flush(timeoutMs)));
  }

  async close(timeoutMs?: number): Promise<void> {
    await Promise.all(this.sinks.map((s) => s.close(timeoutMs)));
  }

  async reopen(): Promise<void> {
    await Promise.all(this.sinks.map((s) => s.transport.reopen()));
  }

  stats(): SinkStats {
    return Object.fromEntries(this.sinks.map((s) => [s.name, s.stats()]));
  }
}

/** Builds the sinks, opens their spools and starts delivering what earlier runs left spooled. */
export async function createSinks(cfg: SinksConfig, logger: pino.Logger): Promise<SinkSet> {
  const redact = createRedactor(cfg.redact ?? []);
  const sinks = createTransports(cfg).map(
    (t) =>
      new SpooledSink(
        t,
        new SegmentSpool<AlertRecord>({
          dir: join(cfg.spoolDir, t.name),
          maxBytes: cfg.spoolMaxBytes,
          fsync: cfg.spoolFsync,
        }),
        logger.child({ component: 'sinks' }),
      ),
  );
  const started = await Promise.allSettled(sinks.map((s) => s.start()));
  const failure = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) {
    // release the spools that did open (their locks) before reporting the one that did not
    await Promise.all(sinks.map((s, i) => (started[i]?.status === 'fulfilled' ? s.close(0) : undefined)));
    throw failure.reason;
  }
  return new FanOut(sinks, redact, logger);
}

export { SpoolFullError, SpoolIoError } from '../spool/spool-error.js';
export { formatLocal } from './local-format.js';
export { DEFAULT_SD_ID, formatRfc5424 } from './rfc5424.js';
export type { SinkCounters } from './spooled-sink.js';
export { DEFAULT_FACILITY, FACILITIES, SEVERITY_CODES, SyslogConfigError } from './syslog-codes.js';
export type { Transport } from './transport.js';
