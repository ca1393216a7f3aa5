// NDJSON file sink: one line per record, the full ECS alert document, for Filebeat / Elastic Agent.
// The file is created with mode 0600 (or 0640 when configured) and the mode is enforced on every
// open, so a pre-existing file with looser permissions is tightened. reopen() closes and opens the
// path again, for logrotate's `postrotate` (the agent calls it on SIGHUP/SIGUSR1).
import { type FileHandle, open } from 'node:fs/promises';
import type { AlertRecord } from '../../alert-record.js';
import { type Transport, TransportError } from '../transport.js';

export class FileTransport implements Transport {
  readonly name = 'file';
  readonly syslog = false;
  readonly resendWindowMs = 0;
  private fh: FileHandle | undefined;

  constructor(
    private readonly path: string,
    private readonly mode = 0o600,
  ) {}

  private async open(): Promise<FileHandle> {
    if (this.fh) return this.fh;
    try {
      const fh = await open(this.path, 'a', this.mode);
      await fh.chmod(this.mode);
      this.fh = fh;
      return fh;
    } catch (err) {
      throw new TransportError(this.name, `open ${this.path}: ${(err as Error).message}`, { cause: err });
    }
  }

  async send(alert: AlertRecord): Promise<void> {
    const fh = await this.open();
    try {
      await fh.write(`${JSON.stringify(alert.document)}\n`);
    } catch (err) {
      this.fh = undefined;
      await fh.close().catch(() => {});
      throw new TransportError(this.name, `write ${this.path}: ${(err as Error).message}`, { cause: err });
    }
  }

  onDown(): void {}

  async reopen(): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    await fh?.close();
    await this.open();
  }

  async close(): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    await fh?.sync().catch(() => {});
    await fh?.close();
  }
}
