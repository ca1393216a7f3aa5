// `eqld alerts -f`: reads a file from its start and then keeps reading what is appended, like
// `tail -F`. logrotate's two ways are handled: a rotation that renames the file and creates a new
// one (another inode at the path: the old file is read to its end, then the new one from its
// start) and copytruncate (the same file got shorter: it is read again from its start). A file
// that does not exist yet is waited for. Lines are delivered whole; a line cut by the writer is
// held until its newline comes. Polls (every 250 ms by default): no inotify, works on any mount.
import type { Stats } from 'node:fs';
import { type FileHandle, open, stat } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';

export interface FollowOptions {
  intervalMs?: number;
  signal?: AbortSignal;
  /** rotation, truncation and waiting, said once each time */
  onNote?: (note: string) => void;
  /** before the first line of a file read anew (rotation, truncation) */
  onRestart?: () => void;
}

const CHUNK = 64 * 1024;

/** resolves after `ms`, or at once when `signal` aborts */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

export async function followLines(path: string, onLine: (line: string) => void, opts: FollowOptions = {}) {
  const interval = opts.intervalMs ?? 250;
  const note = opts.onNote ?? (() => undefined);
  let fh: FileHandle | undefined;
  let ino: number | undefined;
  let pos = 0;
  let decoder = new StringDecoder('utf8');
  let partial = '';
  let waiting = false;
  const buf = Buffer.alloc(CHUNK);

  const emit = (text: string) => {
    const parts = (partial + text).split('\n');
    partial = parts.pop() ?? '';
    for (const p of parts) onLine(p.endsWith('\r') ? p.slice(0, -1) : p);
  };
  const drain = async () => {
    if (!fh) return;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, CHUNK, pos);
      if (bytesRead === 0) return;
      pos += bytesRead;
      emit(decoder.write(buf.subarray(0, bytesRead)));
    }
  };
  const finishFile = async () => {
    await drain();
    const rest = partial + decoder.end();
    partial = '';
    if (rest !== '') onLine(rest);
    await fh?.close();
    fh = undefined;
  };
  const openAt = async (st: Stats) => {
    fh = await open(path, 'r');
    ino = st.ino;
    pos = 0;
    decoder = new StringDecoder('utf8');
    partial = '';
  };

  try {
    while (!opts.signal?.aborted) {
      let st: Stats | undefined;
      try {
        st = await stat(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      if (st === undefined) {
        // moved away and not yet recreated: what the old file still gets is read meanwhile
        if (!fh && !waiting) note(`waiting for ${path} to exist`);
        waiting = true;
      } else if (!fh) {
        if (waiting) note(`${path} appeared; following it`);
        waiting = false;
        await openAt(st);
      } else if (st.ino !== ino) {
        await finishFile();
        note(`${path} was rotated; following the new file`);
        opts.onRestart?.();
        await openAt(st);
      } else if (st.size < pos) {
        note(`${path} was truncated; reading it from its start`);
        opts.onRestart?.();
        pos = 0;
        partial = '';
        decoder = new StringDecoder('utf8');
      }
      await drain();
      await sleep(interval, opts.signal);
    }
  } finally {
    await fh?.close();
  }
}
