import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { defaultDriverContext } from '@gitty/core';
import { runDriverSuite } from '@gitty/driver-test';
import { tempDir } from '@gitty/driver-test/harness';
import { createDriver } from '../src/index.js';

/** A fresh store folder per test; `extra` adds packs options. */
function factory(extra: Record<string, unknown> = {}) {
  return async () => {
    const { dir, remove } = await tempDir('gitty-packs-conf-');
    // No fsync of loose objects: the files driver's own suite covers durability; packs fsync regardless.
    const open = () => createDriver({ dir, durability: 'none', ...extra }, defaultDriverContext());
    return { driver: await open(), openAnother: open, cleanup: remove };
  };
}

// wrapped: false — the PassThroughDriver re-run proves the suite's composition, not this driver's; it would add a third run.
runDriverSuite({ name: 'packs', test: { describe, it, expect, beforeEach, afterEach }, factory: factory(), wrapped: false });

// The same suite with a repack between steps: every 3 new loose objects are packed, merging the
// small packs before them, so reads, deletes and enumeration run over a mix of loose and packed.
runDriverSuite({
  name: 'packs, repacking every 3 objects',
  test: { describe, it, expect, beforeEach, afterEach },
  factory: factory({ autoRepack: 3 }),
  wrapped: false,
});
