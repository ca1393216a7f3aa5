// Join-key extraction for sequences and samples. Elasticsearch semantics: a non-optional key whose
// value is null excludes the event from that stage; an `?optional` key joins with null; a
// multi-valued key fans out into one key per value, the cartesian product across keys
// (elastic/elasticsearch PR #89965). Keys are compared by value and type: the string "1" and the
// number 1 are different keys (SameValueZero, as the Maps of KeyIndex compare them).

import type { JoinKey } from './compile.js';
import type { Doc } from './compile-expr.js';
import type { Scalar } from './field.js';

export const MAX_KEY_FANOUT = 64;

export interface KeyTuple {
  values: Scalar[];
}

/** no tuple: a non-optional key is null; frozen, so a caller cannot fill it */
const NO_TUPLES: readonly KeyTuple[] = Object.freeze([]);

/** Returns the key tuples of doc for the given keys; `capped` is set when fan-out was cut. */
export function keyTuples(keys: readonly JoinKey[], doc: Doc, out: { capped: boolean }): KeyTuple[] {
  if (keys.length === 0) return [{ values: [] }];
  if (keys.length === 1) {
    const k = keys[0] as JoinKey;
    const v = k.get(doc);
    if (v === null) return k.optional ? [{ values: [null] }] : (NO_TUPLES as KeyTuple[]);
    if (!Array.isArray(v)) return [{ values: [v] }];
    const seen = new Set<Scalar>();
    const res: KeyTuple[] = [];
    for (const x of v) {
      if (seen.has(x)) continue;
      seen.add(x);
      if (res.length >= MAX_KEY_FANOUT) {
        out.capped = true;
        break;
      }
      res.push({ values: [x] });
    }
    return res;
  }
  // the common case, every key one value: one tuple, built without the cartesian product
  const n = keys.length;
  const values = new Array<Scalar>(n);
  let multi = false;
  for (let i = 0; i < n; i++) {
    const k = keys[i] as JoinKey;
    const v = k.get(doc);
    if (v === null) {
      if (!k.optional) return NO_TUPLES as KeyTuple[];
      values[i] = null;
    } else if (Array.isArray(v)) {
      multi = true;
      break;
    } else values[i] = v;
  }
  if (!multi) return [{ values }];
  let acc: Scalar[][] = [[]];
  for (const k of keys) {
    const v = k.get(doc);
    let vals: Scalar[];
    if (v === null) {
      if (!k.optional) return NO_TUPLES as KeyTuple[];
      vals = [null];
    } else vals = Array.isArray(v) ? [...new Set(v)] : [v];
    const next: Scalar[][] = [];
    for (const a of acc)
      for (const x of vals) {
        if (next.length >= MAX_KEY_FANOUT) {
          out.capped = true;
          break;
        }
        next.push([...a, x]);
      }
    acc = next;
  }
  return acc.map((values) => ({ values }));
}

/**
 * Entries by join-key tuple, as nested Maps keyed by the values themselves: a lookup builds no
 * string (joining the values into one key string cost more than the rest of a lookup).
 */
export class KeyIndex<T> {
  private readonly root = new Map<Scalar, unknown>();
  /** the entry of the empty tuple (no join keys) */
  private none: T | undefined;
  size = 0;

  constructor(private readonly width: number) {}

  get(values: readonly Scalar[]): T | undefined {
    const w = this.width;
    if (w === 1) return this.root.get(values[0] as Scalar) as T | undefined;
    if (w === 0) return this.none;
    let m = this.root;
    for (let i = 0; i < w - 1; i++) {
      const next = m.get(values[i] as Scalar) as Map<Scalar, unknown> | undefined;
      if (next === undefined) return undefined;
      m = next;
    }
    return m.get(values[w - 1] as Scalar) as T | undefined;
  }

  set(values: readonly Scalar[], entry: T): void {
    const w = this.width;
    if (w === 0) {
      if (this.none === undefined) this.size++;
      this.none = entry;
      return;
    }
    let m = this.root;
    for (let i = 0; i < w - 1; i++) {
      let next = m.get(values[i] as Scalar) as Map<Scalar, unknown> | undefined;
      if (next === undefined) {
        next = new Map();
        m.set(values[i] as Scalar, next);
      }
      m = next;
    }
    const last = values[w - 1] as Scalar;
    if (!m.has(last)) this.size++;
    m.set(last, entry);
  }

  /** every entry (no particular order) */
  *values(): Generator<T> {
    if (this.width === 0) {
      if (this.none !== undefined) yield this.none;
      return;
    }
    const walk = function* (m: Map<Scalar, unknown>, depth: number, width: number): Generator<T> {
      for (const v of m.values())
        if (depth === width - 1) yield v as T;
        else yield* walk(v as Map<Scalar, unknown>, depth + 1, width);
    };
    yield* walk(this.root, 0, this.width);
  }

  delete(values: readonly Scalar[]): void {
    const w = this.width;
    if (w === 1) {
      if (this.root.delete(values[0] as Scalar)) this.size--;
      return;
    }
    if (w === 0) {
      if (this.none !== undefined) this.size--;
      this.none = undefined;
      return;
    }
    const path: Map<Scalar, unknown>[] = [this.root];
    for (let i = 0; i < w - 1; i++) {
      const next = (path[i] as Map<Scalar, unknown>).get(values[i] as Scalar) as
        | Map<Scalar, unknown>
        | undefined;
      if (next === undefined) return;
      path.push(next);
    }
    if (!(path[w - 1] as Map<Scalar, unknown>).delete(values[w - 1] as Scalar)) return;
    this.size--;
    // drop the maps left empty, deepest first
    for (let i = w - 1; i > 0 && (path[i] as Map<Scalar, unknown>).size === 0; i--)
      (path[i - 1] as Map<Scalar, unknown>).delete(values[i - 1] as Scalar);
  }
}
