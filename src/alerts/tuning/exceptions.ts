// Rule exceptions in the shape of Kibana exception lists: an item is a list of entries that are
// ANDed; a rule's items are ORed; an event matching any item is excluded from the rule before the
// rule sees it, as Kibana adds exception filters to the rule's query (docs: "Add and manage
// exceptions", elastic.co/guide/en/security/current/add-exceptions.html). Operators are the UI's:
// is, is not, is one of, is not one of, exists, does not exist, matches, does not match.
// Kibana's stored form ({type: match|match_any|exists|wildcard, operator: included|excluded}) is
// accepted too. Value lists (`type: list`) and nested entries are not supported.
import { getField } from '../../rules/field.js';
import { TuningConfigError } from './tuning-error.js';

export type ExceptionOperator =
  | 'is'
  | 'is_not'
  | 'is_one_of'
  | 'is_not_one_of'
  | 'exists'
  | 'does_not_exist'
  | 'matches'
  | 'does_not_match';

export type Scalar = string | number | boolean;

export interface ExceptionEntry {
  field: string;
  operator: ExceptionOperator;
  values: Scalar[];
}

export interface ExceptionItem {
  name?: string;
  entries: ExceptionEntry[];
}

const OPERATORS: readonly ExceptionOperator[] = [
  'is',
  'is_not',
  'is_one_of',
  'is_not_one_of',
  'exists',
  'does_not_exist',
  'matches',
  'does_not_match',
];

/** Kibana stored entry (type + included/excluded) -> UI operator */
function fromKibana(type: unknown, op: unknown): ExceptionOperator | undefined {
  const inc = op !== 'excluded';
  switch (type) {
    case 'match':
      return inc ? 'is' : 'is_not';
    case 'match_any':
      return inc ? 'is_one_of' : 'is_not_one_of';
    case 'exists':
      return inc ? 'exists' : 'does_not_exist';
    case 'wildcard':
      return inc ? 'matches' : 'does_not_match';
    default:
      return undefined;
  }
}

const isScalar = (v: unknown): v is Scalar =>
  typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

function normalizeEntry(raw: unknown, where: string): ExceptionEntry {
  if (typeof raw !== 'object' || raw === null)
    throw new TuningConfigError(`Expected \`${where}\` to be an object`);
  const e = raw as Record<string, unknown>;
  if (typeof e.field !== 'string' || e.field === '')
    throw new TuningConfigError(`Expected \`${where}.field\` to be a field name`);
  let operator: ExceptionOperator | undefined;
  if (typeof e.operator === 'string' && (OPERATORS as readonly string[]).includes(e.operator))
    operator = e.operator as ExceptionOperator;
  else if (e.type !== undefined) operator = fromKibana(e.type, e.operator);
  if (!operator) {
    throw new TuningConfigError(
      `Expected \`${where}.operator\` to be one of ${OPERATORS.join(', ')} (or a Kibana type), got \`${JSON.stringify(e.operator ?? e.type)}\``,
    );
  }
  const rawValues = e.values ?? e.value;
  const values = rawValues === undefined ? [] : Array.isArray(rawValues) ? rawValues : [rawValues];
  if (!values.every(isScalar))
    throw new TuningConfigError(`Expected \`${where}.values\` to hold strings, numbers or booleans`);
  const needs = operator === 'exists' || operator === 'does_not_exist' ? 0 : 1;
  if (values.length < needs)
    throw new TuningConfigError(`Expected \`${where}\` (${operator}) to have a value`);
  return { field: e.field, operator, values };
}

export function normalizeExceptionItem(raw: unknown, where: string): ExceptionItem {
  if (typeof raw !== 'object' || raw === null || !Array.isArray((raw as { entries?: unknown }).entries)) {
    throw new TuningConfigError(`Expected \`${where}\` to be an object with an \`entries\` array`);
  }
  const r = raw as { name?: unknown; entries: unknown[] };
  if (r.entries.length === 0)
    throw new TuningConfigError(`Expected \`${where}.entries\` to have at least one entry`);
  const item: ExceptionItem = {
    entries: r.entries.map((e, i) => normalizeEntry(e, `${where}.entries[${i}]`)),
  };
  if (typeof r.name === 'string') item.name = r.name;
  return item;
}

function wildcardRe(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '[\\s\\S]*')
    .replace(/\?/g, '[\\s\\S]');
  return new RegExp(`^${body}$`);
}

const reCache = new Map<string, RegExp>();
function wildcard(pattern: string, value: string): boolean {
  let re = reCache.get(pattern);
  if (!re) {
    re = wildcardRe(pattern);
    if (reCache.size < 10_000) reCache.set(pattern, re);
  }
  return re.test(value);
}

function present(doc: Record<string, unknown>, field: string): unknown[] {
  const v = getField(doc, field);
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v.filter((x) => x !== null && x !== undefined) : [v];
}

const same = (a: unknown, b: Scalar) => a === b || String(a) === String(b);

function entryMatches(doc: Record<string, unknown>, e: ExceptionEntry): boolean {
  const vals = present(doc, e.field);
  // multi-valued fields match when any element matches, as in Elasticsearch term queries
  const anyIs = () => vals.some((v) => e.values.some((x) => same(v, x)));
  const anyWild = () => vals.some((v) => e.values.some((x) => wildcard(String(x), String(v))));
  switch (e.operator) {
    case 'is':
    case 'is_one_of':
      return anyIs();
    case 'is_not':
    case 'is_not_one_of':
      return !anyIs();
    case 'exists':
      return vals.length > 0;
    case 'does_not_exist':
      return vals.length === 0;
    case 'matches':
      return anyWild();
    case 'does_not_match':
      return !anyWild();
  }
}

/** true when the event matches any item (all entries of that item) and must not reach the rule */
export function isExcepted(doc: Record<string, unknown>, items: readonly ExceptionItem[]): boolean {
  return items.some((item) => item.entries.every((e) => entryMatches(doc, e)));
}
