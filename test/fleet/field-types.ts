// Leaf field types of ECS documents, for checking eqld's NDJSON output against Elastic Defend's
// sample events: a field that Defend sends as a string must not arrive as a number (and so on),
// or the logs-endpoint.events.* mappings would reject or coerce it. Arrays are typed by their
// elements (`string[]`), since Elasticsearch maps a field and an array of it the same way but
// Kibana and the detection rules read `event.category`/`event.type` as arrays. Pure.

export type FieldType =
  | 'string'
  | 'number'
  | 'boolean'
  | 'null'
  | `${'string' | 'number' | 'boolean' | 'object' | 'empty'}[]`;

/** Flattens a document into dotted leaf paths with their JSON type; objects inside arrays are
 *  walked with `[]` in the path (`process.Ext.ancestry[]`). */
export function fieldTypes(
  doc: unknown,
  prefix = '',
  out = new Map<string, FieldType>(),
): Map<string, FieldType> {
  if (doc === null) {
    out.set(prefix, 'null');
    return out;
  }
  if (Array.isArray(doc)) {
    if (doc.length === 0) {
      out.set(prefix, 'empty[]');
      return out;
    }
    const first = doc[0];
    if (first !== null && typeof first === 'object' && !Array.isArray(first)) {
      for (const el of doc) fieldTypes(el, `${prefix}[]`, out);
      return out;
    }
    out.set(prefix, `${typeof first as 'string' | 'number' | 'boolean'}[]`);
    return out;
  }
  if (typeof doc === 'object') {
    for (const [k, v] of Object.entries(doc as Record<string, unknown>)) {
      fieldTypes(v, prefix === '' ? k : `${prefix}.${k}`, out);
    }
    return out;
  }
  out.set(prefix, typeof doc as 'string' | 'number' | 'boolean');
  return out;
}

export interface TypeMismatch {
  path: string;
  ours: FieldType;
  samples: FieldType[];
}

/** Every path that ours and at least one sample share, where our type is none of the sample
 *  types. `null` and empty arrays carry no type information and are never reported. */
export function typeMismatches(samples: readonly unknown[], ours: readonly unknown[]): TypeMismatch[] {
  const allowed = new Map<string, Set<FieldType>>();
  for (const s of samples) {
    for (const [path, t] of fieldTypes(s)) {
      if (t === 'null' || t === 'empty[]') continue;
      const set = allowed.get(path) ?? new Set<FieldType>();
      set.add(t);
      allowed.set(path, set);
    }
  }
  const seen = new Map<string, TypeMismatch>();
  for (const doc of ours) {
    for (const [path, t] of fieldTypes(doc)) {
      if (t === 'null' || t === 'empty[]') continue;
      const ok = allowed.get(path);
      if (ok === undefined || ok.has(t)) continue;
      seen.set(`${path}:${t}`, { path, ours: t, samples: [...ok] });
    }
  }
  return [...seen.values()];
}

/** Paths ours shares with the samples (to show the check compared something). */
export function sharedPaths(samples: readonly unknown[], ours: readonly unknown[]): string[] {
  const sample = new Set<string>();
  for (const s of samples) for (const p of fieldTypes(s).keys()) sample.add(p);
  const shared = new Set<string>();
  for (const doc of ours) for (const p of fieldTypes(doc).keys()) if (sample.has(p)) shared.add(p);
  return [...shared].sort();
}
