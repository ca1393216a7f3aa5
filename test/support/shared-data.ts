// Suites that need the shared reference data (shared-data-path.ts says where it lives) use
// describeShared, which skips with the reason printed when it is absent.
import { describe } from 'vitest';
import { SHARED_DATA } from './shared-data-path.js';

export { SHARED_DATA, sharedPath } from './shared-data-path.js';

export const describeShared: typeof describe = ((name: string, fn: () => void, ...rest: unknown[]) => {
  if (SHARED_DATA) return (describe as (...a: unknown[]) => void)(name, fn, ...rest);
  process.stderr.write(
    `SKIPPED (shared data not found: set EQLD_SHARED_DATA to the directory holding elastic-detection-rules): ${name}\n`,
  );
  return describe.skip(`${name} [skipped: shared data not found]`, fn);
}) as typeof describe;
