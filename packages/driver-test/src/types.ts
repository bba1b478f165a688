import type { Driver } from '@gitty/core';

/**
 * The few assertion methods the suite uses. vitest's and jest's `expect` satisfy it, so the
 * runner is injected and this package never imports a test framework at run time.
 */
export interface Assertion {
  toBe(expected: unknown): void;
  toEqual(expected: unknown): void;
  toBeUndefined(): void;
  toBeDefined(): void;
  toBeTruthy(): void;
  toBeFalsy(): void;
  toContain(item: unknown): void;
  toMatch(expected: string | RegExp): void;
  toHaveLength(length: number): void;
  toBeGreaterThan(n: number | bigint): void;
  toBeGreaterThanOrEqual(n: number | bigint): void;
  toBeLessThan(n: number | bigint): void;
  readonly not: Assertion;
}

/** An `expect` function: `expect(actual, message?)`. */
export type Expect = (actual: unknown, message?: string) => Assertion;

/** A test body; may be async. */
export type TestBody = () => void | Promise<void>;

/** The test runner's functions, injected by the caller (vitest's, or jest's). */
export interface TestApi {
  describe(name: string, fn: () => void): void;
  it(name: string, fn: TestBody, timeout?: number): void;
  expect: Expect;
  beforeEach?(fn: TestBody, timeout?: number): void;
  afterEach?(fn: TestBody, timeout?: number): void;
}

/** What the suite's factory returns: one fresh, empty store per call. */
export interface DriverFixture {
  /** A driver on a new, empty store. */
  driver: Driver;
  /**
   * Opens a second driver on the SAME store (another process or node). Optional: tests of
   * rescan, watch and persistence use it where it exists.
   */
  openAnother?: () => Promise<Driver>;
  /** Removes temp dirs and the like; called after every driver of the fixture is closed. */
  cleanup?: () => Promise<void>;
  /**
   * Where this store lives (e.g. `{ dir }`), handed to the suite's `corruptObject` hook and to
   * the `crossProcess` module in child processes (there it must be JSON-serialisable).
   */
  location?: unknown;
}

/** How the suite opens a fixture's store in other processes (see {@link DriverSuiteOptions.crossProcess}). */
export interface CrossProcessOptions {
  /**
   * An absolute path or `file:` URL of a module (JavaScript, or TypeScript: children run with
   * tsx) that opens a driver on the store a fixture's `location` names.
   */
  module: string;
  /** The export to call: `(location) => Promise<Driver>` (default `openDriver`). */
  exportName?: string;
}

/** Options of {@link runDriverSuite}. */
export interface DriverSuiteOptions {
  /** The driver's name, used in the suite's describe titles. */
  name: string;
  /** The test runner's `describe`, `it`, `expect` (and optionally `beforeEach`, `afterEach`). */
  test: TestApi;
  /** Opens a fresh, empty store; called once per test. */
  factory: () => Promise<DriverFixture>;
  /** Also run the whole suite through {@link PassThroughDriver} (default true). */
  wrapped?: boolean;
  /** Multiplies the size of heavier tests (large objects, concurrency rounds, property runs); default 1. */
  scale?: number;
  /** Per-test timeout in milliseconds handed to `it` (default 60,000). */
  timeout?: number;
  /**
   * Damage the stored copy of `hash` in the store at `location` (the fixture's) so that its
   * bytes no longer hash to `hash`: best, replace them with a valid encoding of other content,
   * which only re-hashing catches. With it the suite checks that `loadObject` verifies what it
   * reads; without it those tests are reported as skipped.
   */
  corruptObject?: (location: unknown, hash: string) => Promise<void>;
  /**
   * For drivers declaring `sharedHeads` and `persistent`: the suite starts child processes that
   * open the fixture's store through this module and race compare-and-swaps on one file, so a
   * driver whose CAS is atomic only within one process is caught. Without it that test is
   * reported as skipped for such drivers (at run time, once the capabilities are known); for
   * other drivers it does not apply and passes without racing.
   */
  crossProcess?: CrossProcessOptions;
}
