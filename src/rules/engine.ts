// The only file in src/rules that touches the EQL engine (src/eql): the engine's types the rule
// layer uses, and the engine itself as an injectable value (CLI runners and tests may pass their
// own).
import {
  type CompiledQuery,
  compileQuery,
  createMatcher,
  type Matcher,
  type MatcherLimits,
} from '../eql/index.js';

export type { CompiledQuery, EqlEvent, Match, Matcher } from '../eql/index.js';

export type CompileFn = (text: string) => CompiledQuery;
export type MatcherFactory = (cq: CompiledQuery) => Matcher;

export interface EqlEngine {
  compileQuery: CompileFn;
  createMatcher: (cq: CompiledQuery, limits?: MatcherLimits) => Matcher;
}

export const eqlEngine: EqlEngine = { compileQuery, createMatcher };
