// What `pnpm mutation` mutates per package, which tests judge the mutants, and which packages
// the sandbox must hold (the package, those it imports, and those its tests import).
// Globs are relative to the repository root.

/** @type {Record<string, { mutate: string[]; tests: string[]; sandbox: string[] }>} */
export const mutationPackages = {
  core: {
    mutate: ['packages/core/src/**/*.ts', '!packages/core/src/index.ts'],
    // Core's own tests plus the conformance suite on the memory driver (the reference driver
    // lives in core, and the suite is what pins its contract).
    // Left out: bounded-diff.test.ts asserts wall-clock bounds (event-loop blocking under 1 s),
    // which instrumented code on a loaded machine misses, failing Stryker's initial run.
    tests: ['packages/core/test/**/*.test.ts', 'packages/driver-test/test/memory-driver.test.ts', '!packages/core/test/bounded-diff.test.ts'],
    sandbox: ['packages/core', 'packages/driver-test'],
  },
  'driver-files': {
    mutate: ['packages/driver-files/src/**/*.ts', '!packages/driver-files/src/index.ts', '!packages/driver-files/src/test-hooks.ts'],
    // The fast in-process tests. Left out: the conformance suite, multi-process and crash-safety
    // tests (their children load the unmutated package through tsx, so they cannot kill a
    // mutant and would only add minutes per mutant).
    tests: [
      'packages/driver-files/test/**/*.test.ts',
      '!packages/driver-files/test/conformance.test.ts',
      '!packages/driver-files/test/multi-process.test.ts',
      '!packages/driver-files/test/crash-safety.test.ts',
    ],
    sandbox: ['packages/core', 'packages/driver-test', 'packages/driver-files'],
  },
};
