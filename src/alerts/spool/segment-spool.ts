// A bounded, append-only, on-disk queue of records for one sink. Records are NDJSON lines in
// segment files `seg-<n>.ndjson` under the spool directory; `cursor.json` names the first record
// not yet delivered (segment, byte offset). Appends are group-committed: every record handed to
// append() while a write is running goes out in the next single write + fdatasync, and append()
// resolves only after that fdatasync (fsync: 'always', the default) or after the write reached the
// page cache (fsync: 'never'). On open, everything after the cursor is read back in order (a torn
// last line from a crash is cut off). Fully delivered segments are deleted. When pending bytes
// would exceed maxBytes the NEW record is refused with SpoolFullError (the oldest alerts, often the
// first sign of an intrusion, are kept); the caller reports it. It does not send anything.
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { type FileHandle, open, readdir, readFile, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SpoolFullError, SpoolIoError } from './spool-error.js';

export interface SpoolOptions {
  dir: string;
  /** bound on bytes not yet delivered (default 64 MiB) */
  maxBytes?: number;
  /** a new segment is started past this size (default 4 MiB) */
  segmentBytes?: number;
  /** 'always' (default): append resolves after fdatasync; 'never': after write(2) */
  fsync?: 'always' | 'never';
}

export interface SpoolEntry<T> {
  record: T;
  segment: number;
  /** byte offset just past this record's line in its segment */
  end: number;
  bytes: number;
}

interface Cursor {
  segment: number;
  offset: number;
}

interface PendingAppend<T> {
  record: T;
  line: string;
  resolve: (e: SpoolEntry<T>) => void;
  reject: (err: unknown) => void;
}

export const DEFAULT_SPOOL_MAX_BYTES = 64 * 1024 * 1024;
const SEGMENT_RE = /^seg-(\d{12})\.ndjson$/;
const segName = (n: number) => `seg-${String(n).padStart(12, '0')}.ndjson`;

export class SegmentSpool<T> {
  readonly dir: string;
  readonly maxBytes: number;
  private readonly segmentBytes: number;
  private readonly fsync: boolean;
  private fh: FileHandle | undefined;
  private active = 0;
  private activeSize = 0;
  private pendingBytes = 0;
  private pendingRecords = 0;
  private cursor: Cursor = { segment: 0, offset: 0 };
  private cursorDirty = false;
  private cursorWrite: Promise<void> = Promise.resolve();
  private queue: PendingAppend<T>[] = [];
  private writing: Promise<void> | undefined;
  private closed = false;
  private locked = false;

  constructor(opts: SpoolOptions) {
    this.dir = opts.dir;
    this.maxBytes = opts.maxBytes ?? DEFAULT_SPOOL_MAX_BYTES;
    this.segmentBytes = opts.segmentBytes ?? 4 * 1024 * 1024;
    this.fsync = (opts.fsync ?? 'always') === 'always';
  }

  /** Takes `lock` (our pid) so two agents never append to one spool; a lock left by a dead
   *  process is taken over. */
  private lock(): void {
    const path = join(this.dir, 'lock');
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(path, 'wx', 0o600);
        writeSync(fd, String(process.pid));
        closeSync(fd);
        this.locked = true;
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const pid = Number(readFileSync(path, 'utf8').trim());
        if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
          throw new SpoolIoError(`spool ${this.dir} is in use by pid ${pid}`, { cause: err });
        }
        rmSync(path, { force: true });
      }
    }
    throw new SpoolIoError(`cannot lock spool ${this.dir}`, { cause: undefined });
  }

  /** Opens (creating mode 0700) the directory and returns the undelivered records, oldest first. */
  async open(): Promise<SpoolEntry<T>[]> {
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      this.lock();
      this.cursor = await this.readCursor();
      const segments = (await readdir(this.dir))
        .map((f) => SEGMENT_RE.exec(f))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => Number(m[1]))
        .sort((a, b) => a - b);
      const entries: SpoolEntry<T>[] = [];
      for (const seg of segments) {
        if (seg < this.cursor.segment) {
          await rm(join(this.dir, segName(seg)), { force: true });
          continue;
        }
        const pending = await this.readSegment(seg);
        // a fully delivered segment from an earlier run is not needed any more
        if (pending.length === 0) await rm(join(this.dir, segName(seg)), { force: true });
        entries.push(...pending);
      }
      this.active = (segments[segments.length - 1] ?? this.cursor.segment) + 1;
      this.activeSize = 0;
      this.pendingRecords = entries.length;
      this.pendingBytes = entries.reduce((n, e) => n + e.bytes, 0);
      this.fh = await open(join(this.dir, segName(this.active)), 'a', 0o600);
      return entries;
    } catch (err) {
      if (err instanceof SpoolIoError) throw err;
      throw new SpoolIoError(`cannot open spool ${this.dir}: ${(err as Error).message}`, { cause: err });
    }
  }

  private async readCursor(): Promise<Cursor> {
    try {
      const c = JSON.parse(await readFile(join(this.dir, 'cursor.json'), 'utf8')) as Cursor;
      if (Number.isInteger(c.segment) && Number.isInteger(c.offset)) return c;
    } catch {
      // no cursor yet (or unreadable): deliver everything that is there; duplicates beat loss
    }
    return { segment: 0, offset: 0 };
  }

  private async readSegment(seg: number): Promise<SpoolEntry<T>[]> {
    const file = join(this.dir, segName(seg));
    const buf = await readFile(file);
    const lastNl = buf.lastIndexOf(0x0a);
    if (lastNl + 1 < buf.length) await truncate(file, lastNl + 1); // torn tail from a crash
    const out: SpoolEntry<T>[] = [];
    let pos = seg === this.cursor.segment ? this.cursor.offset : 0;
    while (pos <= lastNl) {
      const nl = buf.indexOf(0x0a, pos);
      const line = buf.subarray(pos, nl).toString('utf8');
      const end = nl + 1;
      try {
        out.push({ record: JSON.parse(line) as T, segment: seg, end, bytes: end - pos });
      } catch {
        // a corrupt line is skipped, not fatal: the rest of the spool still gets delivered
      }
      pos = end;
    }
    return out;
  }

  depth(): { records: number; bytes: number } {
    return { records: this.pendingRecords, bytes: this.pendingBytes };
  }

  /** Durably appends one record; rejects with SpoolFullError when the bound would be passed. */
  append(record: T): Promise<SpoolEntry<T>> {
    if (this.closed)
      return Promise.reject(new SpoolIoError(`spool ${this.dir} is closed`, { cause: undefined }));
    const line = `${JSON.stringify(record)}\n`;
    const bytes = Buffer.byteLength(line);
    if (this.pendingBytes + bytes > this.maxBytes) {
      return Promise.reject(new SpoolFullError(this.dir, this.pendingBytes, this.maxBytes));
    }
    this.pendingBytes += bytes;
    this.pendingRecords++;
    return new Promise((resolve, reject) => {
      this.queue.push({ record, line, resolve, reject });
      this.writing ??= this.writeLoop();
    });
  }

  private async writeLoop(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      try {
        if (this.activeSize >= this.segmentBytes) await this.rollSegment();
        const fh = this.fh;
        if (!fh) throw new Error('spool not open');
        const data = Buffer.from(batch.map((p) => p.line).join(''));
        await fh.write(data);
        if (this.fsync) await fh.datasync();
        let end = this.activeSize;
        for (const p of batch) {
          const bytes = Buffer.byteLength(p.line);
          end += bytes;
          p.resolve({ record: p.record, segment: this.active, end, bytes });
        }
        this.activeSize = end;
      } catch (err) {
        for (const p of batch) {
          this.pendingBytes -= Buffer.byteLength(p.line);
          this.pendingRecords--;
          p.reject(
            new SpoolIoError(`cannot write spool ${this.dir}: ${(err as Error).message}`, { cause: err }),
          );
        }
      }
    }
    this.writing = undefined;
  }

  private async rollSegment(): Promise<void> {
    await this.fh?.close();
    this.active++;
    this.activeSize = 0;
    this.fh = await open(join(this.dir, segName(this.active)), 'a', 0o600);
  }

  /** Marks a record delivered; entries must be acked in the order they were appended. */
  ack(entry: SpoolEntry<T>): void {
    this.pendingBytes -= entry.bytes;
    this.pendingRecords--;
    const prev = this.cursor.segment;
    this.cursor = { segment: entry.segment, offset: entry.end };
    this.cursorDirty = true;
    if (entry.segment > prev) void this.removeBefore(entry.segment);
  }

  private async removeBefore(seg: number): Promise<void> {
    const files = await readdir(this.dir).catch(() => [] as string[]);
    for (const f of files) {
      const m = SEGMENT_RE.exec(f);
      if (m && Number(m[1]) < seg) await rm(join(this.dir, f), { force: true });
    }
  }

  /** Persists the cursor (write + rename) if it moved; cheap to call often. */
  saveCursor(): Promise<void> {
    if (!this.cursorDirty) return this.cursorWrite;
    this.cursorDirty = false;
    const c = this.cursor;
    this.cursorWrite = this.cursorWrite.then(async () => {
      const tmp = join(this.dir, 'cursor.json.tmp');
      await writeFile(tmp, JSON.stringify(c), { mode: 0o600 });
      await rename(tmp, join(this.dir, 'cursor.json'));
    });
    return this.cursorWrite;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.writing;
    await this.saveCursor();
    await this.fh?.close();
    this.fh = undefined;
    if (this.locked) rmSync(join(this.dir, 'lock'), { force: true });
    this.locked = false;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
