import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDriver, openStore, type StoreConfig } from '@gitty/core';
import { runDriverSuite } from '@gitty/driver-test';
import { tempDir } from '@gitty/driver-test/harness';
import { corruptExampleObject, exampleCrossProcess } from './example-driver-hooks.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** A third-party wrapper (by specifier) around a third-party driver (by specifier, under `inner`). */
function config(file: string): StoreConfig {
  return { driver: './counting-wrapper.ts', resolveFrom: here, inner: { driver: './example-driver.ts', file } };
}

// Wrapping through configs end to end: the wrapper is itself the second configuration, so the
// suite's own pass-through run is not repeated.
runDriverSuite({
  name: 'third-party wrapper over a third-party driver, both by module specifier',
  test: { describe, it, expect, beforeEach, afterEach },
  wrapped: false,
  factory: async () => {
    const { dir, remove } = await tempDir('gitty-wrapper-');
    const file = path.join(dir, 'store.json');
    const c = config(file);
    return { driver: await openDriver(c), openAnother: () => openDriver(c), cleanup: remove, location: { file } };
  },
  corruptObject: corruptExampleObject,
  // The children open the inner driver directly: the wrapper changes nothing another process does.
  crossProcess: exampleCrossProcess,
});

describe('a wrapping driver from a config', () => {
  it('adds its behaviour (counted head updates) on top of the inner driver', async () => {
    const { dir, remove } = await tempDir('gitty-wrapper-');
    const store = await openStore(config(path.join(dir, 'store.json')));
    try {
      const c = await store.create('a.pl', 'one');
      await store.update('a.pl', 'two', { previous: c.commit });
      await store.update('a.pl', 'late', { previous: c.commit }).catch(() => undefined); // NOT_AT_HEAD: not counted
      expect(await store.driverStats()).toEqual({ headUpdates: 2 });
      expect(store.driver.name).toBe('passthrough(example-json)');
      expect(store.driver.capabilities).toEqual({ persistent: true, sharedHeads: true, rawObjects: true, objectTimes: true });
    } finally {
      await store.close();
      await remove();
    }
  });
});
