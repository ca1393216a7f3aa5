// Evaluates exception items against one ECS event with the results Kibana's exception filter
// would give. Kibana turns each item into Elasticsearch query DSL (elastic/kibana
// x-pack/solutions/security/plugins/lists/server/services/exception_lists/build_exception_filter.ts)
// and excludes matching events; eqld evaluates the same clauses directly:
// - match: `match_phrase` on a keyword field = exact, case-sensitive term; match_any: a `should`
//   of those; exists: `exists`; wildcard: `wildcard` query (`*`, `?`, `\` escapes, case-sensitive);
//   `excluded` wraps the clause in `must_not`. A multi-valued field matches when any value does
//   (Elasticsearch indexes every value of an array).
// - nested: a `nested` query: all sub-entries must match one element of the object array.
// - os_types: transformOsType ORs `host.os.type` and `host.os.name.caseless` matches of each OS.
// - expire_time: removeExpiredExceptions drops items whose time is before the rule run.
// Beyond keyword fields: numbers compare numerically ("7" matches 7, as a term query on a long
// field parses its value), `*.ip` fields compare as addresses and accept CIDR blocks (term query
// on an ip field), `X.caseless` reads X lower-cased (Elastic Defend's lowercase-normalized
// multi-fields; the normalizer applies to the query value and wildcard pattern too).
import type { ExceptionEntry, ExceptionItem, Scalar } from '../../rules/exception-item.js';
import { isIpField } from '../../rules/exception-item.js';
import { type FieldRead, fieldReader } from '../../rules/field.js';
import { inBlock, ipBlock, ipBytes } from './ip-address.js';

type Doc = Record<string, unknown>;
const CASELESS = '.caseless';

const NONE: readonly unknown[] = Object.freeze([]);

/** the indexed values of a field: none when absent or null, each element of an array (nested
 *  arrays flattened); `X.caseless` reads X lower-cased when the event has no such field */
function values(doc: unknown, field: FieldRead, base: FieldRead | undefined): readonly unknown[] {
  let v = field(doc);
  const lower = v === undefined && base !== undefined;
  if (lower) v = base(doc);
  if (v === undefined || v === null) return NONE;
  let vals: readonly unknown[];
  if (!Array.isArray(v)) vals = [v];
  else {
    vals = v.some((x) => x === null || Array.isArray(x))
      ? v.flat(Number.POSITIVE_INFINITY).filter((x) => x !== null)
      : v;
  }
  return lower ? vals.map((x) => (typeof x === 'string' ? x.toLowerCase() : x)) : vals;
}

const reCache = new Map<string, RegExp>();
/** Elasticsearch wildcard syntax (Lucene WildcardQuery): `*` any run, `?` one character, `\`
 *  escapes the next character (a trailing `\` is literal); everything else literal */
export function wildcardRegExp(pattern: string): RegExp {
  let re = reCache.get(pattern);
  if (re) return re;
  let body = '';
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] as string;
    if (c === '\\' && i + 1 < chars.length) body += reEscape(chars[++i] as string);
    else if (c === '*') body += '.*';
    else if (c === '?') body += '.';
    else body += reEscape(c);
  }
  re = new RegExp(`^${body}$`, 'su');
  if (reCache.size < 10_000) reCache.set(pattern, re);
  return re;
}
/** a regex syntax character as itself (the only escapes `u` mode accepts outside a class) */
const reEscape = (c: string) => c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** A test on one indexed value, built once per entry: the query values of a term query, as the
 *  field's type would parse them. */
function termTest(field: string, queries: readonly Scalar[], lower: boolean): (v: unknown) => boolean {
  const text = new Set(queries.map((q) => (lower ? String(q).toLowerCase() : String(q))));
  // a long/double field parses the query value: "7" and "7.0" are 7
  const numbers = new Set(
    queries
      .map((q) =>
        typeof q === 'number' ? q : typeof q === 'string' && q.trim() !== '' ? Number(q) : Number.NaN,
      )
      .filter((n) => !Number.isNaN(n)),
  );
  const blocks = isIpField(field)
    ? queries.map((q) => ipBlock(String(q))).filter((b) => b !== undefined)
    : undefined;
  return (v) => {
    if (typeof v === 'string') {
      if (blocks === undefined) return text.has(v);
      const addr = ipBytes(v);
      return addr !== undefined && blocks.some((b) => inBlock(addr, b));
    }
    if (typeof v === 'number') return numbers.has(v);
    if (typeof v === 'boolean') return text.has(String(v));
    return false;
  };
}

type Test = (doc: unknown) => boolean;

/** The entry's clause as a test on an event (or a nested element), before `excluded`. */
function clauseTest(e: Exclude<ExceptionEntry, { type: 'nested' }>): Test {
  const { field: name } = e;
  const field = fieldReader(name);
  const base = name.endsWith(CASELESS) ? fieldReader(name.slice(0, -CASELESS.length)) : undefined;
  const lower = base !== undefined;
  switch (e.type) {
    case 'exists':
      return (doc) => values(doc, field, base).length > 0;
    case 'match':
    case 'match_any': {
      const test = termTest(name, e.type === 'match' ? [e.value] : e.value, lower);
      return (doc) => values(doc, field, base).some(test);
    }
    case 'wildcard': {
      const re = wildcardRegExp(lower ? e.value.toLowerCase() : e.value);
      return (doc) =>
        values(doc, field, base).some(
          (v) => (typeof v === 'string' || typeof v === 'number') && re.test(String(v)),
        );
    }
  }
}

function compileEntry(e: ExceptionEntry): Test {
  if (e.type === 'nested') {
    const subs = e.entries.map(compileEntry);
    const field = fieldReader(e.field);
    return (doc) => {
      const v = field(doc);
      const elements = Array.isArray(v) ? v : v === undefined || v === null ? NONE : [v];
      return elements.some((el) => typeof el === 'object' && el !== null && subs.every((t) => t(el)));
    };
  }
  const test = clauseTest(e);
  return e.operator === 'excluded' ? (doc) => !test(doc) : test;
}

const entryTests = new WeakMap<ExceptionEntry, Test>();
function entryTest(e: ExceptionEntry): Test {
  let t = entryTests.get(e);
  if (!t) {
    t = compileEntry(e);
    entryTests.set(e, t);
  }
  return t;
}

/** true when the entry's clause matches the event (or nested element) */
export function entryMatches(doc: unknown, e: ExceptionEntry): boolean {
  return entryTest(e)(doc);
}

const HOST_OS_TYPE = fieldReader('host.os.type');
const HOST_OS_NAME_CASELESS = fieldReader('host.os.name.caseless');
const HOST_OS_NAME = fieldReader('host.os.name');
const osType = (doc: unknown) => values(doc, HOST_OS_TYPE, undefined);
const osName = (doc: unknown) => values(doc, HOST_OS_NAME_CASELESS, HOST_OS_NAME);

function compileItem(item: ExceptionItem): Test {
  const tests = item.entries.map(entryTest);
  const os = item.osTypes;
  const entries: Test = (doc) => tests.every((t) => t(doc));
  if (os.length === 0) return entries;
  return (doc) => {
    const type = osType(doc);
    const name = osName(doc);
    return os.some((o) => type.includes(o) || name.includes(o)) && entries(doc);
  };
}

const itemTests = new WeakMap<ExceptionItem, Test>();

/** the item applies at `nowMs` (Kibana drops items whose expire_time is before the rule run) */
export function itemActive(item: ExceptionItem, nowMs: number | undefined): boolean {
  return item.expiresAtMs === undefined || nowMs === undefined || item.expiresAtMs >= nowMs;
}

/** the item's entries (and os_types) all hold for the event; compiled once per item */
export function itemMatches(doc: Doc, item: ExceptionItem): boolean {
  let t = itemTests.get(item);
  if (!t) {
    t = compileItem(item);
    itemTests.set(item, t);
  }
  return t(doc);
}

/** true when the event matches any active item and must not reach the rule */
export function isExcepted(doc: Doc, items: readonly ExceptionItem[], nowMs?: number): boolean {
  for (const item of items) if (itemActive(item, nowMs) && itemMatches(doc, item)) return true;
  return false;
}
