// Reads a field by dotted name from a JSON document that may be nested (`{process:{pid:1}}`),
// flattened (`{"process.pid":1}`) or mixed, as Elasticsearch accepts both. Values are normalized for
// EQL: missing, undefined, objects and empty arrays read as null; nested arrays are flattened.

export type Scalar = string | number | boolean | null;
export type Value = Scalar | Scalar[];

function normalize(v: unknown): Value {
  if (v === undefined || v === null) return null;
  const t = typeof v;
  if (t === 'string' || t === 'number' || t === 'boolean') return v as Scalar;
  if (Array.isArray(v)) {
    const out: Scalar[] = [];
    const walk = (a: unknown[]) => {
      for (const x of a) {
        if (Array.isArray(x)) walk(x);
        else if (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean') out.push(x);
      }
    };
    walk(v);
    if (out.length === 0) return null;
    return out.length === 1 ? (out[0] as Scalar) : out;
  }
  return null;
}

function lookup(obj: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(obj, name)) return obj[name];
  let dot = name.indexOf('.');
  while (dot > 0) {
    const head = name.slice(0, dot);
    const child = obj[head];
    if (typeof child === 'object' && child !== null && !Array.isArray(child) && Object.hasOwn(obj, head)) {
      const v = lookup(child as Record<string, unknown>, name.slice(dot + 1));
      if (v !== undefined) return v;
    }
    dot = name.indexOf('.', dot + 1);
  }
  return undefined;
}

/** A getter for one field, specialised for the common fully nested layout. */
export function fieldGetter(name: string): (doc: Record<string, unknown>) => Value {
  const parts = name.split('.');
  return (doc) => {
    let cur: unknown = doc;
    for (let i = 0; i < parts.length; i++) {
      if (typeof cur !== 'object' || cur === null || Array.isArray(cur)) {
        cur = undefined;
        break;
      }
      cur = (cur as Record<string, unknown>)[parts[i] as string];
      if (cur === undefined) break;
    }
    if (cur === undefined) cur = lookup(doc, name);
    return normalize(cur);
  };
}
