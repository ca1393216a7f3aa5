// Raw events as NDJSON for `eqld collect`: one object per line, bigints as decimal strings
// (JSON numbers lose precision past 2^53). JSON.stringify escapes every control character,
// so hostile argv cannot split a line.
import type { RawEvent } from './raw-event.js';

const replacer = (_key: string, value: unknown): unknown =>
  typeof value === 'bigint' ? value.toString() : value;

export function rawEventToJson(e: RawEvent): string {
  return JSON.stringify(e, replacer);
}
