import type { Driver } from '@gitty/core';
import type { OpenFixture, SuiteContext } from '../fixture.js';
import { failsWith, putBlob } from '../util.js';

const TITLE = 'loadObject verifies: a stored object corrupted in place is refused with CORRUPT_OBJECT, others still load';

/** A driver that reads the store afresh (no cache of what the first one wrote), when the factory can open one. */
async function freshReader(fixture: OpenFixture): Promise<Driver> {
  return fixture.canOpenAnother ? fixture.openAnother() : fixture.driver;
}

/**
 * Stored bytes damaged behind the driver's back (a disk, a copy, a hand): `loadObject` must
 * re-hash what it reads. Runs through the suite's `corruptObject` hook, which knows where the
 * driver keeps its bytes.
 */
export function integrityTests(ctx: SuiteContext): void {
  const { test, expect, it } = ctx;
  const corrupt = ctx.options.corruptObject;
  test.describe('object integrity', () => {
    if (!corrupt) {
      ctx.skip(TITLE, 'a corruptObject hook');
      return;
    }
    it(TITLE, async (fixture) => {
      if (fixture.location === undefined) throw new Error('corruptObject needs the factory to return the store\'s location');
      const damaged = await putBlob(fixture.driver, 'the original content of a damaged object\n');
      const intact = await putBlob(fixture.driver, 'an object nobody touches\n');
      const store = await fixture.store();
      const version = await store.create('damaged.txt', 'a version whose blob gets damaged\n');
      await corrupt(fixture.location, damaged);
      await corrupt(fixture.location, version.data);

      const reader = await freshReader(fixture);
      await failsWith('CORRUPT_OBJECT', () => reader.loadObject(damaged));
      expect((await reader.loadObject(intact))?.type).toBe('blob');
      const readerStore = reader === fixture.driver ? store : await fixture.store(reader);
      await failsWith('CORRUPT_OBJECT', () => readerStore.get('damaged.txt'));
      // The commit itself is intact and still readable.
      expect((await readerStore.commit(version.commit)).data).toBe(version.data);
    });
  });
}
