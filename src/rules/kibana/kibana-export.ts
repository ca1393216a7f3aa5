// Reads the NDJSON file Kibana's Security app writes with "Export rules" (and the one the shared
// exception lists page writes): one JSON object per line, sorted by Kibana as rules, then the
// exception lists the rules reference (each container followed by its items), then action
// connectors, then one export summary line (elastic/kibana x-pack/solutions/security/plugins/
// security_solution/server/lib/detection_engine/rule_management: api/rules/export_rules/route.ts,
// logic/export/get_export_by_object_ids.ts, get_export_rule_exceptions.ts,
// get_export_details_ndjson.ts; lists plugin export_exception_list_and_items.ts). Each line is
// classified by its content, not its position; a line that is not JSON or not one of these
// objects becomes a RuleFileError naming its line, and the other lines still count. It does not
// interpret rules or exception items (kibana-rule.ts, exception-lists.ts do).
import { printable } from '../printable.js';
import { RuleFileError } from '../rule-error.js';
import { isTable, type Table } from '../rule-table.js';

export type KibanaObjectKind =
  | 'rule'
  | 'exception_list'
  | 'exception_list_item'
  | 'action_connector'
  | 'export_summary';

export interface KibanaLine {
  kind: KibanaObjectKind;
  /** 1-based line in the file */
  line: number;
  object: Table;
}

export interface KibanaExport {
  lines: KibanaLine[];
  errors: RuleFileError[];
}

/** Kibana's rule types (rule_schemas.gen.ts): eqld runs `eql`, names the others as unsupported */
const RULE_TYPES = new Set([
  'eql',
  'query',
  'saved_query',
  'threshold',
  'threat_match',
  'machine_learning',
  'new_terms',
  'esql',
]);

/** ExceptionListType (kbn-securitysolution-exceptions-common exception_list_common.schema.yaml) */
const EXCEPTION_LIST_TYPES = new Set([
  'detection',
  'rule_default',
  'endpoint',
  'endpoint_trusted_apps',
  'endpoint_trusted_devices',
  'endpoint_events',
  'endpoint_host_isolation_exceptions',
  'endpoint_blocklists',
  'endpoint_custom_yara_signatures',
]);

/** What one exported object is, from its keys; undefined when it is none of Kibana's. */
export function classifyKibanaObject(o: Table): KibanaObjectKind | undefined {
  if ('exported_count' in o || 'exported_rules_count' in o || 'exported_exception_list_count' in o)
    return 'export_summary';
  if (typeof o.list_id === 'string' && (typeof o.item_id === 'string' || Array.isArray(o.entries)))
    return 'exception_list_item';
  if (typeof o.list_id === 'string' && typeof o.type === 'string' && EXCEPTION_LIST_TYPES.has(o.type))
    return 'exception_list';
  // action connectors are exported as saved objects: { id, type: "action", attributes, ... }
  if (o.type === 'action' && isTable(o.attributes)) return 'action_connector';
  if (typeof o.rule_id === 'string' || (typeof o.type === 'string' && RULE_TYPES.has(o.type))) return 'rule';
  return undefined;
}

function firstLine(text: string): string {
  const start = text.search(/\S/);
  if (start < 0) return '';
  const nl = text.indexOf('\n', start);
  return text.slice(start, nl < 0 ? undefined : nl).trim();
}

/**
 * Whether a file's text is a Kibana export. A TOML rule file cannot start with `{`, so for a file
 * named on the command line (`strict`) that is enough (a broken first line is then reported as a
 * JSON error with its number); in a directory walk the first line must also be one of Kibana's
 * objects, so a `version.lock.json` or other JSON beside the rules is left alone.
 */
export function looksLikeKibanaExport(head: string, strict: boolean): boolean {
  const line = firstLine(head);
  if (!line.startsWith('{')) return false;
  if (strict) return true;
  try {
    const o = JSON.parse(line) as unknown;
    return isTable(o) && classifyKibanaObject(o) !== undefined;
  } catch {
    return false;
  }
}

const preview = (s: string) => JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);

/** Splits an export into classified objects and per-line errors. */
export function readKibanaExport(text: string, path: string): KibanaExport {
  const out: KibanaExport = { lines: [], errors: [] };
  const rows = text.split('\n');
  for (let i = 0; i < rows.length; i++) {
    const row = (rows[i] as string).trim();
    const line = i + 1;
    if (row === '') continue;
    let o: unknown;
    try {
      o = JSON.parse(row);
    } catch (err) {
      out.errors.push(
        new RuleFileError(
          'json',
          path,
          `Expected a JSON object on this line, got ${preview(row)}: ${printable((err as Error).message)}`,
          line,
          undefined,
          { cause: err },
        ),
      );
      continue;
    }
    if (!isTable(o)) {
      out.errors.push(
        new RuleFileError('json', path, `Expected a JSON object on this line, got ${preview(row)}`, line),
      );
      continue;
    }
    const kind = classifyKibanaObject(o);
    if (kind === undefined) {
      out.errors.push(
        new RuleFileError(
          'schema',
          path,
          `Expected a rule, an exception list, an exception list item, an action connector or the export summary, got an object with keys ${Object.keys(
            o,
          )
            .slice(0, 8)
            .map((k) => JSON.stringify(k))
            .join(', ')}`,
          line,
        ),
      );
      continue;
    }
    out.lines.push({ kind, line, object: o });
  }
  return out;
}
