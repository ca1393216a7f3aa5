// Gate for suites that need the EQL engine (src/eql, written in parallel): they run when it loads
// and otherwise skip with the reason printed, never silently (like describeKernel).
import { describe } from 'vitest';
import { type CompiledQuery, type EqlEngine, loadEngine } from '../../src/rules/engine.js';

const loaded: { engine?: EqlEngine; reason?: string } = await loadEngine().then(
  (engine) => ({ engine }),
  (err: unknown) => ({ reason: (err as Error).message }),
);

function engine(): EqlEngine {
  if (!loaded.engine) throw new Error(`EQL engine unavailable: ${loaded.reason}`);
  return loaded.engine;
}

/** lazily bound, so a skipped suite can still be collected */
export const compileQuery = (text: string): CompiledQuery => engine().compileQuery(text);
export const createMatcher = (cq: CompiledQuery) => engine().createMatcher(cq);

export const describeEngine: typeof describe = ((name: string, fn: () => void, ...rest: unknown[]) => {
  if (loaded.engine) return (describe as (...a: unknown[]) => void)(name, fn, ...rest);
  process.stderr.write(`SKIPPED (EQL engine unavailable: ${loaded.reason}): ${name}\n`);
  return describe.skip(`${name} [skipped: EQL engine unavailable]`, fn);
}) as typeof describe;
