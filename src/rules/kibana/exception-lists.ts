// The exception lists of every Kibana export loaded together (a rules export and a shared list
// exported alone may come in different files), and the items each rule takes. Kibana resolves a
// rule's `exceptions_list` by list_id and namespace_type (getExceptions in
// security_solution/server/lib/detection_engine/rule_types/utils/utils.ts passes both to
// findExceptionListsItemPointInTimeFinder), so eqld does too; the `id` is a saved-object id that
// changes on import. Items are `exception_list_item` lines (list_id, item_id, namespace_type,
// entries, os_types, expire_time: exception_list_common.schema.yaml in
// kbn-securitysolution-exceptions-common). An item eqld cannot evaluate is not applied and the
// rules that reference its list say so, as Kibana's rule run reports "unprocessed exceptions"
// and runs without them (eql.ts: getUnprocessedExceptionsWarnings).
import {
  describeItem,
  ExceptionEntryError,
  type ExceptionItem,
  parseExceptionEntry,
  parseOsTypes,
} from '../exception-item.js';
import type { ExceptionListRef } from '../rule.js';
import { RuleFileError } from '../rule-error.js';
import type { Table } from '../rule-table.js';

/** Kibana's Endpoint exceptions list (ENDPOINT_LIST_ID in @kbn/securitysolution-list-constants) */
const ENDPOINT_LIST_ID = 'endpoint_list';

interface PoolList {
  listId: string;
  namespaceType: string;
  name?: string;
  /** where it was first seen, for messages */
  path: string;
  line: number;
  items: ExceptionItem[];
  /** items present but not applied, each with the reason */
  notApplied: string[];
  /** item_id -> content signature and place, to tell a repeated export from a conflicting one */
  seen: Map<string, { signature: string; where: string }>;
  referenced: boolean;
}

export interface ResolvedExceptions {
  items: ExceptionItem[];
  /** one sentence per list not found and per item not applied */
  warnings: string[];
}

export interface UnreferencedList {
  listId: string;
  namespaceType: string;
  path: string;
  line: number;
  items: number;
  notApplied: number;
}

const keyOf = (namespaceType: string, listId: string) => `${namespaceType}\u0000${listId}`;
const quote = (s: string) => JSON.stringify(s);

export class ExceptionListPool {
  private readonly lists = new Map<string, PoolList>();

  private list(namespaceType: string, listId: string, path: string, line: number): PoolList {
    const key = keyOf(namespaceType, listId);
    let l = this.lists.get(key);
    if (!l) {
      l = {
        listId,
        namespaceType,
        path,
        line,
        items: [],
        notApplied: [],
        seen: new Map(),
        referenced: false,
      };
      this.lists.set(key, l);
    }
    return l;
  }

  /** An `exception_list` container line (its items come on their own lines). */
  addList(o: Table, path: string, line: number): RuleFileError | undefined {
    const ns = o.namespace_type ?? 'single';
    if (ns !== 'single' && ns !== 'agnostic')
      return new RuleFileError(
        'schema',
        path,
        `Expected \`namespace_type\` of exception list ${quote(String(o.list_id))} to be \`single\` or \`agnostic\`, got ${quote(String(ns))}`,
        line,
      );
    const l = this.list(ns, String(o.list_id), path, line);
    if (l.name === undefined && typeof o.name === 'string') l.name = o.name;
    return undefined;
  }

  /** An `exception_list_item` line; returns the errors of a malformed or conflicting item. */
  addItem(o: Table, path: string, line: number): RuleFileError[] {
    const where = `${path}:${line}`;
    const ns = o.namespace_type ?? 'single';
    const listId = String(o.list_id);
    const label = describeItem({
      ...(typeof o.name === 'string' ? { name: o.name } : {}),
      ...(typeof o.item_id === 'string' ? { itemId: o.item_id } : {}),
      listId,
    });
    const fail = (detail: string): RuleFileError[] => {
      if (ns === 'single' || ns === 'agnostic')
        this.list(ns, listId, path, line).notApplied.push(`${label} is malformed (${where}): not applied`);
      return [new RuleFileError('schema', path, `exception item ${label}: ${detail}`, line)];
    };
    if (ns !== 'single' && ns !== 'agnostic')
      return fail(`Expected \`namespace_type\` to be \`single\` or \`agnostic\`, got ${quote(String(ns))}`);
    if (typeof o.item_id !== 'string' || o.item_id === '')
      return fail(
        `Expected \`item_id\` to be a non-empty string, got ${JSON.stringify(o.item_id) ?? 'nothing'}`,
      );
    const l = this.list(ns, listId, path, line);
    const signature = JSON.stringify([o.entries, o.os_types ?? [], o.expire_time ?? null]);
    const prev = l.seen.get(o.item_id);
    if (prev) {
      if (prev.signature === signature) return []; // the same list exported twice (two files)
      return [
        new RuleFileError(
          'duplicate',
          path,
          `exception item ${label} differs from the one at ${prev.where}; the first is used`,
          line,
        ),
      ];
    }
    l.seen.set(o.item_id, { signature, where });
    if (!Array.isArray(o.entries) || o.entries.length === 0)
      return fail(
        `Expected \`entries\` to be a non-empty array, got ${JSON.stringify(o.entries) ?? 'nothing'}`,
      );
    const item: ExceptionItem = { itemId: o.item_id, listId, entries: [], osTypes: [] };
    if (typeof o.name === 'string') item.name = o.name;
    try {
      item.entries = o.entries.map((e, i) => parseExceptionEntry(e, `entries[${i}]`));
      item.osTypes = parseOsTypes(o.os_types, 'os_types');
    } catch (err) {
      if (!(err instanceof ExceptionEntryError)) throw err;
      if (err.problem === 'invalid') return fail(err.message);
      l.notApplied.push(`${label}: ${err.message}; the item is not applied`);
      return [];
    }
    if (o.expire_time !== undefined && o.expire_time !== null) {
      const ms = typeof o.expire_time === 'string' ? Date.parse(o.expire_time) : Number.NaN;
      if (Number.isNaN(ms))
        return fail(`Expected \`expire_time\` to be an ISO date-time, got ${JSON.stringify(o.expire_time)}`);
      item.expiresAtMs = ms;
    }
    l.items.push(item);
    return [];
  }

  /** The items a rule's `exceptions_list` names, and what of them eqld cannot apply. */
  resolve(refs: readonly ExceptionListRef[]): ResolvedExceptions {
    const out: ResolvedExceptions = { items: [], warnings: [] };
    const done = new Set<string>();
    for (const ref of refs) {
      const key = keyOf(ref.namespaceType, ref.listId);
      if (done.has(key)) continue;
      done.add(key);
      const l = this.lists.get(key);
      if (!l) {
        out.warnings.push(
          `exception list ${quote(ref.listId)} (${ref.type}, namespace ${ref.namespaceType}) is not in the loaded files: not applied${
            ref.listId === ENDPOINT_LIST_ID
              ? ' (Kibana leaves the Endpoint exceptions list out of rule exports; export it from the exception lists page and load that file too)'
              : ''
          }`,
        );
        continue;
      }
      l.referenced = true;
      out.items.push(...l.items);
      for (const n of l.notApplied) out.warnings.push(n);
    }
    return out;
  }

  /** Lists no loaded rule referenced (their items apply to nothing). */
  unreferenced(): UnreferencedList[] {
    return [...this.lists.values()]
      .filter((l) => !l.referenced)
      .map((l) => ({
        listId: l.listId,
        namespaceType: l.namespaceType,
        path: l.path,
        line: l.line,
        items: l.items.length,
        notApplied: l.notApplied.length,
      }));
  }
}
