// The HTTP endpoint Prometheus scrapes: GET (or HEAD) /metrics answers the exposition text;
// anything else is a 404 or 405. It serves nothing else and takes no input, has no
// authentication (docs/operations.md: bind it to localhost or a management interface), and keeps
// slow or idle clients from holding sockets (short timeouts, a connection cap).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ListenAddress } from '../../config/listen-address.js';

export interface MetricsEndpoint {
  contentType: string;
  scrape(): Promise<string>;
}

export class MetricsServerError extends Error {
  override readonly name = 'MetricsServerError';
}

/** the most scrapers served at once; Prometheus uses one connection per target */
const MAX_CONNECTIONS = 16;

export class MetricsServer {
  private readonly server: Server;
  private scrapes = 0;
  private failures = 0;

  constructor(
    private readonly endpoint: MetricsEndpoint,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.maxConnections = MAX_CONNECTIONS;
    this.server.headersTimeout = 5_000;
    this.server.requestTimeout = 10_000;
    this.server.keepAliveTimeout = 5_000;
    this.server.on('clientError', (_err, socket) => socket.destroy());
  }

  /** Binds; resolves with the address bound (the port the kernel chose when asked for 0). */
  listen(at: ListenAddress): Promise<ListenAddress> {
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) =>
        reject(
          new MetricsServerError(
            `cannot listen for metrics on ${at.host}:${at.port}: ${err.code ?? err.message}`,
            {
              cause: err,
            },
          ),
        );
      this.server.once('error', onError);
      this.server.listen({ host: at.host, port: at.port, exclusive: true }, () => {
        this.server.off('error', onError);
        const a = this.server.address() as AddressInfo;
        resolve({ host: a.address, port: a.port });
      });
    });
  }

  async close(): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  stats(): { scrapes: number; failures: number } {
    return { scrapes: this.scrapes, failures: this.failures };
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '').split('?', 1)[0];
    if (path !== '/metrics') {
      res
        .writeHead(404, { 'content-type': 'text/plain; charset=utf-8' })
        .end('not found: eqld serves /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end();
      return;
    }
    this.endpoint.scrape().then(
      (text) => {
        this.scrapes++;
        res.writeHead(200, { 'content-type': this.endpoint.contentType });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (err: unknown) => {
        this.failures++;
        this.onError(err);
        res
          .writeHead(500, { 'content-type': 'text/plain; charset=utf-8' })
          .end('metrics collection failed\n');
      },
    );
  }
}
