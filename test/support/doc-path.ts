// Building nested test documents from dotted field names.

export type Doc = Record<string, unknown>;

/** Sets `name` (dotted) in `doc`, making the objects on the way (a non-object on the way is
 *  replaced). `asArray`: a value already there becomes an array with `value` added (a field
 *  with several values). */
export function setPath(doc: Doc, name: string, value: unknown, asArray = false): void {
  const parts = name.split('.');
  let o = doc;
  for (const p of parts.slice(0, -1)) {
    const next = o[p];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) o[p] = {};
    o = o[p] as Doc;
  }
  const last = parts[parts.length - 1] as string;
  const prev = o[last];
  if (asArray && prev !== undefined) o[last] = [...(Array.isArray(prev) ? prev : [prev]), value];
  else o[last] = value;
}
