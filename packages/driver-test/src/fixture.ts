import { nodeCompression, openStore, Store, type Driver, type StoreOptions } from '@gitty/core';
import { PassThroughDriver } from './pass-through-driver.js';
import type { DriverFixture, DriverSuiteOptions, Expect, TestApi } from './types.js';

/** What a suite test receives: the fixture's drivers and stores, all closed after the test. */
export interface OpenFixture {
  /** The fixture's first driver. */
  readonly driver: Driver;
  /** True when the factory can open a second driver on the same store. */
  readonly canOpenAnother: boolean;
  /** The fixture's `location` (see {@link DriverFixture.location}). */
  readonly location: unknown;
  /** A second driver on the same store (throws when the factory has no `openAnother`). */
  openAnother(): Promise<Driver>;
  /** A Store over `driver` (default: the fixture's driver); closing it closes that driver. */
  store(driver?: Driver, options?: Partial<StoreOptions>): Promise<Store>;
}

/** What a running test can ask of the test runner. */
export interface RunnerControl {
  /**
   * Report the running test as skipped for want of `missing` (a hook the caller did not give),
   * for tests that learn only from the fixture's capabilities whether they apply. Uses the
   * runner's run-time skip (vitest's test context, mocha's `this.skip`); a runner without one
   * (jest) fails the test with the same note rather than passing what did not run.
   */
  skip(missing: string): never;
}

/** The note a test that could not run carries. */
function notRun(missing: string): string {
  return `not run: give runDriverSuite ${missing}`;
}

/** Everything a test group needs to register its tests. */
export interface SuiteContext {
  readonly test: TestApi;
  readonly expect: Expect;
  readonly scale: number;
  /** The suite's options (the hooks some groups need). */
  readonly options: DriverSuiteOptions;
  /** True in the run through PassThroughDriver. */
  readonly wrapped: boolean;
  /** Register a test that cannot run for want of `missing`, as skipped when the runner can skip (`it.skip`). */
  skip(name: string, missing: string): void;
  /** Register a test that runs `body` with a fresh fixture, closed and cleaned up afterwards. */
  it(name: string, body: (fixture: OpenFixture, runner: RunnerControl) => Promise<void>): void;
}

/** The factory as the wrapped run sees it: every driver goes through a PassThroughDriver. */
export function wrapFactory(factory: DriverSuiteOptions['factory']): DriverSuiteOptions['factory'] {
  return async () => {
    const inner = await factory();
    const another = inner.openAnother;
    return {
      driver: new PassThroughDriver(inner.driver),
      openAnother: another && (async () => new PassThroughDriver(await another())),
      cleanup: inner.cleanup,
      location: inner.location,
    };
  };
}

/** Build the context that opens one fixture per test and releases it whatever the outcome. */
export function suiteContext(options: DriverSuiteOptions, factory: DriverSuiteOptions['factory'], wrapped = false): SuiteContext {
  const timeout = options.timeout ?? 60_000;
  return {
    test: options.test,
    expect: options.test.expect,
    scale: Math.max(0.1, options.scale ?? 1),
    options,
    wrapped,
    skip(name, missing) {
      const skipper = (options.test.it as { skip?: (name: string, fn: () => void) => void }).skip;
      skipper?.call(options.test.it, `${name} [${notRun(missing)}]`, () => undefined);
    },
    it(name, body) {
      // Rest parameters keep the body's arity 0, so jest does not take it for a done-callback test.
      options.test.it(name, async function (this: unknown, ...runnerArgs: unknown[]) {
        const runner = runnerControl(this, runnerArgs[0]);
        const fixture: DriverFixture = await factory();
        const drivers: Driver[] = [fixture.driver];
        const stores: Store[] = [];
        const open: OpenFixture = {
          driver: fixture.driver,
          canOpenAnother: fixture.openAnother !== undefined,
          location: fixture.location,
          async openAnother() {
            if (!fixture.openAnother) throw new Error('this factory has no openAnother');
            const driver = await fixture.openAnother();
            drivers.push(driver);
            return driver;
          },
          async store(driver = fixture.driver, storeOptions = {}) {
            const store = storeOptions.maxObjectSize === undefined
              ? await openStore(driver)
              : new Store(driver, { compression: nodeCompression, maxObjectSize: storeOptions.maxObjectSize, ...storeOptions });
            stores.push(store);
            return store;
          },
        };
        try {
          await body(open, runner);
        } finally {
          // Close everything even when the test failed; close() must be idempotent, so a
          // driver a test already closed may be closed again here.
          for (const store of stores) await store.close();
          for (const driver of drivers) await driver.close();
          await fixture.cleanup?.();
        }
      }, timeout);
    },
  };
}

/** The run-time skip of whichever runner called the test body (`self` is mocha's `this`). */
function runnerControl(self: unknown, context: unknown): RunnerControl {
  const skipOf = (holder: unknown): ((note: string) => unknown) | undefined => {
    const skip = (holder as { skip?: unknown } | null | undefined)?.skip;
    return typeof skip === 'function' ? (note: string) => (skip as (note: string) => unknown).call(holder, note) : undefined;
  };
  const skip = skipOf(context) ?? skipOf(self);
  return {
    skip(missing) {
      const note = notRun(missing);
      skip?.(note);
      // A runner whose skip returned (or that has none) must not report the test as passed.
      throw new Error(`${note} (this test runner cannot skip a running test)`);
    },
  };
}
