// Real-kernel test gate: `describeKernel(...)` runs its suite when BPF works here and
// otherwise skips it with the reason printed, never silently.
import { describe, inject } from 'vitest';

export function kernelAvailability(): { ok: boolean; reason: string } {
  return inject('kernel');
}

export const describeKernel: typeof describe = ((name: string, fn: () => void, ...rest: unknown[]) => {
  const kernel = kernelAvailability();
  if (kernel.ok) return (describe as (...a: unknown[]) => void)(name, fn, ...rest);
  process.stderr.write(`SKIPPED (real kernel unavailable: ${kernel.reason}): ${name}\n`);
  return describe.skip(`${name} [skipped: ${kernel.reason}]`, fn);
}) as typeof describe;
