// The only file in src/rules that touches the EQL engine (src/eql): the engine's types the rule
// layer uses, and the engine itself as an injectable value (CLI runners and tests may pass their
// own).
import {
  type CompiledQuery,
  compileQuery,
  compileStatement,
  createMatcher,
  type Matcher,
  type MatcherLimits,
} from '../eql/index.js';

export type { CompiledQuery, EqlEvent, Expr, Match, Matcher, Statement } from '../eql/index.js';
/** compiles a parsed statement (rule coverage evaluates parts of a rule's condition with it) */
export { compileStatement };

export type CompileFn = (text: string) => CompiledQuery;
export type MatcherFactory = (cq: CompiledQuery) => Matcher;

export interface EqlEngine {
  compileQuery: CompileFn;
  createMatcher: (cq: CompiledQuery, limits?: MatcherLimits) => Matcher;
}

export const eqlEngine: EqlEngine = { compileQuery, createMatcher };
