// What `pnpm mutation` mutates per package, which tests judge the mutants, and which packages
// the sandbox must hold (the package, those it imports, and those its tests import).
// Globs are relative to the repository root.

/** @type {Record<string, { mutate: string[]; tests: string[]; sandbox: string[]; gitFromCheckout?: boolean; env?: Record<string, string> }>} */
export const mutationPackages = {
  core: {
    // driver.ts holds only types.
    mutate: ['packages/core/src/**/*.ts', '!packages/core/src/index.ts', '!packages/core/src/driver.ts'],
    // Core's own tests plus the conformance suite on the memory driver (the reference driver
    // lives in core, and the suite is what pins its contract).
    // Left out: bounded-diff.test.ts asserts wall-clock bounds (event-loop blocking under 1 s),
    // which instrumented code on a loaded machine misses, failing Stryker's initial run.
    tests: ['packages/core/test/**/*.test.ts', 'packages/driver-test/test/memory-driver.test.ts', '!packages/core/test/bounded-diff.test.ts'],
    sandbox: ['packages/core', 'packages/driver-test'],
  },
  'driver-files': {
    mutate: ['packages/driver-files/src/**/*.ts', '!packages/driver-files/src/index.ts', '!packages/driver-files/src/swish/index.ts', '!packages/driver-files/src/test-hooks.ts'],
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
  'driver-packs': {
    mutate: ['packages/driver-packs/src/**/*.ts', '!packages/driver-packs/src/index.ts', '!packages/driver-packs/src/swish/index.ts'],
    // The in-process tests. Left out: the conformance suite (its cross-process group and the
    // suite's size: minutes per mutant), and the tests that run the driver in children through
    // tsx (crash, import-crash, multiprocess, files, pack-lock) or a small-disk mount
    // (disk-full): a child loads the unmutated package, so it cannot kill a mutant.
    tests: [
      'packages/driver-packs/test/**/*.test.ts',
      '!packages/driver-packs/test/conformance.test.ts',
      '!packages/driver-packs/test/crash.test.ts',
      '!packages/driver-packs/test/import-crash.test.ts',
      '!packages/driver-packs/test/multiprocess.test.ts',
      '!packages/driver-packs/test/files.test.ts',
      '!packages/driver-packs/test/pack-lock.test.ts',
      '!packages/driver-packs/test/disk-full.test.ts',
    ],
    sandbox: ['packages/core', 'packages/driver-test', 'packages/driver-files', 'packages/driver-packs'],
  },
  'driver-sqlite': {
    // head-log-port.ts holds only types.
    mutate: ['packages/driver-sqlite/src/**/*.ts', '!packages/driver-sqlite/src/index.ts', '!packages/driver-sqlite/src/head-log-port.ts'],
    // Left out: the conformance suite (as for driver-packs), compaction, rebuild-race and
    // two-processes (their writers run in tsx children: test/fixtures/writer.ts), open-100k (a
    // 100k-object store: minutes per mutant). late-packs stays: only its repacker is a child,
    // the store under test is in-process.
    tests: [
      'packages/driver-sqlite/test/**/*.test.ts',
      '!packages/driver-sqlite/test/conformance.test.ts',
      '!packages/driver-sqlite/test/compaction.test.ts',
      '!packages/driver-sqlite/test/rebuild-race.test.ts',
      '!packages/driver-sqlite/test/two-processes.test.ts',
      '!packages/driver-sqlite/test/open-100k.test.ts',
    ],
    sandbox: ['packages/core', 'packages/driver-test', 'packages/driver-files', 'packages/driver-packs', 'packages/driver-sqlite'],
  },
  'driver-redis': {
    mutate: ['packages/driver-redis/src/**/*.ts', '!packages/driver-redis/src/index.ts'],
    // The tests whose nodes live in the test process (each starts its own redis-server).
    // Left out: the conformance suite (as for driver-packs), and the tests that run nodes as tsx
    // children (node-process.ts: clock-ahead, killed-writer, node-failures, restarts,
    // three-nodes) or a sentinel failover (sentinel): those nodes load the unmutated package.
    tests: [
      'packages/driver-redis/test/**/*.test.ts',
      '!packages/driver-redis/test/conformance.test.ts',
      '!packages/driver-redis/test/clock-ahead.test.ts',
      '!packages/driver-redis/test/killed-writer.test.ts',
      '!packages/driver-redis/test/node-failures.test.ts',
      '!packages/driver-redis/test/restarts.test.ts',
      '!packages/driver-redis/test/three-nodes.test.ts',
      '!packages/driver-redis/test/sentinel.test.ts',
    ],
    sandbox: ['packages/core', 'packages/driver-test', 'packages/driver-files', 'packages/driver-redis'],
    // test/helpers.ts asks `git ls-files` whether driver-files is committed and otherwise gives
    // the nodes memory inner stores, which lose their state on a reopen (future-stamps failed
    // Stryker's initial run). The sandbox is untracked, so its git calls read the checkout's index.
    gitFromCheckout: true,
  },
  'driver-test': {
    // The harness parts only: fixture, harness, pass-through driver, tcp proxy, sentinel and
    // swish helpers, util. Not the suite's groups (they are tests, judged by drivers), not
    // suite.ts/index.ts (wiring), types.ts (types only), cross-process-child.ts (runs in a child).
    mutate: [
      'packages/driver-test/src/*.ts',
      '!packages/driver-test/src/index.ts',
      '!packages/driver-test/src/suite.ts',
      '!packages/driver-test/src/types.ts',
      '!packages/driver-test/src/cross-process-child.ts',
    ],
    // The suite on the memory driver (uses the fixture, harness and pass-through driver) and the
    // suite's self-test (broken drivers it must catch).
    tests: ['packages/driver-test/test/**/*.test.ts'],
    // driver-files: swish-helpers.test.ts unpacks the SWISH fixture kept there (swish.ts's fixtureArchive).
    sandbox: ['packages/core', 'packages/driver-test', 'packages/driver-files'],
  },
  cli: {
    mutate: ['apps/cli/src/**/*.ts', '!apps/cli/src/index.ts', '!apps/cli/src/main.ts', '!apps/cli/src/commands/index.ts'],
    // Every CLI test: `gitty()` (test/cli-process.ts) runs the commands in the test process
    // through runCli, so they judge the mutated code. The few runs that need a real process
    // (gittyProcess, startGitty: cwd, signals, a pty, resource limits) load the unmutated
    // source through tsx and cannot kill a mutant; they stay because they share files with
    // in-process tests.
    tests: ['apps/cli/test/**/*.test.ts'],
    sandbox: ['packages/core', 'packages/driver-test', 'packages/driver-files', 'packages/driver-packs', 'packages/driver-sqlite', 'packages/driver-redis', 'apps/server', 'apps/cli'],
  },
  server: {
    // schemas.ts: every schema is `{…} as const`, and Stryker mutates nothing inside an `as`
    // expression (0 mutants); schemas-exact.test.ts pins them against a written-out copy.
    mutate: ['apps/server/src/**/*.ts', '!apps/server/src/index.ts', '!apps/server/src/main.ts', '!apps/server/src/schemas.ts'],
    // The tests start the server in-process (test/helpers.ts `startServer`). Left out: the
    // browser tests (Chromium; minutes per mutant), load.test.ts (20 s of load), and the tests
    // that start the server as a tsx child (host-access, shared-dir) or run an external linter
    // on the spec (openapi-lint), and diff-cost.test.ts: it asserts wall-clock bounds (/healthz
    // answers within 1.5 s during a big diff), which instrumented code on a loaded machine missed
    // (2.1 s), failing Stryker's initial run.
    tests: [
      'apps/server/test/**/*.test.ts',
      '!apps/server/test/browser*.test.ts',
      '!apps/server/test/load.test.ts',
      '!apps/server/test/host-access.test.ts',
      '!apps/server/test/shared-dir.test.ts',
      '!apps/server/test/openapi-lint.test.ts',
      '!apps/server/test/diff-cost.test.ts',
    ],
    sandbox: ['packages/core', 'packages/driver-test', 'packages/driver-files', 'packages/driver-packs', 'packages/driver-sqlite', 'packages/driver-redis', 'apps/server'],
    // The API tests run once per driver (memory, files, sqlite); the server's code is the same
    // over each, so mutants are judged on the memory driver alone (a third of the time).
    env: { GITTY_SERVER_TEST_DRIVERS: 'memory' },
  },
};
