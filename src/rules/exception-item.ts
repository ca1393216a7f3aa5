// Rule exceptions in Kibana's stored form, the one model for both sources eqld reads: exception
// list items exported from Kibana (src/rules/kibana/) and the exceptions of the tuning file
// (src/alerts/tuning/exceptions.ts). An item's entries are ANDed, a rule's items are ORed.
// Entry schema: elastic/kibana x-pack/solutions/security/packages/kbn-securitysolution-exceptions-common
// api/model/exception_list_item_entry.schema.yaml (match, match_any, list, exists, nested,
// wildcard; operator included|excluded; nested sub-entries are match, match_any or exists).
// parseExceptionEntry() checks one entry and says what was wrong; it does not evaluate entries
// (src/alerts/tuning/exception-match.ts does).
import { isIP } from 'node:net';
import { printable } from './printable.js';

export type EntryOperator = 'included' | 'excluded';
export type Scalar = string | number | boolean;

export interface MatchEntry {
  type: 'match';
  field: string;
  operator: EntryOperator;
  value: Scalar;
}

export interface MatchAnyEntry {
  type: 'match_any';
  field: string;
  operator: EntryOperator;
  value: Scalar[];
}

export interface WildcardEntry {
  type: 'wildcard';
  field: string;
  operator: EntryOperator;
  value: string;
}

export interface ExistsEntry {
  type: 'exists';
  field: string;
  operator: EntryOperator;
}

export type NestedSubEntry = MatchEntry | MatchAnyEntry | ExistsEntry;

/** sub-entries hold fields relative to `field` and must all match one element of it */
export interface NestedEntry {
  type: 'nested';
  field: string;
  entries: NestedSubEntry[];
}

export type ExceptionEntry = MatchEntry | MatchAnyEntry | WildcardEntry | ExistsEntry | NestedEntry;

export type OsType = 'linux' | 'macos' | 'windows';
export const OS_TYPES: readonly OsType[] = ['linux', 'macos', 'windows'];

export interface ExceptionItem {
  name?: string;
  /** Kibana item_id and its list, for messages */
  itemId?: string;
  listId?: string;
  entries: ExceptionEntry[];
  /** Kibana `os_types`: when non-empty the item also needs host.os.type (or host.os.name.caseless)
   *  to be one of them (transformOsType in the lists plugin's build_exception_filter.ts) */
  osTypes: OsType[];
  /** Kibana `expire_time` in ms: the item no longer applies after it (removeExpiredExceptions) */
  expiresAtMs?: number;
}

/** `invalid`: not Kibana's schema; `unsupported`: valid Kibana, but eqld cannot evaluate it */
export type EntryProblem = 'invalid' | 'unsupported';

export class ExceptionEntryError extends Error {
  override readonly name = 'ExceptionEntryError';
  constructor(
    readonly problem: EntryProblem,
    message: string,
  ) {
    super(message);
  }
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isScalar = (v: unknown): v is Scalar =>
  (typeof v === 'string' && v.length > 0) || typeof v === 'number' || typeof v === 'boolean';
const shown = (v: unknown) => (v === undefined ? 'nothing' : `\`${JSON.stringify(v)?.slice(0, 60)}\``);

/** ECS names every IP-typed field `*.ip` (source.ip, destination.ip, host.ip, related.ip, ...) */
export const isIpField = (field: string): boolean => field === 'ip' || field.endsWith('.ip');

/** an address or CIDR block: what a term query on an ip field accepts (anything else fails the
 *  whole search in Elasticsearch) */
export function isIpLiteral(q: Scalar): boolean {
  if (typeof q !== 'string') return false;
  const slash = q.indexOf('/');
  const family = isIP(slash < 0 ? q : q.slice(0, slash));
  if (family === 0) return false;
  if (slash < 0) return true;
  const prefix = q.slice(slash + 1);
  return /^\d+$/.test(prefix) && Number(prefix) <= (family === 6 ? 128 : 32);
}

function invalid(where: string, expected: string, got: unknown): never {
  throw new ExceptionEntryError('invalid', `Expected \`${where}\` to be ${expected}, got ${shown(got)}`);
}

function field(e: Record<string, unknown>, where: string): string {
  const f = e.field;
  if (typeof f !== 'string' || f.trim() === '') invalid(`${where}.field`, 'a field name', f);
  // `.text` multi-fields are analyzed (tokenized, lower-cased) in Elastic's mappings; a keyword
  // comparison would silently change what the entry means
  if (f === 'text' || f.endsWith('.text'))
    throw new ExceptionEntryError(
      'unsupported',
      `\`${where}\`: field \`${f}\` is an analyzed text field; eqld compares keyword values only`,
    );
  return f;
}

function operator(e: Record<string, unknown>, where: string): EntryOperator {
  const op = e.operator;
  if (op !== 'included' && op !== 'excluded') invalid(`${where}.operator`, '`included` or `excluded`', op);
  return op;
}

function parseEntry(raw: unknown, where: string, nested: boolean): ExceptionEntry {
  if (!isObj(raw)) invalid(where, 'an object', raw);
  const type = raw.type;
  switch (type) {
    case 'match': {
      const value = raw.value;
      if (!isScalar(value)) invalid(`${where}.value`, 'a non-empty string', value);
      const f = field(raw, where);
      if (isIpField(f) && !isIpLiteral(value))
        invalid(`${where}.value`, `an IP address or CIDR block (\`${f}\` is an ip field)`, value);
      return { type, field: f, operator: operator(raw, where), value };
    }
    case 'match_any': {
      const value = raw.value;
      if (!Array.isArray(value) || value.length === 0 || !value.every(isScalar))
        invalid(`${where}.value`, 'a non-empty array of non-empty strings', value);
      const f = field(raw, where);
      if (isIpField(f) && !value.every(isIpLiteral))
        invalid(`${where}.value`, `IP addresses or CIDR blocks (\`${f}\` is an ip field)`, value);
      return { type, field: f, operator: operator(raw, where), value };
    }
    case 'exists':
      return { type, field: field(raw, where), operator: operator(raw, where) };
    case 'wildcard':
    case 'nested':
    case 'list':
      if (nested) invalid(`${where}.type`, '`match`, `match_any` or `exists` inside a nested entry', type);
      break;
    default:
      invalid(`${where}.type`, 'one of match, match_any, exists, wildcard, nested, list', type);
  }
  if (type === 'wildcard') {
    const value = raw.value;
    if (typeof value !== 'string' || value.length === 0)
      invalid(`${where}.value`, 'a non-empty wildcard pattern', value);
    const f = field(raw, where);
    if (isIpField(f))
      throw new ExceptionEntryError(
        'unsupported',
        `\`${where}\`: a wildcard on the ip field \`${f}\` (Elasticsearch rejects wildcard queries on ip fields)`,
      );
    return { type, field: f, operator: operator(raw, where), value };
  }
  if (type === 'nested') {
    const subs = raw.entries;
    if (!Array.isArray(subs) || subs.length === 0)
      invalid(`${where}.entries`, 'a non-empty array of entries', subs);
    return {
      type,
      field: field(raw, where),
      entries: subs.map((s, i) => parseEntry(s, `${where}.entries[${i}]`, true) as NestedSubEntry),
    };
  }
  // type === 'list': value lists are stored in Kibana's .items-* indices, never in an export
  const list = isObj(raw.list) ? raw.list : {};
  throw new ExceptionEntryError(
    'unsupported',
    `\`${where}\`: a value list entry (\`${String(raw.field)}\` ${raw.operator === 'excluded' ? 'is not' : 'is'} in list \`${String(list.id)}\`); value lists are not part of a Kibana export`,
  );
}

/** One entry in Kibana's stored form; throws ExceptionEntryError naming `where`. */
export function parseExceptionEntry(raw: unknown, where: string): ExceptionEntry {
  return parseEntry(raw, where, false);
}

/** Kibana `os_types` (absent = none); throws ExceptionEntryError. */
export function parseOsTypes(raw: unknown, where: string): OsType[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw) || !raw.every((o) => (OS_TYPES as readonly unknown[]).includes(o)))
    invalid(where, `an array of ${OS_TYPES.join(', ')}`, raw);
  return raw as OsType[];
}

/** A short human description of an item, for messages: `"name" (item_id x, list y)`; the name is
 *  JSON-quoted and the ids escaped, so hostile text cannot break a message's line. */
export function describeItem(item: Pick<ExceptionItem, 'name' | 'itemId' | 'listId'>): string {
  const ids = [
    item.itemId === undefined ? undefined : `item_id ${printable(item.itemId)}`,
    item.listId === undefined ? undefined : `list ${printable(item.listId)}`,
  ].filter((x) => x !== undefined);
  return `${item.name === undefined ? 'exception item' : JSON.stringify(item.name)}${ids.length > 0 ? ` (${ids.join(', ')})` : ''}`;
}
