// A bounded, append-only, on-disk queue of records for one sink. Records are NDJSON lines in
// segment files `seg-<n>.ndjson` under the spool directory; `cursor.json` names the first record
// not yet delivered (segment, byte offset). Appends are group-committed: every record handed to
// append() while a write is running goes out in the next single write + fdatasync, and append()
// resolves only after that fdatasync (fsync: 'always', the default) or after the write reached the
// page cache (fsync: 'never'). The reader (readNext) walks the committed records in order from a
// read position of its own, so memory holds only what is being sent, never the whole backlog. On
// open the read position is the cursor: everything not acknowledged is read again (a torn last
// line from a crash is cut off). Fully delivered segments are deleted. When pending bytes would
// exceed maxBytes the NEW record is refused with SpoolFullError (the oldest alerts, often the first
// sign of an intrusion, are kept); the caller reports it. A flock(2) on the `lock` file keeps a
// second agent out; the kernel drops it when its holder dies (file-lock.ts). It does not send
// anything.
import { mkdirSync } from 'node:fs';
import {
  type FileHandle,
  open,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  truncate,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { type FileLock, LockHeldError, lockFile } from './file-lock.js';
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

interface Position {
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
const READ_CHUNK = 256 * 1024;

export class SegmentSpool<T> {
  readonly dir: string;
  readonly maxBytes: number;
  private readonly segmentBytes: number;
  private readonly fsync: boolean;
  private fh: FileHandle | undefined;
  private active = 0;
  private activeSize = 0;
  /** segment files that exist, ascending (the active one included) */
  private segments: number[] = [];
  private pendingBytes = 0;
  private pendingRecords = 0;
  private cursor: Position = { segment: 0, offset: 0 };
  /** end of the records whose append resolved: what readNext may hand out */
  private committed: Position = { segment: 0, offset: 0 };
  private readPos: Position = { segment: 0, offset: 0 };
  private cursorDirty = false;
  private cursorWrite: Promise<void> = Promise.resolve();
  private queue: PendingAppend<T>[] = [];
  private writing: Promise<void> | undefined;
  private closed = false;
  private lockHeld: FileLock | undefined;
  /** the segment the last roll closed, and its final size (for skip() across a roll) */
  private rolledFrom: Position | undefined;

  constructor(opts: SpoolOptions) {
    this.dir = opts.dir;
    this.maxBytes = opts.maxBytes ?? DEFAULT_SPOOL_MAX_BYTES;
    this.segmentBytes = opts.segmentBytes ?? 4 * 1024 * 1024;
    this.fsync = (opts.fsync ?? 'always') === 'always';
  }

  /** Locks `lock` so two agents never append to one spool; only a live holder blocks us. */
  private lock(): void {
    try {
      this.lockHeld = lockFile(join(this.dir, 'lock'));
    } catch (err) {
      if (err instanceof LockHeldError) {
        const pid = err.holderPid === undefined ? '' : ` (pid ${err.holderPid})`;
        throw new SpoolIoError(`spool ${this.dir} is in use by a running eqld${pid}`, { cause: err });
      }
      throw new SpoolIoError(`cannot lock spool ${this.dir}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Opens (creating mode 0700) the directory; reports how much a previous run left undelivered.
   *  readNext() then starts with those records, oldest first. */
  async open(): Promise<{ records: number; bytes: number }> {
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      this.lock();
      this.cursor = await this.readCursor();
      const found = (await readdir(this.dir))
        .map((f) => SEGMENT_RE.exec(f))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => Number(m[1]))
        .sort((a, b) => a - b);
      for (const seg of found) {
        const from = seg === this.cursor.segment ? this.cursor.offset : 0;
        const pending =
          seg < this.cursor.segment ? { records: 0, bytes: 0 } : await this.countPending(seg, from);
        if (pending.records === 0) {
          // delivered in an earlier run: not needed any more
          await rm(join(this.dir, segName(seg)), { force: true });
          continue;
        }
        this.segments.push(seg);
        this.pendingRecords += pending.records;
        this.pendingBytes += pending.bytes;
      }
      this.active = Math.max(found[found.length - 1] ?? 0, this.cursor.segment) + 1;
      this.activeSize = 0;
      this.fh = await open(join(this.dir, segName(this.active)), 'a', 0o600);
      this.segments.push(this.active);
      this.committed = { segment: this.active, offset: 0 };
      const first = this.segments[0] as number;
      this.readPos = first === this.cursor.segment ? { ...this.cursor } : { segment: first, offset: 0 };
      return { records: this.pendingRecords, bytes: this.pendingBytes };
    } catch (err) {
      this.lockHeld?.release();
      this.lockHeld = undefined;
      if (err instanceof SpoolIoError) throw err;
      throw new SpoolIoError(`cannot open spool ${this.dir}: ${(err as Error).message}`, { cause: err });
    }
  }

  private async readCursor(): Promise<Position> {
    try {
      const c = JSON.parse(await readFile(join(this.dir, 'cursor.json'), 'utf8')) as Position;
      if (Number.isInteger(c.segment) && Number.isInteger(c.offset)) return c;
    } catch {
      // no cursor yet (or unreadable): deliver everything that is there; duplicates beat loss
    }
    return { segment: 0, offset: 0 };
  }

  /** Counts complete lines from `from` on, cutting a torn tail left by a crash. */
  private async countPending(seg: number, from: number): Promise<{ records: number; bytes: number }> {
    const file = join(this.dir, segName(seg));
    const buf = await readFile(file);
    const lastNl = buf.lastIndexOf(0x0a);
    if (lastNl + 1 < buf.length) await truncate(file, lastNl + 1);
    let records = 0;
    for (let i = buf.indexOf(0x0a, from); i >= 0 && i <= lastNl; i = buf.indexOf(0x0a, i + 1)) records++;
    return { records, bytes: Math.max(0, lastNl + 1 - from) };
  }

  depth(): { records: number; bytes: number } {
    return { records: this.pendingRecords, bytes: this.pendingBytes };
  }

  /** Whether committed records wait that readNext has not handed out yet. */
  hasUnread(): boolean {
    return (
      this.readPos.segment < this.committed.segment ||
      (this.readPos.segment === this.committed.segment && this.readPos.offset < this.committed.offset)
    );
  }

  /** Up to `max` committed records after the last one handed out, in append order. */
  async readNext(max: number): Promise<SpoolEntry<T>[]> {
    const out: SpoolEntry<T>[] = [];
    let chunk = READ_CHUNK;
    while (out.length < max && this.hasUnread()) {
      const { segment, offset } = this.readPos;
      const limit =
        segment === this.committed.segment
          ? this.committed.offset
          : await stat(join(this.dir, segName(segment))).then(
              (s) => s.size,
              () => 0,
            );
      if (offset >= limit) {
        // this segment is finished (appends only go to the newest one): move to the next file
        this.readPos = {
          segment: this.segments.find((s) => s > segment) ?? this.committed.segment,
          offset: 0,
        };
        continue;
      }
      const fh = await open(join(this.dir, segName(segment)), 'r');
      let buf: Buffer;
      try {
        const len = Math.min(chunk, limit - offset);
        buf = Buffer.alloc(len);
        await fh.read(buf, 0, len, offset);
      } finally {
        await fh.close();
      }
      let pos = 0;
      for (let nl = buf.indexOf(0x0a); nl >= 0 && out.length < max; nl = buf.indexOf(0x0a, pos)) {
        const end = offset + nl + 1;
        const bytes = nl + 1 - pos;
        try {
          out.push({ record: JSON.parse(buf.subarray(pos, nl).toString('utf8')) as T, segment, end, bytes });
        } catch {
          // a corrupt line is skipped, not fatal: the rest of the spool still gets delivered
          this.pendingRecords--;
          this.pendingBytes -= bytes;
        }
        pos = nl + 1;
      }
      if (pos === 0) chunk *= 2; // one record longer than the chunk: read more at once
      this.readPos = { segment, offset: offset + pos };
    }
    return out;
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
        this.committed = { segment: this.active, offset: end };
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
    this.rolledFrom = { segment: this.active, offset: this.activeSize };
    await this.fh?.close();
    this.active++;
    this.activeSize = 0;
    this.fh = await open(join(this.dir, segName(this.active)), 'a', 0o600);
    this.segments.push(this.active);
  }

  /** An append is queued or being written: a record appended now would not be the next one
   *  committed after what is committed so far. */
  get appending(): boolean {
    return this.writing !== undefined || this.queue.length > 0;
  }

  /** Moves the read position past `entry` when it is the next record to read (the caller
   *  delivered it without reading it back), so readNext() does not hand it out; false when it is
   *  not next, and the reader will get it as usual. */
  skip(entry: SpoolEntry<T>): boolean {
    const start = entry.end - entry.bytes;
    const at = this.readPos;
    const next =
      (at.segment === entry.segment && at.offset === start) ||
      (start === 0 &&
        this.rolledFrom !== undefined &&
        this.rolledFrom.segment === at.segment &&
        this.rolledFrom.offset === at.offset &&
        entry.segment === at.segment + 1);
    if (!next) return false;
    this.readPos = { segment: entry.segment, offset: entry.end };
    return true;
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
    const gone = this.segments.filter((s) => s < seg);
    this.segments = this.segments.filter((s) => s >= seg);
    for (const s of gone) await rm(join(this.dir, segName(s)), { force: true });
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
    this.lockHeld?.release();
    this.lockHeld = undefined;
  }
}
