// Runs the shared sink contract against every transport: local syslog socket, UDP, TCP, TLS,
// NDJSON file and stdout, each with a destination that can go down and come back.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { parseEndpoint } from '../../src/alerts/sinks/transports/endpoint.js';
import { FileTransport } from '../../src/alerts/sinks/transports/file.js';
import { StdoutTransport } from '../../src/alerts/sinks/transports/stdout.js';
import { StreamTransport } from '../../src/alerts/sinks/transports/stream.js';
import { UdpTransport } from '../../src/alerts/sinks/transports/udp.js';
import { UnixDgramTransport } from '../../src/alerts/sinks/transports/unix-dgram.js';
import { makeCerts } from '../support/certs.js';
import { freePort, type Receiver, streamReceiver, udpReceiver, unixReceiver } from './receivers.js';
import { sinkContract } from './sink-contract.js';

const fmt = { facility: 10, hostname: 'test', pid: 1 };

function fromReceiver(r: Receiver, transport: () => import('../../src/alerts/sinks/transport.js').Transport) {
  return {
    transport,
    received: () => r.records,
    up: () => r.start(),
    down: () => r.stop(),
    cleanup: () => r.stop(),
  };
}

sinkContract('syslog-local (unix datagram)', async (dir) => {
  const path = join(dir, 'log.sock');
  const r = unixReceiver(path);
  return fromReceiver(r, () => new UnixDgramTransport({ socketPath: path, facility: 10 }));
});

sinkContract('syslog-remote udp', async () => {
  const port = await freePort('udp');
  const r = udpReceiver(port);
  return fromReceiver(r, () => new UdpTransport(parseEndpoint(`udp://127.0.0.1:${port}`, fmt)));
});

sinkContract('syslog-remote tcp (octet counting)', async () => {
  const port = await freePort();
  const r = streamReceiver(port);
  return fromReceiver(r, () => new StreamTransport(parseEndpoint(`tcp://127.0.0.1:${port}`, fmt)));
});

sinkContract('syslog-remote tls', async (dir) => {
  const certs = makeCerts(join(dir, 'pki'));
  const port = await freePort();
  const r = streamReceiver(port, { ...certs, requestCert: true });
  return fromReceiver(
    r,
    () =>
      new StreamTransport(
        parseEndpoint(`tls://127.0.0.1:${port}`, fmt, {
          caFile: certs.caFile,
          certFile: certs.clientCertFile,
          keyFile: certs.clientKeyFile,
        }),
      ),
  );
});

sinkContract('ndjson file', async (dir) => {
  const outDir = join(dir, 'out');
  const path = join(outDir, 'alerts.ndjson');
  let moved = 0;
  return {
    transport: () => new FileTransport(path),
    received: () => {
      const files = readdirSync(dir)
        .filter((d) => d.startsWith('moved-'))
        .sort()
        .map((d) => join(dir, d, 'alerts.ndjson'));
      if (existsSync(path)) files.push(path);
      return files.flatMap((f) => (existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean) : []));
    },
    up: async () => {
      mkdirSync(outDir, { recursive: true });
    },
    down: async (t) => {
      // the directory goes away (unmounted disk, deleted by mistake): reopen cannot create the file
      renameSync(outDir, join(dir, `moved-${moved++}`));
      await t.reopen().catch(() => {});
    },
    cleanup: async () => {},
  };
});

sinkContract('stdout', async () => {
  const lines: string[] = [];
  let broken = false;
  const out = {
    write(chunk: string, cb: (err?: Error) => void) {
      if (broken) return cb(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      lines.push(chunk.replace(/\n$/, ''));
      cb();
      return true;
    },
  } as unknown as Writable;
  return {
    transport: () => new StdoutTransport(out),
    received: () => lines,
    up: async () => {
      broken = false;
    },
    down: async () => {
      broken = true;
    },
    cleanup: async () => {},
  };
});
