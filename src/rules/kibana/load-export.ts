// Loads one Kibana export: its rules become Rules (kibana-rule.ts), its exception lists and items
// go to the pool shared by every file loaded together (exception-lists.ts), action connectors are
// skipped (eqld sends alerts through its own sinks), and the export summary is checked against
// what the file holds, so a truncated download or an export Kibana could not complete is named.
// Every problem names its line; a bad line never stops the others.
import type { Rule } from '../rule.js';
import { RuleFileError } from '../rule-error.js';
import { isTable, type Table } from '../rule-table.js';
import type { ExceptionListPool } from './exception-lists.js';
import { type KibanaLine, readKibanaExport } from './kibana-export.js';
import { ruleFromKibana } from './kibana-rule.js';

export interface LoadedExport {
  rules: Rule[];
  errors: RuleFileError[];
  warnings: RuleFileError[];
}

/** getExportDetailsNdjson: the counts Kibana wrote, against what the file holds */
const SUMMARY_COUNTS: readonly [key: string, kind: KibanaLine['kind'], what: string][] = [
  ['exported_rules_count', 'rule', 'rules'],
  ['exported_exception_list_count', 'exception_list', 'exception lists'],
  ['exported_exception_list_item_count', 'exception_list_item', 'exception list items'],
];

/** missing_* arrays of the summary: what Kibana was asked for but could not export */
const SUMMARY_MISSING: readonly [key: string, what: string][] = [
  ['missing_rules', 'rules'],
  ['missing_exception_lists', 'exception lists'],
  ['missing_exception_list_items', 'exception list items'],
];

function checkSummary(lines: readonly KibanaLine[], path: string): RuleFileError[] {
  const summaries = lines.filter((l) => l.kind === 'export_summary');
  if (summaries.length === 0) return [];
  const out: RuleFileError[] = [];
  const at = summaries[summaries.length - 1]?.line;
  for (const [key, kind, what] of SUMMARY_COUNTS) {
    const said = summaries.map((s) => s.object[key]).filter((v): v is number => typeof v === 'number');
    if (said.length === 0) continue;
    const expected = said.reduce((a, b) => a + b, 0);
    const found = lines.filter((l) => l.kind === kind).length;
    if (found !== expected)
      out.push(
        new RuleFileError(
          'export',
          path,
          `the export summary says ${expected} ${what}, the file holds ${found} (truncated or edited file?)`,
          at,
        ),
      );
  }
  for (const s of summaries)
    for (const [key, what] of SUMMARY_MISSING) {
      const missing = s.object[key];
      if (!Array.isArray(missing) || missing.length === 0) continue;
      const ids = missing.map((m: unknown) =>
        JSON.stringify(isTable(m) ? (m.rule_id ?? m.list_id ?? m.item_id ?? m.id) : m),
      );
      out.push(
        new RuleFileError(
          'export',
          path,
          `Kibana could not export ${missing.length} ${what}: ${ids.slice(0, 10).join(', ')}${ids.length > 10 ? ', …' : ''}`,
          s.line,
        ),
      );
    }
  return out;
}

export function loadKibanaExport(text: string, path: string, pool: ExceptionListPool): LoadedExport {
  const { lines, errors } = readKibanaExport(text, path);
  const out: LoadedExport = { rules: [], errors, warnings: checkSummary(lines, path) };
  for (const { kind, line, object } of lines) {
    switch (kind) {
      case 'rule':
        try {
          out.rules.push(ruleFromKibana(object as Table, path, line));
        } catch (err) {
          out.errors.push(
            err instanceof RuleFileError
              ? err
              : new RuleFileError('schema', path, String(err), line, undefined, { cause: err }),
          );
        }
        break;
      case 'exception_list': {
        const e = pool.addList(object, path, line);
        if (e) out.errors.push(e);
        break;
      }
      case 'exception_list_item':
        out.errors.push(...pool.addItem(object, path, line));
        break;
      case 'action_connector':
      case 'export_summary':
        break;
    }
  }
  return out;
}
