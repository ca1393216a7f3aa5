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
import { BlockList, isIP } from 'node:net';
import type { ExceptionEntry, ExceptionItem, NestedSubEntry, Scalar } from '../../rules/exception-item.js';
import { isIpField } from '../../rules/exception-item.js';
import { getField } from '../../rules/field.js';

type Doc = Record<string, unknown>;
const CASELESS = '.caseless';

/** the indexed values of a field: none when absent or null, each element of an array */
function values(doc: unknown, field: string): { vals: unknown[]; lower: boolean } {
  let v = getField(doc, field);
  let lower = false;
  if (v === undefined && field.endsWith(CASELESS)) {
    v = getField(doc, field.slice(0, -CASELESS.length));
    lower = true;
  }
  if (v === undefined || v === null) return { vals: [], lower };
  const vals = Array.isArray(v) ? v.flat(Number.POSITIVE_INFINITY).filter((x) => x !== null) : [v];
  return { vals: lower ? vals.map((x) => (typeof x === 'string' ? x.toLowerCase() : x)) : vals, lower };
}

const ipCache = new Map<string, BlockList | null>();
/** an address or CIDR block as a BlockList (null: not an ip literal, so it matches nothing) */
function ipMatcher(q: string): BlockList | null {
  const cached = ipCache.get(q);
  if (cached !== undefined) return cached;
  const slash = q.indexOf('/');
  const addr = slash < 0 ? q : q.slice(0, slash);
  const family = isIP(addr);
  let m: BlockList | null = null;
  if (family !== 0) {
    const type = family === 6 ? 'ipv6' : 'ipv4';
    const prefix = slash < 0 ? undefined : q.slice(slash + 1);
    const bits = Number(prefix);
    if (prefix === undefined) {
      m = new BlockList();
      m.addAddress(addr, type);
    } else if (/^\d+$/.test(prefix) && bits <= (family === 6 ? 128 : 32)) {
      m = new BlockList();
      m.addSubnet(addr, bits, type);
    }
  }
  if (ipCache.size < 10_000) ipCache.set(q, m);
  return m;
}

function ipEquals(docValue: unknown, q: string): boolean {
  if (typeof docValue !== 'string') return false;
  const family = isIP(docValue);
  const m = family === 0 ? null : ipMatcher(q);
  return m?.check(docValue, family === 6 ? 'ipv6' : 'ipv4') === true;
}

/** one indexed value against one query value, as a term query on the field's type would */
function termEquals(docValue: unknown, q: Scalar, field: string, lower: boolean): boolean {
  if (typeof docValue === 'number') {
    if (typeof q === 'number') return q === docValue;
    return typeof q === 'string' && q.trim() !== '' && Number(q) === docValue;
  }
  if (typeof docValue === 'boolean') return String(docValue) === String(q);
  if (typeof docValue !== 'string') return false;
  if (isIpField(field)) return ipEquals(docValue, String(q));
  const s = String(q);
  return docValue === (lower ? s.toLowerCase() : s);
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

function positive(doc: unknown, e: Exclude<ExceptionEntry, { type: 'nested' }>): boolean {
  const { vals, lower } = values(doc, e.field);
  switch (e.type) {
    case 'exists':
      return vals.length > 0;
    case 'match':
      return vals.some((v) => termEquals(v, e.value, e.field, lower));
    case 'match_any':
      return vals.some((v) => e.value.some((q) => termEquals(v, q, e.field, lower)));
    case 'wildcard': {
      const re = wildcardRegExp(lower ? e.value.toLowerCase() : e.value);
      return vals.some((v) => (typeof v === 'string' || typeof v === 'number') && re.test(String(v)));
    }
  }
}

function nestedMatches(doc: unknown, field: string, subs: readonly NestedSubEntry[]): boolean {
  const v = getField(doc, field);
  const elements = Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
  return elements.some(
    (el) => typeof el === 'object' && el !== null && subs.every((s) => entryMatches(el, s)),
  );
}

/** true when the entry's clause matches the event (or nested element) */
export function entryMatches(doc: unknown, e: ExceptionEntry): boolean {
  if (e.type === 'nested') return nestedMatches(doc, e.field, e.entries);
  const hit = positive(doc, e);
  return e.operator === 'excluded' ? !hit : hit;
}

function osMatches(doc: Doc, os: readonly string[]): boolean {
  const type = values(doc, 'host.os.type').vals;
  const name = values(doc, 'host.os.name.caseless').vals;
  return os.some((o) => type.includes(o) || name.includes(o));
}

/** the item applies at `nowMs` (Kibana drops items whose expire_time is before the rule run) */
export function itemActive(item: ExceptionItem, nowMs: number | undefined): boolean {
  return item.expiresAtMs === undefined || nowMs === undefined || item.expiresAtMs >= nowMs;
}

export function itemMatches(doc: Doc, item: ExceptionItem): boolean {
  if (item.osTypes.length > 0 && !osMatches(doc, item.osTypes)) return false;
  return item.entries.every((e) => entryMatches(doc, e));
}

/** true when the event matches any active item and must not reach the rule */
export function isExcepted(doc: Doc, items: readonly ExceptionItem[], nowMs?: number): boolean {
  for (const item of items) if (itemActive(item, nowMs) && itemMatches(doc, item)) return true;
  return false;
}
