// The rule model: one Elastic detection-rules TOML file as eqld uses it. Fields eqld reads are
// typed; everything else in [metadata] and [rule] is kept verbatim in `extra` (upstream adds
// fields over time and a loader that rejects them would break on every release).
// It does not compile the query; see compile-rule.ts.

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

export interface Rule {
  /** file the rule came from */
  path: string;
  ruleId: string;
  name: string;
  description: string;
  type: string;
  language: string;
  query: string;
  /** 1-based line in the file where the query text starts (for positioned errors) */
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
  /** from version.lock.json when present; never invented */
  version?: number;
  metadata: RuleMetadata;
  /** every other [rule] key, verbatim (note, setup, from, timestamp_override, ...) */
  extra: Record<string, unknown>;
}
