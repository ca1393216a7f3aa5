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
