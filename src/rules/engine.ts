// The only file in src/rules that touches the EQL engine (src/eql): the types the rule layer needs
// and loadEngine(), which imports the engine at run time. The engine is written in parallel and
// may be absent from a build; then loadEngine() rejects with EngineUnavailableError and callers
// say so, instead of the whole agent failing to load. The types mirror src/eql's published API
// (parseQuery / compileQuery / createMatcher); once src/eql is stable they should be re-exported
// from it and this indirection replaced by a static import.

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

export interface EqlEngine {
  compileQuery: CompileFn;
  createMatcher: (cq: CompiledQuery, limits?: unknown) => Matcher;
}

export class EngineUnavailableError extends Error {
  override readonly name = 'EngineUnavailableError';
}

let engine: Promise<EqlEngine> | undefined;

/** Imports src/eql once; rejects with EngineUnavailableError when it is missing or incomplete. */
export function loadEngine(): Promise<EqlEngine> {
  // a variable specifier: the module is resolved at run time, so a build without src/eql compiles
  const specifier = '../eql/index.js';
  engine ??= (import(specifier) as Promise<Partial<EqlEngine>>).then(
    (m) => {
      if (typeof m.compileQuery !== 'function' || typeof m.createMatcher !== 'function') {
        throw new EngineUnavailableError(
          'EQL engine (src/eql/index) does not export compileQuery and createMatcher',
        );
      }
      return { compileQuery: m.compileQuery, createMatcher: m.createMatcher };
    },
    (err: unknown) => {
      throw new EngineUnavailableError(
        `EQL engine (src/eql) is not in this build: ${(err as Error).message}`,
        { cause: err },
      );
    },
  );
  return engine;
}
