// One rule object of a Kibana export -> Rule, through the mapping the TOML reader uses
// (rule-table.ts), so the same rule gives the same Rule from either file. What only an export has:
// - the fields Kibana itself sets (id, created_at/by, updated_at/by, revision, immutable,
//   rule_source, execution_summary, ...) go to `rule.kibana`, not `extra`;
// - no [metadata] table: `metadata.integration` comes from `related_integrations[].package`
//   (detection-rules builds related_integrations from that metadata);
// - `index` may be absent: with a `data_view_id` eqld cannot resolve the data view and lets the
//   rule see every event (warned by ruleFieldWarnings); with neither, Kibana's default index
//   patterns (INCLUDE_INDEX_PATTERN in security_solution/common/constants.ts) apply, as the
//   securitySolution:defaultIndex setting does when it was never changed.
import type { Rule, RuleMetadata } from '../rule.js';
import { isTable, ruleFromTable, type Table } from '../rule-table.js';

/** Fields of Kibana's RuleResponse that Kibana sets, not the rule's author (ResponseFields and
 *  the saved-object resolve fields of rule_schemas.gen.ts). */
const KIBANA_SET_FIELDS = new Set([
  'id',
  'created_at',
  'created_by',
  'updated_at',
  'updated_by',
  'revision',
  'immutable',
  'rule_source',
  'execution_summary',
  'outcome',
  'alias_target_id',
  'alias_purpose',
]);

export const KIBANA_DEFAULT_INDEX: readonly string[] = [
  'apm-*-transaction*',
  'auditbeat-*',
  'endgame-*',
  'filebeat-*',
  'logs-*',
  'packetbeat-*',
  'traces-apm*',
  'winlogbeat-*',
];

function metadataOf(o: Table): RuleMetadata {
  const packages = Array.isArray(o.related_integrations)
    ? o.related_integrations
        .map((r) => (isTable(r) && typeof r.package === 'string' ? r.package : undefined))
        .filter((p): p is string => p !== undefined)
    : [];
  return { integration: [...new Set(packages)], extra: {} };
}

const hasIndex = (o: Table) => Array.isArray(o.index) && o.index.length > 0;

/** Builds the Rule of one export line; throws RuleFileError (`unsupported`, `schema`) with the line. */
export function ruleFromKibana(o: Table, path: string, line: number): Rule {
  const fields: Table = {};
  const kibana: Table = {};
  for (const [k, v] of Object.entries(o)) (KIBANA_SET_FIELDS.has(k) ? kibana : fields)[k] = v;
  const dataView = typeof o.data_view_id === 'string' && o.data_view_id !== '' && !hasIndex(o);
  const rule = ruleFromTable(fields, metadataOf(o), {
    path,
    line,
    queryLine: line,
    prefix: '',
    defaultIndex: dataView ? ['*'] : KIBANA_DEFAULT_INDEX,
  });
  if (Object.keys(kibana).length > 0) rule.kibana = kibana;
  return rule;
}
