// Reads an NDJSON file that a running eqld may be appending to: only complete lines count. The
// file sinks write a document and its newline in one append, but a reader can still see the
// first part of it (a short write, or a read racing the append); that line is parsed on the
// next read, once its newline is there.
import { readFileSync } from 'node:fs';

/** The complete lines of `text`: everything before its last newline, blank lines left out. */
export function completeLines(text: string): string[] {
  const lines = text.split('\n');
  lines.pop();
  return lines.filter((l) => l.trim() !== '');
}

/** The documents on the complete lines of the file at `path` ([] while it does not exist). */
export function readCompleteNdjson<T = Record<string, unknown>>(path: string): T[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return completeLines(text).map((l) => JSON.parse(l) as T);
}
