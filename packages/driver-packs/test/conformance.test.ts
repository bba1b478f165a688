import { fileURLToPath } from 'node:url';
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { defaultDriverContext } from '@gitty/core';
import { runDriverSuite } from '@gitty/driver-test';
import { tempDir } from '@gitty/driver-test/harness';
import { createDriver } from '../src/index.js';
import { corruptPacksObject } from './support/corrupt-object.js';

/** A fresh store folder per test; `autoRepack` as the packs option. */
function factory(autoRepack = 0) {
  return async () => {
    const { dir, remove } = await tempDir('gitty-packs-conf-');
    // No fsync of loose objects: the files driver's own suite covers durability; packs fsync regardless.
    const open = () => createDriver({ dir, durability: 'none', autoRepack }, defaultDriverContext());
    return { driver: await open(), openAnother: open, cleanup: remove, location: { dir, autoRepack } };
  };
}

// Damages the loose copy and every packed entry of an object; children open the store through open-packs.ts.
const hooks = {
  corruptObject: corruptPacksObject,
  crossProcess: { module: fileURLToPath(new URL('./support/open-packs.ts', import.meta.url)) },
};

// wrapped: false — the PassThroughDriver re-run proves the suite's composition, not this driver's; it would add a third run.
runDriverSuite({ name: 'packs', test: { describe, it, expect, beforeEach, afterEach }, factory: factory(), wrapped: false, ...hooks });

// The same suite with a repack between steps: every 3 new loose objects are packed, merging the
// small packs before them, so reads, deletes and enumeration run over a mix of loose and packed
// (the integrity test then damages packed entries: its objects are packed before it corrupts them).
runDriverSuite({
  name: 'packs, repacking every 3 objects',
  test: { describe, it, expect, beforeEach, afterEach },
  factory: factory(3),
  wrapped: false,
  ...hooks,
});
