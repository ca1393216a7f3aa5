// Turns the text of one Elastic detection-rules TOML file into a Rule, or throws a RuleFileError
// naming the field that was wrong. Format: elastic/detection-rules `rules/**/*.toml`
// ([metadata] + [rule] tables, query as a ''' literal string, version kept in version.lock.json).
// The [rule] fields are mapped by rule-table.ts, shared with Kibana exports.
import { parse, TomlError } from 'smol-toml';
import type { Rule, RuleMetadata } from './rule.js';
import { RuleFileError } from './rule-error.js';
import { FieldReader, isTable, pickExtra, ruleFromTable, type Table } from './rule-table.js';

const METADATA_KEYS = new Set([
  'creation_date',
  'updated_date',
  'maturity',
  'deprecation_date',
  'integration',
]);

/** 1-based line where the query string's text begins (after `'''` and its trimmed newline) */
function findQueryLine(text: string): number {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => /^\s*query\s*=/.test(l));
  if (i < 0) return 1;
  const rest = (lines[i] ?? '').replace(/^\s*query\s*=\s*/, '');
  const opener = rest.slice(0, 3);
  const isMultiline = opener === "'''" || opener === '"""';
  return i + 1 + (isMultiline && rest.slice(3).trim() === '' ? 1 : 0);
}

function readMetadata(path: string, metaTable: Table): RuleMetadata {
  const m = new FieldReader({ path }, metaTable, 'metadata.');
  const metadata: RuleMetadata = {
    integration: m.strings('integration'),
    extra: pickExtra(metaTable, METADATA_KEYS),
  };
  for (const [key, prop] of [
    ['creation_date', 'creationDate'],
    ['updated_date', 'updatedDate'],
    ['maturity', 'maturity'],
    ['deprecation_date', 'deprecationDate'],
  ] as const) {
    const v = m.optString(key);
    if (v !== undefined) metadata[prop] = v;
  }
  return metadata;
}

export function parseRuleFile(text: string, path: string): Rule {
  let doc: Table;
  try {
    doc = parse(text) as Table;
  } catch (err) {
    if (err instanceof TomlError) {
      const first = err.message.split('\n')[0] ?? err.message;
      throw new RuleFileError('toml', path, first, err.line, err.column, { cause: err });
    }
    throw new RuleFileError('toml', path, String(err), undefined, undefined, { cause: err });
  }
  const ruleTable = doc.rule;
  if (!isTable(ruleTable)) throw new RuleFileError('schema', path, 'Expected a `[rule]` table, got none');
  const metadata = readMetadata(path, isTable(doc.metadata) ? doc.metadata : {});
  return ruleFromTable(ruleTable, metadata, { path, queryLine: findQueryLine(text), prefix: 'rule.' });
}
