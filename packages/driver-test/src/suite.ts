import { suiteContext, wrapFactory, type SuiteContext } from './fixture.js';
import { closeTests } from './groups/close.js';
import { crossProcessTests } from './groups/cross-process.js';
import { importTests } from './groups/import.js';
import { integrityTests } from './groups/integrity.js';
import { headTests } from './groups/heads.js';
import { maintenanceTests } from './groups/maintenance.js';
import { modelTests } from './groups/model.js';
import { objectTests } from './groups/objects.js';
import { sharingTests } from './groups/sharing.js';
import { storeErrorTests } from './groups/store-errors.js';
import { storeTests } from './groups/store-api.js';
import type { DriverSuiteOptions } from './types.js';

/** Every group of the suite, in the order they run. */
const GROUPS: ReadonlyArray<(ctx: SuiteContext) => void> = [
  objectTests, integrityTests, headTests, sharingTests, crossProcessTests, closeTests, storeTests, storeErrorTests, importTests, modelTests, maintenanceTests,
];

/**
 * The gitty conformance suite: registers every test for a driver with the injected runner.
 * Each test gets a fresh, empty store from `factory` and closes it afterwards. Tests of optional
 * features look only at `driver.capabilities`. Unless `wrapped: false`, the whole suite runs a
 * second time with every driver wrapped in a {@link PassThroughDriver}.
 *
 * ```ts
 * import { describe, it, expect } from 'vitest';
 * import { runDriverSuite } from '@gitty/driver-test';
 * runDriverSuite({ name: 'mine', test: { describe, it, expect }, factory: async () => ({ driver: await open() }) });
 * ```
 */
export function runDriverSuite(options: DriverSuiteOptions): void {
  const { test } = options;
  if (typeof options.factory !== 'function') throw new TypeError('runDriverSuite needs a factory function');
  if (typeof test?.describe !== 'function' || typeof test.it !== 'function' || typeof test.expect !== 'function') {
    throw new TypeError('runDriverSuite needs test: { describe, it, expect } from your test runner');
  }
  test.describe(`gitty driver conformance: ${options.name}`, () => {
    const direct = suiteContext(options, options.factory);
    for (const group of GROUPS) group(direct);
  });
  if (options.wrapped !== false) {
    test.describe(`gitty driver conformance: ${options.name} wrapped in PassThroughDriver`, () => {
      const wrapped = suiteContext(options, wrapFactory(options.factory), true);
      for (const group of GROUPS) group(wrapped);
    });
  }
}
