// Where the shared reference data lives (Elastic's detection-rules corpus, Elastic Defend sample
// events): $EQLD_SHARED_DATA, else ../shared/data beside the checkout, else /work/shared/data.
// Suites that need it use describeShared, which skips with the reason printed when it is absent.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe } from 'vitest';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function locate(): string | undefined {
  const candidates = [
    process.env.EQLD_SHARED_DATA,
    join(REPO, '..', 'shared', 'data'),
    '/work/shared/data',
  ].filter((p): p is string => typeof p === 'string' && p.length > 0);
  return candidates.find((p) => existsSync(join(p, 'elastic-detection-rules')));
}

export const SHARED_DATA: string | undefined = locate();

/** the path of a file or directory under the shared data (throws when it is absent) */
export function sharedPath(...parts: string[]): string {
  if (!SHARED_DATA) throw new Error('shared data not found (set EQLD_SHARED_DATA)');
  return join(SHARED_DATA, ...parts);
}

export const describeShared: typeof describe = ((name: string, fn: () => void, ...rest: unknown[]) => {
  if (SHARED_DATA) return (describe as (...a: unknown[]) => void)(name, fn, ...rest);
  process.stderr.write(
    `SKIPPED (shared data not found: set EQLD_SHARED_DATA to the directory holding elastic-detection-rules): ${name}\n`,
  );
  return describe.skip(`${name} [skipped: shared data not found]`, fn);
}) as typeof describe;
