// The only file in src/rules that touches the EQL engine (src/eql): the types and functions the
// rule layer needs, gathered so the rest of src/rules and src/alerts name one place.
// TEMPORARY: mirrors the announced src/eql API until that module lands; then re-exports it.

export interface EqlEvent {
  doc: Record<string, unknown>;
  /** ms since epoch */
  timestamp: number;
  sequence: number;
}

export interface Match {
  joinKeys: unknown[];
  events: EqlEvent[];
}

export interface CompiledQuery {
  kind: string;
  categories: ReadonlySet<string> | 'any';
  source: string;
}

export interface Matcher {
  push(e: EqlEvent): Match[];
  advance(watermarkMs: number): void;
  stats(): unknown;
}

export type CompileFn = (text: string) => CompiledQuery;
export type MatcherFactory = (cq: CompiledQuery) => Matcher;
