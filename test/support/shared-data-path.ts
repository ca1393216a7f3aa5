// Where the shared reference data lives (Elastic's detection-rules corpus, Elastic Defend sample
// events): $EQLD_SHARED_DATA, else ../shared/data beside the checkout, else /work/shared/data.
// Free of vitest, so benchmarks can use it too; suites use shared-data.ts (describeShared).
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

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
