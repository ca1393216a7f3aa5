// The EQL engine's public surface: parse, compile and match Elasticsearch EQL over JSON events.
// It knows nothing of the collector, ECS mapping or rules; callers hand it documents.
export type * from './ast.js';
export { DEFAULT_GLOBAL_PARTIALS, PartialBudget } from './budget.js';
export { type CompiledQuery, compileQuery, compileStatement } from './compile.js';
export type { CompileOptions } from './compile-expr.js';
export { EqlError, type EqlErrorKind } from './errors.js';
export { FUNCTION_NAMES } from './functions.js';
export { createMatcher } from './matcher.js';
export { MAX_DEPTH, parseQuery } from './parser.js';
export {
  conditionPrefilter,
  type Prefilter,
  type PrefilterTerm,
  passesPrefilter,
  queryPrefilter,
} from './prefilter.js';
export { orderResults, runToEnd } from './run.js';
export type { EqlEvent, Match, Matcher, MatcherLimits, MatcherStats } from './types.js';
