// Exception items of the tuning file, checked once at start-up into the model shared with Kibana
// exception lists (src/rules/exception-item.ts): entries written with the operators of Kibana's
// UI (is, is not, is one of, is not one of, exists, does not exist, matches, does not match) or
// in Kibana's stored form ({type: match|match_any|exists|wildcard|nested, operator:
// included|excluded}). Evaluation lives in exception-match.ts, with Kibana's semantics for both.
// An entry eqld cannot evaluate (value lists, `.text` fields) is a config error here: the tuning
// file is the operator's own, so refusing it is better than running with an exception missing.
import {
  type ExceptionEntry,
  ExceptionEntryError,
  type ExceptionItem,
  parseExceptionEntry,
  parseOsTypes,
  type Scalar,
} from '../../rules/exception-item.js';
import { TuningConfigError } from './tuning-error.js';

export type { ExceptionEntry, ExceptionItem } from '../../rules/exception-item.js';
export { entryMatches, isExcepted } from './exception-match.js';

/** the operators of Kibana's exception builder UI */
export type ExceptionOperator =
  | 'is'
  | 'is_not'
  | 'is_one_of'
  | 'is_not_one_of'
  | 'exists'
  | 'does_not_exist'
  | 'matches'
  | 'does_not_match';

/** UI operator -> Kibana stored type and operator */
const UI_OPERATORS: Readonly<
  Record<ExceptionOperator, { type: 'match' | 'match_any' | 'exists' | 'wildcard'; excluded: boolean }>
> = {
  is: { type: 'match', excluded: false },
  is_not: { type: 'match', excluded: true },
  is_one_of: { type: 'match_any', excluded: false },
  is_not_one_of: { type: 'match_any', excluded: true },
  exists: { type: 'exists', excluded: false },
  does_not_exist: { type: 'exists', excluded: true },
  matches: { type: 'wildcard', excluded: false },
  does_not_match: { type: 'wildcard', excluded: true },
};

const isScalar = (v: unknown): v is Scalar =>
  typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/** a UI-operator entry in Kibana's stored form (`is` with several values is `is one of`) */
function fromUiOperator(e: Record<string, unknown>, op: ExceptionOperator, where: string): unknown {
  const { type, excluded } = UI_OPERATORS[op];
  const rawValues = e.values ?? e.value;
  const values = rawValues === undefined ? [] : Array.isArray(rawValues) ? rawValues : [rawValues];
  if (!values.every(isScalar))
    throw new TuningConfigError(`Expected \`${where}.values\` to hold strings, numbers or booleans`);
  if (type !== 'exists' && values.length === 0)
    throw new TuningConfigError(`Expected \`${where}\` (${op}) to have a value`);
  const operator = excluded ? 'excluded' : 'included';
  if (type === 'exists') return { type, field: e.field, operator };
  if (type === 'match_any' || (type === 'match' && values.length > 1))
    return { type: 'match_any', field: e.field, operator, value: values };
  if (type === 'wildcard') return { type, field: e.field, operator, value: String(values[0]) };
  return { type, field: e.field, operator, value: values[0] };
}

function normalizeEntry(raw: unknown, where: string): ExceptionEntry {
  if (typeof raw !== 'object' || raw === null)
    throw new TuningConfigError(`Expected \`${where}\` to be an object`);
  const e = raw as Record<string, unknown>;
  if (typeof e.field !== 'string' || e.field === '')
    throw new TuningConfigError(`Expected \`${where}.field\` to be a field name`);
  let stored: unknown = e;
  if (typeof e.operator === 'string' && Object.hasOwn(UI_OPERATORS, e.operator))
    stored = fromUiOperator(e, e.operator as ExceptionOperator, where);
  else if (e.type === undefined)
    throw new TuningConfigError(
      `Expected \`${where}.operator\` to be one of ${Object.keys(UI_OPERATORS).join(', ')} (or a Kibana type), got \`${JSON.stringify(e.operator)}\``,
    );
  else
    stored = {
      ...e,
      // lenient with hand-written stored entries: `values` for `value`, no operator = included
      ...(e.value === undefined && e.values !== undefined ? { value: e.values } : {}),
      ...(e.operator === undefined && e.type !== 'nested' ? { operator: 'included' } : {}),
    };
  try {
    return parseExceptionEntry(stored, where);
  } catch (err) {
    if (err instanceof ExceptionEntryError)
      throw new TuningConfigError(
        err.problem === 'unsupported' ? `Not supported in the tuning file: ${err.message}` : err.message,
        { cause: err },
      );
    throw err;
  }
}

export function normalizeExceptionItem(raw: unknown, where: string): ExceptionItem {
  if (typeof raw !== 'object' || raw === null || !Array.isArray((raw as { entries?: unknown }).entries)) {
    throw new TuningConfigError(`Expected \`${where}\` to be an object with an \`entries\` array`);
  }
  const r = raw as { name?: unknown; entries: unknown[]; os_types?: unknown };
  if (r.entries.length === 0)
    throw new TuningConfigError(`Expected \`${where}.entries\` to have at least one entry`);
  let osTypes: ExceptionItem['osTypes'];
  try {
    osTypes = parseOsTypes(r.os_types, `${where}.os_types`);
  } catch (err) {
    throw new TuningConfigError((err as Error).message, { cause: err });
  }
  const item: ExceptionItem = {
    entries: r.entries.map((e, i) => normalizeEntry(e, `${where}.entries[${i}]`)),
    osTypes,
  };
  if (typeof r.name === 'string') item.name = r.name;
  return item;
}
