// Reads a field by dotted name from a JSON document that may be nested (`{process:{pid:1}}`),
// flattened (`{"process.pid":1}`) or mixed, as Elasticsearch accepts both. Values are normalized for
// EQL: missing, undefined, objects and empty arrays read as null; nested arrays are flattened. The
// getter is specialised per name (the split points are computed once) and allocates nothing for
// the common nested layout.

export type Scalar = string | number | boolean | null;
export type Value = Scalar | Scalar[];

function isScalar(x: unknown): x is string | number | boolean {
  const t = typeof x;
  return t === 'string' || t === 'number' || t === 'boolean';
}

function normalizeArray(v: unknown[]): Value {
  let clean = true;
  for (let i = 0; i < v.length; i++) {
    if (!isScalar(v[i])) {
      clean = false;
      break;
    }
  }
  if (clean) return v.length === 0 ? null : v.length === 1 ? (v[0] as Scalar) : (v as Scalar[]);
  const out: Scalar[] = [];
  const walk = (a: unknown[]) => {
    for (const x of a) {
      if (Array.isArray(x)) walk(x);
      else if (isScalar(x)) out.push(x);
    }
  };
  walk(v);
  return out.length === 0 ? null : out.length === 1 ? (out[0] as Scalar) : out;
}

function normalize(v: unknown): Value {
  if (v === undefined || v === null) return null;
  if (isScalar(v)) return v;
  if (Array.isArray(v)) return normalizeArray(v);
  return null;
}

type Resolver = (obj: Record<string, unknown>) => unknown;

/** Resolves `parts` inside obj, trying every split of the remaining dotted name into a flat key. */
function resolver(parts: readonly string[]): Resolver {
  if (parts.length === 1) {
    const k = parts[0] as string;
    return (obj) => obj[k];
  }
  // candidates: a key made of the first i parts joined with dots, then the rest resolved below it
  const heads = parts.map((_, i) => parts.slice(0, i + 1).join('.'));
  const tails: (Resolver | undefined)[] = parts.map((_, i) =>
    i + 1 < parts.length ? resolver(parts.slice(i + 1)) : undefined,
  );
  const first = parts[0] as string;
  const firstTail = tails[0] as Resolver;
  return (obj) => {
    // fast path: fully nested
    const child = obj[first];
    if (child !== undefined && typeof child === 'object' && child !== null && !Array.isArray(child)) {
      const v = firstTail(child as Record<string, unknown>);
      if (v !== undefined) return v;
    }
    // an array of objects (ECS process.previous): Elasticsearch indexes each object's field, so
    // the field holds the values of all of them
    if (Array.isArray(child)) {
      const out: unknown[] = [];
      for (const x of child) {
        if (typeof x !== 'object' || x === null || Array.isArray(x)) continue;
        const v = firstTail(x as Record<string, unknown>);
        if (v !== undefined) out.push(v);
      }
      if (out.length > 0) return out;
    }
    for (let i = 1; i < heads.length; i++) {
      const h = obj[heads[i] as string];
      if (h === undefined) continue;
      const tail = tails[i];
      if (!tail) return h;
      if (typeof h === 'object' && h !== null && !Array.isArray(h)) {
        const v = tail(h as Record<string, unknown>);
        if (v !== undefined) return v;
      }
    }
    return undefined;
  };
}

// The common case (fully nested JSON) gets a reader of its own per field name, built as source
// text with the keys as string literals: V8 then loads them as named properties, each reader with
// its own inline caches, which see only the few object layouts that field's path meets. Closures
// made from one shared function literal share their feedback, so a key bound in a closure is a
// keyed load that turns megamorphic once a handful of fields use it (with the bundled rules, the
// generated readers take ~10 % fewer instructions and ~18 % less time per event). The keys are
// embedded by JSON.stringify, which yields a valid string literal for any string, so no field name
// can change the code; where code generation from strings is disallowed
// (--disallow-code-generation-from-strings) the readers are closures. Flattened or mixed layouts
// fall back to the general resolver. The `guarded` variant tests `key in object` before each load:
// the same result (both consult the prototype chain), cheaper where keys are mostly absent (V8
// does not cache the lookup of an absent key on some objects, such as those made by spread
// literals), dearer where they are present.

/** whether this process may compile source text (new Function) */
export const canGenerateCode = (() => {
  try {
    return new Function('return true')() === true;
  } catch {
    return false;
  }
})();

function generatedPath(parts: readonly string[], guarded: boolean): Resolver {
  const lines = ['"use strict";', 'let x = o;'];
  for (const part of parts) {
    const k = JSON.stringify(part);
    lines.push('if (typeof x !== "object" || x === null) return undefined;');
    lines.push(guarded ? `x = ${k} in x ? x[${k}] : undefined;` : `x = x[${k}];`);
  }
  lines.push('return x;');
  return new Function('o', lines.join('\n')) as Resolver;
}

/** the same reads as generatedPath, as one closure over the keys */
export function closurePath(parts: readonly string[], guarded: boolean): Resolver {
  return (o) => {
    let x: unknown = o;
    for (let i = 0; i < parts.length; i++) {
      if (typeof x !== 'object' || x === null) return undefined;
      const k = parts[i] as string;
      const obj = x as Record<string, unknown>;
      x = guarded && !(k in obj) ? undefined : obj[k];
    }
    return x;
  };
}

/** the nested reader of a name of up to four parts (longer names take the general resolver only,
 *  as they always have: the nested path also indexes into arrays, the general one does not) */
function nestedPath(parts: readonly string[], guarded: boolean): Resolver | undefined {
  if (parts.length > 4) return undefined;
  return canGenerateCode ? generatedPath(parts, guarded) : closurePath(parts, guarded);
}

function read(r: Resolver, doc: Record<string, unknown>): Value {
  const v = r(doc);
  if (v === undefined || v === null) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  return normalize(v);
}

// Whether a missing field may still sit under a flattened key (`"process.name"`, or `"name.x"`
// inside `process`): the general resolver looks for dotted keys only in the objects on the field's
// nested path, so when none of those has a key with a dot it can only find what the nested path
// found. eqld's normalizer builds fully nested documents, which then skip those lookups. Each
// object is checked once per document (for-in: own and inherited enumerable keys).
let flagsDoc: object | undefined;
/** objects of one document whose check is remembered */
const MAX_FLAGS = 16;
const flagObjs: (object | undefined)[] = new Array(MAX_FLAGS).fill(undefined);
const flagVals: boolean[] = new Array(MAX_FLAGS).fill(false);
let flagCount = 0;

function hasDottedKey(doc: object, o: Record<string, unknown>): boolean {
  if (doc !== flagsDoc) {
    flagsDoc = doc;
    flagCount = 0;
  }
  for (let i = 0; i < flagCount; i++) if (flagObjs[i] === o) return flagVals[i] as boolean;
  let dotted = false;
  for (const k in o)
    if (k.includes('.')) {
      dotted = true;
      break;
    }
  if (flagCount < MAX_FLAGS) {
    flagObjs[flagCount] = o;
    flagVals[flagCount] = dotted;
    flagCount++;
  }
  return dotted;
}

/** True when some object on the nested path of `parts` (all but the last part) has a dotted key. */
function mayHoldFlattenedKey(doc: Record<string, unknown>, parts: readonly string[]): boolean {
  let o = doc;
  for (let i = 0; i + 1 < parts.length; i++) {
    if (hasDottedKey(doc, o)) return true;
    const k = parts[i] as string;
    // `in` first: loading a key an object lacks can cost several times more
    if (!(k in o)) return false;
    const next = o[k];
    // an array of objects on the path: the general resolver reads into each of them
    if (Array.isArray(next)) return true;
    if (typeof next !== 'object' || next === null) return false;
    o = next as Record<string, unknown>;
  }
  return false;
}

// Field values are memoized per document and field name: every query (and the rule layer's
// prefilter) reading process.name gets one getter for that name, which reads the document once
// per event however many rules ask; lower-cased values likewise, as lower-casing is the costly part
// of `:`, in~ and like~. This relies on documents not being mutated after they are handed to a
// matcher (the engine's contract), and on callers not mutating the values they are given.

/** reads between choices of a getter's nested-path variant */
const VARIANT_SAMPLE = 1024;

/**
 * One field's value for the document last read: what the getters below keep, and what generated
 * conditions (codegen.ts) test inline (`m.doc === d ? m.value : m.read(d)`) before calling. Every
 * memo has this one class, so those loads stay monomorphic however many fields there are.
 */
export class FieldMemo {
  doc: object | undefined = undefined;
  value: Value = null;
  /** the field's getter (memoized), set once by the code that makes the memo */
  load: (doc: Record<string, unknown>) => Value = () => null;

  /**
   * The field's value for doc. One method for every field, so the call to `load` inside sees
   * every field's getter and V8 does not inline a getter into each generated filter that reads
   * it (which made compiling the filters cost more than they saved on short runs).
   */
  read(doc: Record<string, unknown>): Value {
    return this.load(doc);
  }
}

/** Reads one field, specialised for its name, memoized for the document last read. */
function memoizedGetter(name: string, memo: FieldMemo): (doc: Record<string, unknown>) => Value {
  const parts = name.split('.');
  const general = resolver(parts);
  const plain = nestedPath(parts, false);
  const guarded = nestedPath(parts, true) as Resolver;
  if (!plain)
    return (doc) => {
      if (doc === memo.doc) return memo.value;
      const v = read(general, doc);
      memo.value = v;
      memo.doc = doc;
      return v;
    };
  // the variant for how often the field is absent, chosen again every VARIANT_SAMPLE reads
  let fast = plain;
  let reads = 0;
  let absent = 0;
  return (doc) => {
    if (doc === memo.doc) return memo.value;
    let v = fast(doc);
    if (v === undefined) absent++;
    if (++reads === VARIANT_SAMPLE) {
      fast = absent * 2 > reads ? guarded : plain;
      reads = 0;
      absent = 0;
    }
    // the nested path failed: the value may still sit under a flattened key
    if (v === undefined && mayHoldFlattenedKey(doc, parts)) v = general(doc);
    const out: Value =
      v === undefined || v === null
        ? null
        : typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean'
          ? v
          : normalize(v);
    memo.value = out;
    memo.doc = doc;
    return out;
  };
}

/** most distinct field names given a shared getter (queries beyond share nothing) */
const MAX_SHARED_FIELDS = 10_000;
const memos = new Map<string, FieldMemo>();
const lowerMemos = new Map<string, FieldMemo>();

function share(
  cache: Map<string, FieldMemo>,
  name: string,
  make: (m: FieldMemo) => FieldMemo['load'],
): FieldMemo {
  const hit = cache.get(name);
  if (hit) return hit;
  const m = new FieldMemo();
  m.load = make(m);
  if (cache.size < MAX_SHARED_FIELDS) cache.set(name, m);
  return m;
}

/** The memo of one field (shared by every reader of that name, up to MAX_SHARED_FIELDS names). */
export function fieldMemo(name: string): FieldMemo {
  return share(memos, name, (m) => memoizedGetter(name, m));
}

/** A getter for one field, specialised for its name and memoized for the document last read. */
export function fieldGetter(name: string): (doc: Record<string, unknown>) => Value {
  return fieldMemo(name).load;
}

const lower = (x: Scalar): Scalar =>
  x === null ? null : (typeof x === 'string' ? x : String(x)).toLowerCase();

/** lower-cased values; the array itself when every value already is a lower-case string */
function lowerAll(v: Scalar[]): Scalar[] {
  for (let i = 0; i < v.length; i++) {
    const x = v[i] as Scalar;
    if (typeof x === 'string' && x.toLowerCase() === x) continue;
    const out = v.slice(0, i);
    for (let j = i; j < v.length; j++) out.push(lower(v[j] as Scalar));
    return out;
  }
  return v;
}

/** The memo of a field's values as lower-case strings (numbers and booleans as text): what the
 *  case-insensitive operators (`:`, in~, like~) compare. */
export function lowerFieldMemo(name: string): FieldMemo {
  return share(lowerMemos, name, (m) => {
    const get = fieldGetter(name);
    return (doc) => {
      if (doc === m.doc) return m.value;
      const v = get(doc);
      const out = v === null ? null : Array.isArray(v) ? lowerAll(v) : lower(v);
      m.value = out;
      m.doc = doc;
      return out;
    };
  });
}

/** lowerFieldMemo's getter: the field's values lower-cased, memoized per document. */
export function lowerFieldGetter(name: string): (doc: Record<string, unknown>) => Value {
  return lowerFieldMemo(name).load;
}
