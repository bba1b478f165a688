// Shared vitest settings: tests run against each package's TypeScript source (the
// "gitty-source" export condition), so no build is needed between an edit and a test run.
import { defineConfig } from 'vitest/config';

export const sharedConfig = defineConfig({
  resolve: { conditions: ['gitty-source'] },
  ssr: { resolve: { conditions: ['gitty-source'], externalConditions: ['gitty-source'] } },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
