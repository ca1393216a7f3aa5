// The local syslog socket (/dev/log): one datagram per record in the syslog(3) local format,
// written with the `unix-dgram` binding (Node has no unix datagram sockets; docs/decisions.md).
// Each send names the path (sendto), so a daemon that restarts and re-creates the socket is found
// again without reconnecting. ECONNREFUSED/ENOENT (no daemon) reject; EAGAIN (the daemon's queue
// is full) retries every 5 ms up to a timeout, then rejects.
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import type { AlertRecord } from '../../alert-record.js';
import { formatLocal } from '../local-format.js';
import { type Transport, TransportError } from '../transport.js';

interface DgramSocket {
  on(ev: 'error', cb: (err: Error) => void): void;
  send(buf: Buffer, offset: number, length: number, path: string, cb: (err?: Error) => void): void;
  close(): void;
}
const require = createRequire(import.meta.url);

function loadBinding(): { createSocket(type: 'unix_dgram'): DgramSocket } {
  try {
    return require('unix-dgram') as { createSocket(type: 'unix_dgram'): DgramSocket };
  } catch (err) {
    throw new TransportError(
      'syslog-local',
      'the unix-dgram native binding is not built (npm ci builds it)',
      {
        cause: err,
      },
    );
  }
}

const CONGESTED = new Set([-constants.errno.EAGAIN, -constants.errno.EWOULDBLOCK, -constants.errno.ENOBUFS]);
const ERRNO_NAMES = new Map(Object.entries(constants.errno).map(([k, v]) => [-v, k]));

export interface UnixDgramOptions {
  socketPath: string;
  facility: number;
  maxMessageBytes?: number;
  /** how long to wait for a congested socket to drain (default 5000 ms) */
  congestionTimeoutMs?: number;
  pid?: number;
}

export class UnixDgramTransport implements Transport {
  readonly name = 'syslog-local';
  readonly syslog = true;
  readonly resendWindowMs = 2000;
  private socket: DgramSocket | undefined;

  constructor(private readonly opts: UnixDgramOptions) {}

  private open(): DgramSocket {
    if (this.socket) return this.socket;
    const s = loadBinding().createSocket('unix_dgram');
    s.on('error', () => {}); // errors are reported through send callbacks
    this.socket = s;
    return s;
  }

  async send(alert: AlertRecord): Promise<void> {
    const buf = Buffer.from(
      formatLocal(alert, {
        facility: this.opts.facility,
        pid: this.opts.pid ?? process.pid,
        maxBytes: this.opts.maxMessageBytes,
      }),
    );
    const deadline = Date.now() + (this.opts.congestionTimeoutMs ?? 5000);
    for (;;) {
      const s = this.open();
      let result: Error | undefined;
      s.send(buf, 0, buf.length, this.opts.socketPath, (err) => {
        result = err;
      });
      if (result === undefined) return;
      const code = Number((result as NodeJS.ErrnoException).code);
      // the binding reports a full receiver queue as 'congestion' on send() but as a plain
      // -EAGAIN on sendto(); both mean "wait", not "failed"
      if (result.message !== 'congestion' && !CONGESTED.has(code)) {
        throw new TransportError(
          this.name,
          `send to ${this.opts.socketPath} failed: ${ERRNO_NAMES.get(code) ?? result.message}`,
          { cause: result },
        );
      }
      // unconnected sendto: the socket's own POLLOUT says nothing about the receiver's queue, so
      // a congested receiver is polled with a short sleep instead of the binding's writable event
      if (Date.now() > deadline) {
        throw new TransportError(this.name, `${this.opts.socketPath} stayed congested; receiver too slow`);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  onDown(): void {
    // datagrams have no connection to lose; failures show on the next send
  }

  async reopen(): Promise<void> {}

  async close(): Promise<void> {
    this.socket?.close();
    this.socket = undefined;
  }
}
