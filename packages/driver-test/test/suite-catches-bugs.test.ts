import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { MemoryBacking, MemoryDriver, NotAtHeadError, type GitObject, type HeadEntry } from '@gitty/core';
import { tempDir } from '../src/harness.js';
import { JsonDirDriver } from './fixtures/json-dir-driver.js';
import { runDriverSuite, type DriverFixture, type DriverSuiteOptions, type TestBody } from '../src/index.js';

/**
 * Registers the suite with a collecting runner instead of vitest, so single suite tests can be
 * run against deliberately broken drivers: a suite that passes everything proves nothing.
 */
function collectSuite(factory: () => Promise<DriverFixture>, hooks: Partial<DriverSuiteOptions> = {}): Map<string, TestBody> {
  const tests = new Map<string, TestBody>();
  const path: string[] = [];
  runDriverSuite({
    ...hooks,
    name: 'broken',
    wrapped: false,
    test: {
      describe(name, fn) {
        path.push(name);
        fn();
        path.pop();
      },
      it(name, fn) {
        tests.set([...path.slice(1), name].join(' > '), fn);
      },
      expect,
    },
    factory,
  });
  return tests;
}

async function failureOf(Driver: new (backing: MemoryBacking) => MemoryDriver, test: string): Promise<string> {
  return failureWith(async () => {
    const backing = new MemoryBacking();
    return { driver: new Driver(backing), openAnother: async () => new Driver(backing), location: backing };
  }, test, { corruptObject: corruptInMemory });
}

/** The suite's corruptObject hook for memory stores: other (valid) content under the hash. */
async function corruptInMemory(location: unknown, hash: string): Promise<void> {
  const stored = (location as MemoryBacking).objects.get(hash);
  if (!stored) throw new Error(`no object ${hash} to corrupt`);
  stored.data = new TextEncoder().encode('something else entirely');
}

async function failureWith(factory: () => Promise<DriverFixture>, test: string, hooks: Partial<DriverSuiteOptions>): Promise<string> {
  const tests = collectSuite(factory, hooks);
  const body = tests.get(test);
  if (!body) throw new Error(`no suite test "${test}"; have: ${[...tests.keys()].join('\n')}`);
  try {
    await body();
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  return 'passed';
}

/** Checks and sets a head with an await between: two callers can both win. */
class RacyCas extends MemoryDriver {
  override async updateHead(name: string, expected: string | null, next: string | null): Promise<void> {
    const current = (await this.getHead(name)) ?? null;
    if (current !== expected) throw new NotAtHeadError(name, current, expected);
    await new Promise((resolve) => setImmediate(resolve));
    if (next === null) this.backing.heads.delete(name);
    else this.backing.heads.set(name, next);
  }
}

/** Returns what is stored without checking that it hashes to its name. */
class Unverified extends MemoryDriver {
  override async loadObject(hash: string): Promise<GitObject | undefined> {
    const found = this.backing.objects.get(hash);
    return found && { type: found.type, data: Uint8Array.from(found.data) };
  }
}

/** Keeps working after close. */
class Undying extends MemoryDriver {
  override async close(): Promise<void> {}
}

/** Ignores the ext filter. */
class NoExtFilter extends MemoryDriver {
  override async *heads(): AsyncIterable<HeadEntry> {
    yield* super.heads();
  }
}

/** Stores raw bytes without checking that they hash to their name. */
class TrustingRaw extends MemoryDriver {
  override async storeRaw(hash: string, _raw: Uint8Array): Promise<boolean> {
    return this.storeObject(hash, 'blob', new Uint8Array(0));
  }
}

/** Claims packs without implementing them. */
class Boastful extends MemoryDriver {
  override readonly capabilities = { ...new MemoryDriver().capabilities, packs: true };
}

/** Reports its own head changes to its own watchers (a Store would see them twice). */
class Echoing extends MemoryDriver {
  private readonly own = new Set<(change: { name: string; old: string | null; new: string | null }) => void>();
  override watch(listener: (change: { name: string; old: string | null; new: string | null }) => void): () => void {
    this.own.add(listener);
    const stop = super.watch(listener);
    return () => {
      this.own.delete(listener);
      stop();
    };
  }
  override async updateHead(name: string, expected: string | null, next: string | null): Promise<void> {
    await super.updateHead(name, expected, next);
    for (const listener of this.own) listener({ name, old: expected, new: next });
  }
}

describe('the suite catches broken drivers', () => {
  it('passes the reference driver on the tests used below', async () => {
    expect(await failureOf(MemoryDriver, 'heads > concurrent compare-and-swap from many async callers: exactly one winner per round')).toBe('passed');
  });

  it('a compare-and-swap that is not atomic', async () => {
    expect(await failureOf(RacyCas, 'heads > concurrent compare-and-swap from many async callers: exactly one winner per round')).toMatch(/expected \d+ to be 1/);
  });

  it('a driver that keeps working after close', async () => {
    expect(await failureOf(Undying, 'close > every call after close rejects with CLOSED')).toMatch(/storeObject: .*succeeded/);
  });

  it('heads({ ext }) that ignores ext', async () => {
    expect(await failureOf(NoExtFilter, 'heads > heads() lists each head once and heads({ ext }) only names with that extension')).not.toBe('passed');
  });

  it('storeRaw that trusts its input', async () => {
    expect(await failureOf(TrustingRaw, 'objects > rawObjects: loadRaw/storeRaw round-trip compressed bytes and storeRaw verifies the hash')).not.toBe('passed');
  });

  it('a capability declared without its methods', async () => {
    expect(await failureOf(Boastful, 'capabilities and maintenance > every declared capability comes with its methods')).toContain('repack');
  });

  it('watch that reports a driver\'s own changes', async () => {
    expect(await failureOf(Echoing, 'rescan, watch and persistence > watch: a second driver is told of the first one\'s head changes, not of its own')).not.toBe('passed');
  });

  it('a loadObject that never verifies hashes', async () => {
    const title = 'object integrity > loadObject verifies: a stored object corrupted in place is refused with CORRUPT_OBJECT, others still load';
    expect(await failureOf(MemoryDriver, title)).toBe('passed');
    expect(await failureOf(Unverified, title)).toMatch(/expected the call to fail|expected a GittyError with code CORRUPT_OBJECT/);
  });

  it('a sharedHeads driver whose compare-and-swap is atomic only within one process', async () => {
    const title = 'compare-and-swap across processes > sharedHeads and persistent: processes racing compare-and-swaps on one file lose no acknowledged update';
    const race = async (locked: boolean): Promise<string> => {
      const temp = await tempDir('gitty-suite-json-dir-');
      const location = { dir: temp.dir, locked };
      return failureWith(async () => ({ driver: new JsonDirDriver(location), location, cleanup: temp.remove }), title, {
        crossProcess: { module: fileURLToPath(new URL('./fixtures/json-dir-driver.ts', import.meta.url)) },
      });
    };
    expect(await race(true)).toBe('passed');
    expect(await race(false)).toMatch(/expected \d+ to be \d+|to deeply equal \[\]/);
  }, 120_000);
});
