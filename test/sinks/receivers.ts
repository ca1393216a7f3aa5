// In-process test receivers for each transport, able to go down and come back on the same
// address: a unix datagram socket, a UDP socket, and a TCP or TLS listener that splits RFC 6587
// octet-counted frames. They collect what arrived as strings, in arrival order.
import { type Socket as UdpSocket, createSocket as udpSocket } from 'node:dgram';
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';

export interface Receiver {
  /** records received so far, in order */
  readonly records: string[];
  start(): Promise<void>;
  stop(): Promise<void>;
}

const require = createRequire(import.meta.url);
interface UnixSock {
  on(ev: 'message', cb: (buf: Buffer) => void): void;
  on(ev: 'error', cb: (err: Error) => void): void;
  bind(path: string): void;
  close(): void;
}

export function unixReceiver(path: string): Receiver {
  const records: string[] = [];
  let sock: UnixSock | undefined;
  return {
    records,
    async start() {
      rmSync(path, { force: true });
      const s = (require('unix-dgram') as { createSocket(t: string): UnixSock }).createSocket('unix_dgram');
      s.on('message', (buf) => records.push(buf.toString('utf8')));
      s.on('error', () => {});
      s.bind(path);
      sock = s;
    },
    async stop() {
      sock?.close();
      sock = undefined;
      rmSync(path, { force: true });
    },
  };
}

export function udpReceiver(port: number): Receiver {
  const records: string[] = [];
  let sock: UdpSocket | undefined;
  return {
    records,
    start() {
      return new Promise((resolve, reject) => {
        const s = udpSocket('udp4');
        s.on('message', (buf) => records.push(buf.toString('utf8')));
        s.once('error', reject);
        s.bind(port, '127.0.0.1', () => {
          sock = s;
          resolve();
        });
      });
    },
    stop() {
      return new Promise((resolve) => {
        if (!sock) return resolve();
        sock.close(() => resolve());
        sock = undefined;
      });
    },
  };
}

/** Splits an RFC 6587 octet-counted stream into records. */
export class OctetSplitter {
  private buf = Buffer.alloc(0);
  constructor(private readonly out: (rec: string) => void) {}
  push(chunk: Buffer): void {
    this.buf = Buffer.concat([this.buf, chunk]);
    for (;;) {
      const sp = this.buf.indexOf(0x20);
      if (sp < 0) return;
      const len = Number(this.buf.subarray(0, sp).toString('ascii'));
      if (!Number.isInteger(len)) throw new Error(`bad frame length ${this.buf.subarray(0, sp)}`);
      if (this.buf.length < sp + 1 + len) return;
      this.out(this.buf.subarray(sp + 1, sp + 1 + len).toString('utf8'));
      this.buf = this.buf.subarray(sp + 1 + len);
    }
  }
}

export function streamReceiver(
  port: number,
  tls?: { certFile: string; keyFile: string; caFile: string; requestCert?: boolean },
): Receiver & { clientNames: string[] } {
  const records: string[] = [];
  const clientNames: string[] = [];
  let server: Server | undefined;
  const conns = new Set<Socket>();
  const onConn = (c: Socket) => {
    conns.add(c);
    const cert = (
      c as Socket & { getPeerCertificate?: () => { subject?: { CN?: string } } }
    ).getPeerCertificate?.();
    if (cert?.subject?.CN) clientNames.push(cert.subject.CN);
    const split = new OctetSplitter((r) => records.push(r));
    c.on('data', (d) => split.push(d));
    c.on('error', () => {});
    c.on('close', () => conns.delete(c));
  };
  return {
    records,
    clientNames,
    start() {
      return new Promise((resolve, reject) => {
        const s = tls
          ? createTlsServer(
              {
                cert: readFileSync(tls.certFile),
                key: readFileSync(tls.keyFile),
                ca: readFileSync(tls.caFile),
                requestCert: tls.requestCert ?? false,
                rejectUnauthorized: tls.requestCert ?? false,
              },
              onConn,
            )
          : createServer(onConn);
        s.once('error', reject);
        s.listen(port, '127.0.0.1', () => {
          server = s;
          resolve();
        });
      });
    },
    stop() {
      return new Promise((resolve) => {
        for (const c of conns) c.destroy();
        if (!server) return resolve();
        server.close(() => resolve());
        server = undefined;
      });
    },
  };
}

export { freePort } from '../support/rsyslog.js';
