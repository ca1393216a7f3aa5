// `ADDR:PORT` for a listening socket (metrics.listen): an IPv4 address, a bracketed IPv6 address
// or a host name, then a port. The address is required, so listening on every interface is a
// choice written out (`0.0.0.0:9464`), never what an empty host silently means. Port 0 asks the
// kernel for a free port (tests; the agent logs the one it got). Pure: no lookup, no bind.
import { isIPv4, isIPv6 } from 'node:net';

export interface ListenAddress {
  /** as written, without the brackets of an IPv6 address */
  host: string;
  port: number;
}

const HOST_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** The address and port of `text`, or undefined when it is not `ADDR:PORT`. */
export function parseListenAddress(text: string): ListenAddress | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  const v6 = m[1];
  if (v6 !== undefined) return isIPv6(v6) ? { host: v6, port } : undefined;
  const host = m[2] as string;
  if (/^[\d.]+$/.test(host)) return isIPv4(host) ? { host, port } : undefined;
  return HOST_NAME.test(host) ? { host, port } : undefined;
}

/** `host:port` as a URL authority (IPv6 bracketed). */
export function formatListenAddress(a: ListenAddress): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
