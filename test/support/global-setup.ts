// vitest global setup: probes the kernel once and hands the verdict to every test file.
import type { TestProject } from 'vitest/node';
import { probeKernel } from './kernel-probe.js';

declare module 'vitest' {
  export interface ProvidedContext {
    kernel: { ok: boolean; reason: string };
  }
}

export default function setup(project: TestProject): void {
  const kernel = probeKernel();
  if (!kernel.ok) {
    const bar = '!'.repeat(78);
    process.stderr.write(`\n${bar}\n!! REAL-KERNEL TESTS WILL BE SKIPPED: ${kernel.reason}\n${bar}\n\n`);
  }
  project.provide('kernel', kernel);
}
