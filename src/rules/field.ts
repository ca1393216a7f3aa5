// Reads an ECS field by dotted name from a document that may be nested (`{process:{pid:1}}`),
// flattened (`{"process.pid":1}`) or a mix of both, as Elasticsearch itself accepts.

export function getField(doc: unknown, name: string): unknown {
  if (typeof doc !== 'object' || doc === null) return undefined;
  const obj = doc as Record<string, unknown>;
  if (Object.hasOwn(obj, name)) return obj[name];
  let dot = name.indexOf('.');
  while (dot > 0) {
    const head = name.slice(0, dot);
    if (Object.hasOwn(obj, head)) {
      const v = getField(obj[head], name.slice(dot + 1));
      if (v !== undefined) return v;
    }
    dot = name.indexOf('.', dot + 1);
  }
  return undefined;
}

const readers = new Map<string, FieldRead>();
export type FieldRead = (doc: unknown) => unknown;

/**
 * getField() for one name, prepared once: the same lookups (the whole name, then each head with
 * the rest read below it) with the name's pieces cut in advance, for code that reads the same
 * field of every event.
 */
export function fieldReader(name: string): FieldRead {
  const known = readers.get(name);
  if (known) return known;
  const splits: [head: string, rest: FieldRead][] = [];
  for (let dot = name.indexOf('.'); dot > 0; dot = name.indexOf('.', dot + 1))
    splits.push([name.slice(0, dot), fieldReader(name.slice(dot + 1))]);
  const read: FieldRead = (doc) => {
    if (typeof doc !== 'object' || doc === null) return undefined;
    const obj = doc as Record<string, unknown>;
    if (Object.hasOwn(obj, name)) return obj[name];
    for (const [head, rest] of splits) {
      if (!Object.hasOwn(obj, head)) continue;
      const v = rest(obj[head]);
      if (v !== undefined) return v;
    }
    return undefined;
  };
  if (readers.size < 10_000) readers.set(name, read);
  return read;
}
