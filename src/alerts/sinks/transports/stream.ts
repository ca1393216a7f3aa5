// Remote syslog over TCP (RFC 6587 octet counting: `LEN SP RFC5424-record`) or TLS (RFC 5425, the
// same framing inside TLS; the server certificate is checked against the configured CA, and a
// client certificate/key is presented when given). One connection, opened on first use and after
// any failure; the peer closing it (FIN, RST) is reported through onDown so the delivery loop can
// re-send what may have died unread in the peer's buffers.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { AlertRecord } from '../../alert-record.js';
import { formatRfc5424 } from '../rfc5424.js';
import { type Transport, TransportError } from '../transport.js';
import type { RemoteEndpoint } from './endpoint.js';

export interface StreamOptions {
  connectTimeoutMs?: number;
  /** a write not handed to the kernel within this time fails (peer not reading) */
  writeTimeoutMs?: number;
}

/** RFC 6587 section 3.4.1 octet-counted frame */
export function octetFrame(record: string): Buffer {
  const body = Buffer.from(record, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `, 'ascii'), body]);
}

export class StreamTransport implements Transport {
  readonly name = 'syslog-remote';
  readonly syslog = true;
  readonly resendWindowMs = 5000;
  private socket: Socket | undefined;
  private connecting: Promise<Socket> | undefined;
  private downCb: ((err: Error) => void) | undefined;

  constructor(
    private readonly ep: RemoteEndpoint,
    private readonly opts: StreamOptions = {},
  ) {}

  private where(): string {
    return `${this.ep.protocol}://${this.ep.host}:${this.ep.port}`;
  }

  private open(): Promise<Socket> {
    if (this.socket) return Promise.resolve(this.socket);
    this.connecting ??= new Promise<Socket>((resolve, reject) => {
      const { host, port, tls } = this.ep;
      const s: Socket = tls
        ? tlsConnect({ host, port, ca: tls.ca, cert: tls.cert, key: tls.key, servername: tls.servername })
        : netConnect({ host, port });
      const ready = tls ? 'secureConnect' : 'connect';
      const timer = setTimeout(
        () => fail(new Error('connect timed out')),
        this.opts.connectTimeoutMs ?? 5000,
      );
      const fail = (err: Error) => {
        clearTimeout(timer);
        s.destroy();
        this.connecting = undefined;
        reject(new TransportError(this.name, `connect ${this.where()}: ${err.message}`, { cause: err }));
      };
      s.once('error', fail);
      s.once(ready, () => {
        clearTimeout(timer);
        s.removeListener('error', fail);
        s.setNoDelay(true);
        s.setKeepAlive(true, 30_000);
        const down = (err: Error) => {
          if (this.socket !== s) return;
          this.socket = undefined;
          s.destroy();
          this.downCb?.(err);
        };
        s.on('error', down);
        s.on('end', () => down(new Error('peer closed the connection')));
        s.on('close', () => down(new Error('connection closed')));
        s.on('data', () => {}); // collectors send nothing; drain anyway so 'end' is seen
        this.socket = s;
        this.connecting = undefined;
        resolve(s);
      });
    });
    return this.connecting;
  }

  async send(alert: AlertRecord): Promise<void> {
    const s = await this.open();
    const frame = octetFrame(formatRfc5424(alert, this.ep.format));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.drop(s);
        reject(new TransportError(this.name, `write to ${this.where()} timed out (peer not reading)`));
      }, this.opts.writeTimeoutMs ?? 10_000);
      s.write(frame, (err) => {
        clearTimeout(timer);
        if (!err) return resolve();
        this.drop(s);
        reject(new TransportError(this.name, `write to ${this.where()}: ${err.message}`, { cause: err }));
      });
    });
  }

  private drop(s: Socket): void {
    if (this.socket === s) this.socket = undefined;
    s.destroy();
  }

  onDown(cb: (err: Error) => void): void {
    this.downCb = cb;
  }

  async reopen(): Promise<void> {}

  /** Ends the connection gracefully, so what was written reaches the peer before FIN. */
  async close(): Promise<void> {
    const s = this.socket;
    this.socket = undefined;
    if (!s) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        s.destroy();
        resolve();
      }, 2000);
      s.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      s.end();
    });
  }
}
