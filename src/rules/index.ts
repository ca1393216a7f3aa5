// Public surface of src/rules: read Elastic detection-rules TOML files and Kibana rule exports
// (with their exception lists) into compiled rules, decide which events each rule sees, and index
// them by category.

export { type CheckReport, type CheckVerdict, checkRules, formatSummary, formatVerdict } from './check.js';
export { type Coverage, ruleCoverage } from './coverage.js';
export {
  type CompiledQuery,
  type CompileFn,
  type EqlEngine,
  type EqlEvent,
  eqlEngine,
  type Match,
  type Matcher,
  type MatcherFactory,
} from './engine.js';
export {
  type EntryOperator,
  type ExceptionEntry,
  type ExceptionItem,
  parseExceptionEntry,
} from './exception-item.js';
export { getField } from './field.js';
export { eventIndexName, indexPatternMatches, ruleSeesIndex } from './index-pattern.js';
export {
  type LoadedRule,
  type LoadOptions,
  type LoadResult,
  loadRules,
  loadRuleText,
  ruleWhere,
} from './load-rules.js';
export { parseRuleFile } from './parse-rule-file.js';
export type {
  ExceptionListRef,
  Rule,
  RuleMetadata,
  RuleSeverity,
  RuleThreat,
  ThreatRef,
  ThreatTechnique,
} from './rule.js';
export { type RuleErrorKind, RuleFileError } from './rule-error.js';
export { RuleSet } from './rule-set.js';
export { findVersionLock, parseVersionLock, readVersionLock, type VersionLock } from './version-lock.js';
