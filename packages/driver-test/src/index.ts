/**
 * @gitty/driver-test — the conformance suite every gitty driver runs, exported for third-party
 * drivers (call {@link runDriverSuite} with your factory and your runner's describe/it/expect),
 * the pass-through wrapper it re-runs through, and the test harness (also at `./harness`).
 * @packageDocumentation
 */
export { runDriverSuite } from './suite.js';
export { PassThroughDriver } from './pass-through-driver.js';
export type { Assertion, CrossProcessOptions, DriverFixture, DriverSuiteOptions, Expect, TestApi, TestBody } from './types.js';
export type { OpenFixture, SuiteContext } from './fixture.js';
export { collect, failsWith, pseudoRandomBytes, putBlob, putCommit, commitHead, eventually } from './util.js';
export * from './harness.js';
