// Remote syslog over UDP (RFC 5426): one RFC 5424 record per datagram. Fire-and-forget: only
// errors the kernel reports (no route, ICMP port unreachable surfacing as ECONNREFUSED on the
// connected socket) are seen and retried; a datagram lost on the wire is not.
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { AlertRecord } from '../../alert-record.js';
import { formatRfc5424 } from '../rfc5424.js';
import { type Transport, TransportError } from '../transport.js';
import type { RemoteEndpoint } from './endpoint.js';

export class UdpTransport implements Transport {
  readonly name = 'syslog-remote';
  readonly syslog = true;
  readonly resendWindowMs = 1000;
  private socket: Socket | undefined;
  private connecting: Promise<Socket> | undefined;
  private downCb: ((err: Error) => void) | undefined;

  constructor(private readonly ep: RemoteEndpoint) {}

  private open(): Promise<Socket> {
    if (this.socket) return Promise.resolve(this.socket);
    this.connecting ??= new Promise<Socket>((resolve, reject) => {
      const s = createSocket(isIPv6(this.ep.host) ? 'udp6' : 'udp4');
      const fail = (err: Error) => {
        s.close();
        this.connecting = undefined;
        reject(
          new TransportError(this.name, `connect udp://${this.ep.host}:${this.ep.port}: ${err.message}`),
        );
      };
      s.once('error', fail);
      s.connect(this.ep.port, this.ep.host, () => {
        s.removeListener('error', fail);
        s.on('error', (err) => {
          this.drop();
          this.downCb?.(err);
        });
        this.socket = s;
        this.connecting = undefined;
        resolve(s);
      });
    });
    return this.connecting;
  }

  private drop(): void {
    try {
      this.socket?.close();
    } catch {
      // already closed
    }
    this.socket = undefined;
  }

  async send(alert: AlertRecord): Promise<void> {
    const s = await this.open();
    const msg = Buffer.from(formatRfc5424(alert, this.ep.format));
    await new Promise<void>((resolve, reject) => {
      s.send(msg, (err) => {
        if (!err) return resolve();
        this.drop();
        reject(new TransportError(this.name, `send: ${err.message}`, { cause: err }));
      });
    });
  }

  onDown(cb: (err: Error) => void): void {
    this.downCb = cb;
  }

  async reopen(): Promise<void> {}

  async close(): Promise<void> {
    this.drop();
  }
}
