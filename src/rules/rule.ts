// The rule model: one detection rule as eqld uses it, from an Elastic detection-rules TOML file or
// from a Kibana rules export (one rule object per NDJSON line). Both carry the same rule fields
// (the TOML `[rule]` table holds Kibana's rule API fields); the fields eqld reads are typed,
// everything else is kept verbatim in `extra` (upstream adds fields over time and a loader that
// rejects them would break on every release). It does not compile the query; see load-rules.ts.

export type RuleSeverity = 'low' | 'medium' | 'high' | 'critical';

export interface ThreatRef {
  id: string;
  name: string;
  reference?: string;
}

export interface ThreatTechnique extends ThreatRef {
  subtechnique: ThreatRef[];
}

/** one `[[rule.threat]]` entry (MITRE ATT&CK framework) */
export interface RuleThreat {
  framework: string;
  tactic: ThreatRef;
  technique: ThreatTechnique[];
}

export interface RuleMetadata {
  creationDate?: string;
  updatedDate?: string;
  maturity?: string;
  deprecationDate?: string;
  integration: string[];
  /** every other [metadata] key, verbatim */
  extra: Record<string, unknown>;
}

/** One entry of a rule's `exceptions_list` (Kibana RuleExceptionList): the rule takes the items
 *  of the exception list with this list_id and namespace_type. */
export interface ExceptionListRef {
  id: string;
  listId: string;
  namespaceType: 'single' | 'agnostic';
  /** detection (shared list), rule_default (the rule's own), endpoint (Endpoint exceptions) */
  type: string;
}

export interface Rule {
  /** file the rule came from */
  path: string;
  /** 1-based line of the rule in a Kibana export (NDJSON); absent for a TOML file */
  line?: number;
  ruleId: string;
  name: string;
  description: string;
  type: string;
  language: string;
  query: string;
  /** 1-based line in the file where the query text starts (for positioned errors; a Kibana
   *  export's rule line) */
  queryLine: number;
  index: string[];
  severity: RuleSeverity;
  riskScore: number;
  threat: RuleThreat[];
  tags: string[];
  references: string[];
  author: string[];
  license?: string;
  /** "default" for building-block rules, else undefined */
  buildingBlockType?: string;
  /** the rule's own `version` (Kibana exports), else version.lock.json; never invented */
  version?: number;
  /** Kibana's `enabled`; detection-rules TOML files have none (= enabled) */
  enabled?: boolean;
  /** `exceptions_list`: the exception lists whose items keep events from this rule */
  exceptionsList: ExceptionListRef[];
  metadata: RuleMetadata;
  /** every other [rule] key, verbatim (note, setup, from, interval, max_signals,
   *  timestamp_override, filters, ...) */
  extra: Record<string, unknown>;
  /** fields a Kibana export carries that Kibana itself sets (id, created_at, updated_at,
   *  created_by, updated_by, revision, immutable, rule_source, ...), verbatim */
  kibana?: Record<string, unknown>;
}
