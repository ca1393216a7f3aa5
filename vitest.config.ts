import { defineConfig } from 'vitest/config';

// Unit tests sit beside their modules (src/**/foo.test.ts); cross-module, golden,
// real-kernel and end-to-end tests live under test/.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2 } },
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
