// Parses and checks the remote syslog URL (udp://host:port, tcp://host:port, tls://host:port) and
// the TLS files, once at start-up, into a plain endpoint object.
import { readFileSync } from 'node:fs';
import type { Rfc5424Options } from '../rfc5424.js';
import { SyslogConfigError } from '../syslog-codes.js';

export interface RemoteEndpoint {
  protocol: 'udp' | 'tcp' | 'tls';
  host: string;
  port: number;
  format: Rfc5424Options;
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer; servername?: string };
}

export interface TlsFiles {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

const DEFAULT_PORTS = { udp: 514, tcp: 514, tls: 6514 } as const;

function readPem(kind: string, file: string | undefined): Buffer | undefined {
  if (file === undefined) return undefined;
  try {
    return readFileSync(file);
  } catch (err) {
    throw new SyslogConfigError(
      `Expected a readable TLS ${kind} file, got \`${file}\`: ${(err as Error).message}`,
    );
  }
}

export function parseEndpoint(url: string, format: Rfc5424Options, files: TlsFiles = {}): RemoteEndpoint {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new SyslogConfigError(`Expected a syslog URL like tcp://host:514, got \`${url}\``);
  }
  const protocol = u.protocol.replace(/:$/, '');
  if (protocol !== 'udp' && protocol !== 'tcp' && protocol !== 'tls') {
    throw new SyslogConfigError(
      `Expected a syslog URL scheme udp://, tcp:// or tls://, got \`${u.protocol}\``,
    );
  }
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw new SyslogConfigError(`Expected a host in the syslog URL, got \`${url}\``);
  const port = u.port === '' ? DEFAULT_PORTS[protocol] : Number(u.port);
  const ep: RemoteEndpoint = { protocol, host, port, format };
  if (protocol === 'tls') {
    ep.tls = {
      ca: readPem('CA', files.caFile),
      cert: readPem('certificate', files.certFile),
      key: readPem('key', files.keyFile),
      servername: /^[\d.]+$|:/.test(host) ? undefined : host,
    };
  }
  return ep;
}
