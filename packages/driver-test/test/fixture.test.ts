import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_OBJECT_SIZE, MemoryBacking, MemoryDriver } from '@gitty/core';
import { suiteContext, wrapFactory, type OpenFixture, type RunnerControl } from '../src/fixture.js';
import { PassThroughDriver } from '../src/pass-through-driver.js';
import type { DriverFixture, DriverSuiteOptions, TestBody } from '../src/types.js';

// The fixture decides what every suite test runs against and that it is released afterwards:
// a test that silently runs without its second driver, or a skip that reports a pass, would
// make suite results mean less than they say. So its registration is recorded and run here.

interface Registered {
  name: string;
  fn: TestBody;
  timeout?: number;
}

/** A test API that records instead of running; `skip` present only when asked. */
function recordingApi(withSkip: boolean) {
  const tests: Registered[] = [];
  const skipped: Array<{ name: string; self: unknown }> = [];
  const it = (name: string, fn: TestBody, timeout?: number) => void tests.push({ name, fn, timeout });
  if (withSkip) {
    (it as unknown as { skip: (name: string, fn: () => void) => void }).skip = function (this: unknown, name: string) {
      skipped.push({ name, self: this });
    };
  }
  return { api: { describe: () => undefined, it, expect }, tests, skipped, it };
}

/** A memory driver that logs when it is closed. */
class LoggedDriver extends MemoryDriver {
  constructor(backing: MemoryBacking, readonly label: string, readonly log: string[]) {
    super(backing);
  }
  override async close(): Promise<void> {
    this.log.push(`close ${this.label}`);
    await super.close();
  }
}

function loggedFactory(log: string[], withAnother = true): DriverSuiteOptions['factory'] {
  return async () => {
    const backing = new MemoryBacking();
    let n = 0;
    return {
      driver: new LoggedDriver(backing, 'main', log),
      openAnother: withAnother ? async () => new LoggedDriver(backing, `another ${++n}`, log) : undefined,
      cleanup: async () => void log.push('cleanup'),
      location: backing,
    };
  };
}

/** Run the one test `ctx.it` registered, as vitest would (the test context as first argument). */
async function runOnly(tests: Registered[], self: unknown = undefined, context: unknown = {}): Promise<void> {
  expect(tests.length).toBe(1);
  await (tests[0]!.fn as (this: unknown, ctx: unknown) => Promise<void>).call(self, context);
}

describe('wrapFactory', () => {
  it('wraps the driver and every other driver in a PassThroughDriver, keeping cleanup and location', async () => {
    const backing = new MemoryBacking();
    const other = new MemoryDriver(backing);
    const cleanup = async () => undefined;
    const inner: DriverFixture = { driver: new MemoryDriver(backing), openAnother: async () => other, cleanup, location: backing };
    const wrapped = await wrapFactory(async () => inner)();
    expect(wrapped.driver).toBeInstanceOf(PassThroughDriver);
    expect((wrapped.driver as PassThroughDriver).inner).toBe(inner.driver);
    const another = await wrapped.openAnother!();
    expect(another).toBeInstanceOf(PassThroughDriver);
    expect((another as PassThroughDriver).inner).toBe(other);
    expect(wrapped.cleanup).toBe(cleanup);
    expect(wrapped.location).toBe(backing);
  });

  it('gives no openAnother when the inner fixture has none', async () => {
    const wrapped = await wrapFactory(async () => ({ driver: new MemoryDriver() }))();
    expect(wrapped.openAnother).toBeUndefined();
    expect(wrapped.cleanup).toBeUndefined();
    expect(wrapped.location).toBeUndefined();
  });
});

describe('suiteContext', () => {
  it('carries the test api, options and wrapped flag, with scale at least 0.1 (default 1)', () => {
    const { api } = recordingApi(false);
    const options: DriverSuiteOptions = { name: 'x', test: api, factory: loggedFactory([]) };
    const ctx = suiteContext(options, options.factory);
    expect(ctx.test).toBe(api);
    expect(ctx.expect).toBe(expect);
    expect(ctx.options).toBe(options);
    expect(ctx.wrapped).toBe(false);
    expect(ctx.scale).toBe(1);
    expect(suiteContext({ ...options, scale: 0.01 }, options.factory, true).scale).toBe(0.1);
    expect(suiteContext({ ...options, scale: 3 }, options.factory, true).wrapped).toBe(true);
    expect(suiteContext({ ...options, scale: 3 }, options.factory).scale).toBe(3);
  });

  it('registers tests with the timeout given, 60 s by default', () => {
    const a = recordingApi(false);
    suiteContext({ name: 'x', test: a.api, factory: loggedFactory([]) }, loggedFactory([])).it('t', async () => undefined);
    expect(a.tests.map((t) => [t.name, t.timeout])).toEqual([['t', 60_000]]);
    const b = recordingApi(false);
    suiteContext({ name: 'x', test: b.api, factory: loggedFactory([]), timeout: 5 }, loggedFactory([])).it('u', async () => undefined);
    expect(b.tests.map((t) => [t.name, t.timeout])).toEqual([['u', 5]]);
    // The body's arity stays 0: jest would take a declared parameter for a done callback.
    expect(a.tests[0]!.fn.length).toBe(0);
  });

  it('skip registers a skipped test named with what is missing, on a runner that can skip', () => {
    const { api, skipped, it: apiIt } = recordingApi(true);
    suiteContext({ name: 'x', test: api, factory: loggedFactory([]) }, loggedFactory([])).skip('integrity', 'corruptObject');
    expect(skipped).toEqual([{ name: 'integrity [not run: give runDriverSuite corruptObject]', self: apiIt }]);
    // A runner without it.skip registers nothing.
    const plain = recordingApi(false);
    suiteContext({ name: 'x', test: plain.api, factory: loggedFactory([]) }, loggedFactory([])).skip('integrity', 'corruptObject');
    expect(plain.tests).toEqual([]);
  });

  it('opens a fixture per test from the given factory and closes stores, drivers and the fixture after it', async () => {
    const log: string[] = [];
    const { api, tests } = recordingApi(false);
    const ctx = suiteContext({ name: 'x', test: api, factory: async () => { throw new Error('not this one'); } }, loggedFactory(log));
    let seen: OpenFixture | undefined;
    ctx.it('t', async (fixture) => {
      seen = fixture;
      expect(fixture.canOpenAnother).toBe(true);
      expect(fixture.location).toBeInstanceOf(MemoryBacking);
      const another = await fixture.openAnother();
      expect((another as LoggedDriver).label).toBe('another 1');
      const store = await fixture.store();
      expect(store.maxObjectSize).toBe(DEFAULT_MAX_OBJECT_SIZE);
      log.push('body done');
    });
    expect(log).toEqual([]);
    await runOnly(tests);
    expect((seen!.driver as LoggedDriver).label).toBe('main');
    // The store closes its driver; then every driver is closed again (close is idempotent).
    expect(log).toEqual(['body done', 'close main', 'close main', 'close another 1', 'cleanup']);
  });

  it('store() over another driver, and with a maxObjectSize, builds that store', async () => {
    const log: string[] = [];
    const { api, tests } = recordingApi(false);
    suiteContext({ name: 'x', test: api, factory: loggedFactory(log) }, loggedFactory(log)).it('t', async (fixture) => {
      const another = await fixture.openAnother();
      const small = await fixture.store(another, { maxObjectSize: 123 });
      expect(small.maxObjectSize).toBe(123);
      await small.save('x'.repeat(123));
      await expect(small.save('x'.repeat(124))).rejects.toMatchObject({ code: 'OBJECT_TOO_LARGE' });
      log.push('body done');
    });
    await runOnly(tests);
    expect(log).toEqual(['body done', 'close another 1', 'close main', 'close another 1', 'cleanup']);
  });

  it('releases everything when the test fails, and the failure is the test result', async () => {
    const log: string[] = [];
    const { api, tests } = recordingApi(false);
    suiteContext({ name: 'x', test: api, factory: loggedFactory(log) }, loggedFactory(log)).it('t', async (fixture) => {
      await fixture.store();
      throw new Error('test failed');
    });
    await expect(runOnly(tests)).rejects.toThrow(new Error('test failed'));
    expect(log).toEqual(['close main', 'close main', 'cleanup']);
  });

  it('a factory without openAnother says so, and the test still cleans up', async () => {
    const log: string[] = [];
    const { api, tests } = recordingApi(false);
    let canOpen: boolean | undefined;
    suiteContext({ name: 'x', test: api, factory: loggedFactory(log, false) }, loggedFactory(log, false)).it('t', async (fixture) => {
      canOpen = fixture.canOpenAnother;
      await fixture.openAnother();
    });
    await expect(runOnly(tests)).rejects.toThrow(new Error('this factory has no openAnother'));
    expect(canOpen).toBe(false);
    expect(log).toEqual(['close main', 'cleanup']);
  });

  it('a fixture without cleanup closes its driver and passes', async () => {
    const log: string[] = [];
    const { api, tests } = recordingApi(false);
    const factory: DriverSuiteOptions['factory'] = async () => ({ driver: new LoggedDriver(new MemoryBacking(), 'bare', log) });
    suiteContext({ name: 'x', test: api, factory }, factory).it('t', async () => undefined);
    await runOnly(tests);
    expect(log).toEqual(['close bare']);
  });
});

describe('the runner control a test body gets', () => {
  async function skipWith(self: unknown, context: unknown): Promise<unknown> {
    const { api, tests } = recordingApi(false);
    let control: RunnerControl | undefined;
    suiteContext({ name: 'x', test: api, factory: loggedFactory([]) }, loggedFactory([])).it('t', async (_fixture, runner) => {
      control = runner;
      runner.skip('the crossProcess option');
    });
    const err = await runOnly(tests, self, context).then(() => undefined, (e: unknown) => e);
    expect(control).toBeDefined();
    return err;
  }

  const note = 'not run: give runDriverSuite the crossProcess option';

  it("uses the test context's skip (vitest), called on the context with the note", async () => {
    const calls: Array<{ self: unknown; note: string }> = [];
    const context = {
      skip(this: unknown, n: string) {
        calls.push({ self: this, note: n });
        throw new Error('vitest skip');
      },
    };
    const err = await skipWith({ skip: () => calls.push({ self: 'mocha', note: 'wrong' }) }, context);
    expect(err).toEqual(new Error('vitest skip'));
    expect(calls).toEqual([{ self: context, note }]);
  });

  it("falls back to `this.skip` (mocha) when the context has none", async () => {
    const calls: Array<{ self: unknown; note: string }> = [];
    const mocha = {
      skip(this: unknown, n: string) {
        calls.push({ self: this, note: n });
        throw new Error('mocha skip');
      },
    };
    expect(await skipWith(mocha, { skip: 'not a function' })).toEqual(new Error('mocha skip'));
    expect(calls).toEqual([{ self: mocha, note }]);
  });

  it('fails the test with the note when the runner cannot skip, or its skip returns', async () => {
    expect(await skipWith(undefined, undefined)).toEqual(new Error(`${note} (this test runner cannot skip a running test)`));
    const calls: string[] = [];
    expect(await skipWith(undefined, { skip: (n: string) => void calls.push(n) })).toEqual(
      new Error(`${note} (this test runner cannot skip a running test)`),
    );
    expect(calls).toEqual([note]);
  });
});

