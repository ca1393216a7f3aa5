// Join-key extraction for sequences and samples. Elasticsearch semantics: a non-optional key whose
// value is null excludes the event from that stage; an `?optional` key joins with null; a
// multi-valued key fans out into one key per value, the cartesian product across keys
// (elastic/elasticsearch PR #89965).

import type { JoinKey } from './compile.js';
import type { Doc } from './compile-expr.js';
import type { Scalar } from './field.js';

export const MAX_KEY_FANOUT = 64;

export interface KeyTuple {
  id: string;
  values: Scalar[];
}

const part = (v: Scalar): string =>
  v === null ? 'n' : typeof v === 'string' ? `s${v}` : typeof v === 'number' ? `d${v}` : `b${v}`;

/** no tuple: a non-optional key is null; frozen, so a caller cannot fill it */
const NO_TUPLES: readonly KeyTuple[] = Object.freeze([]);

/** Returns the key tuples of doc for the given keys; `capped` is set when fan-out was cut. */
export function keyTuples(keys: readonly JoinKey[], doc: Doc, out: { capped: boolean }): KeyTuple[] {
  if (keys.length === 0) return [{ id: '', values: [] }];
  if (keys.length === 1) {
    const k = keys[0] as JoinKey;
    const v = k.get(doc);
    if (v === null) return k.optional ? [{ id: 'n', values: [null] }] : (NO_TUPLES as KeyTuple[]);
    if (!Array.isArray(v)) return [{ id: part(v), values: [v] }];
    const seen = new Set<string>();
    const res: KeyTuple[] = [];
    for (const x of v) {
      const id = part(x);
      if (seen.has(id)) continue;
      seen.add(id);
      if (res.length >= MAX_KEY_FANOUT) {
        out.capped = true;
        break;
      }
      res.push({ id, values: [x] });
    }
    return res;
  }
  // the common case, every key one value: one tuple, built without the cartesian product
  const n = keys.length;
  const values = new Array<Scalar>(n);
  let id = '';
  let multi = false;
  for (let i = 0; i < n; i++) {
    const k = keys[i] as JoinKey;
    const v = k.get(doc);
    if (v === null) {
      if (!k.optional) return NO_TUPLES as KeyTuple[];
      values[i] = null;
      id += '\u0001n';
    } else if (Array.isArray(v)) {
      multi = true;
      break;
    } else {
      values[i] = v;
      id += `\u0001${part(v)}`;
    }
  }
  if (!multi) return [{ id, values }];
  let acc: KeyTuple[] = [{ id: '', values: [] }];
  for (const k of keys) {
    const v = k.get(doc);
    let vals: Scalar[];
    if (v === null) {
      if (!k.optional) return [];
      vals = [null];
    } else vals = Array.isArray(v) ? [...new Set(v)] : [v];
    const next: KeyTuple[] = [];
    for (const a of acc)
      for (const x of vals) {
        if (next.length >= MAX_KEY_FANOUT) {
          out.capped = true;
          break;
        }
        next.push({ id: `${a.id}\u0001${part(x)}`, values: [...a.values, x] });
      }
    acc = next;
  }
  return acc;
}
