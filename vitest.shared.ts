// Shared vitest settings: tests run against each package's TypeScript source (the
// "gitty-source" export condition), so no build is needed between an edit and a test run.
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

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

/**
 * A sequencer that starts the named test files first (in that order), so none of the longest
 * starts last and runs alone: without a results cache (a fresh CI clone) vitest orders files by
 * size. `longest` holds file names without `.test.ts`.
 */
export function longestFirst(longest: readonly string[]): typeof BaseSequencer {
  return class LongestFirst extends BaseSequencer {
    override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
      const rank = (spec: TestSpecification) => {
        const at = longest.findIndex((name) => spec.moduleId.endsWith(`/test/${name}.test.ts`));
        return at < 0 ? longest.length : at;
      };
      const sorted = await super.sort(files);
      return sorted.map((spec, i) => ({ spec, i })).sort((a, b) => rank(a.spec) - rank(b.spec) || a.i - b.i).map(({ spec }) => spec);
    }
  };
}
