// A small memo of what one field's value resolves to in the rule set's index (the rules filed under
// it, its heads, tails and literal runs): the same process names, executables and parent names
// come back event after event, and a hit costs one Map lookup instead of lower-casing the value,
// trying its affixes and running the index's alternations. The result is a pure function of the
// value, so a hit changes nothing but the time taken.
// Bounded: at most MEMO_ENTRIES values of at most MEMO_KEY_CHARS characters (longer ones are not
// kept), the whole memo dropped when full; and a field whose values rarely repeat (command lines,
// arguments of a busy host) turns its memo off after a sample of lookups, as it would only add a
// Map insertion per value.

/** values kept per field before the memo starts again */
export const MEMO_ENTRIES = 512;
/** longest value kept */
export const MEMO_KEY_CHARS = 128;
/** lookups between checks of the hit rate */
const SAMPLE = 4096;
/** below this share of hits over a sample, the memo turns itself off */
const MIN_HIT_RATE = 0.5;

export class ValueMemo<T> {
  private map = new Map<string, T>();
  private lookups = 0;
  private hits = 0;
  /** false once the field's values proved too varied to repeat */
  on = true;

  get(s: string): T | undefined {
    const v = this.map.get(s);
    if (v !== undefined) this.hits++;
    if (++this.lookups === SAMPLE) {
      if (this.hits < SAMPLE * MIN_HIT_RATE) {
        this.on = false;
        this.map = new Map();
      }
      this.lookups = 0;
      this.hits = 0;
    }
    return v;
  }

  set(s: string, v: T): void {
    if (!this.on || s.length > MEMO_KEY_CHARS) return;
    if (this.map.size >= MEMO_ENTRIES) this.map.clear();
    this.map.set(s, v);
  }
}
