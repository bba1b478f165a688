import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { MemoryBacking, MemoryDriver, nodeCompression } from '@gitty/core';
import { runDriverSuite } from '@gitty/driver-test';
import { tempDir } from '@gitty/driver-test/harness';
import { PacksDriver } from '../src/packs-driver.js';

// Packs compose over any loose-object driver: here an in-memory one, repacking every 3 objects.
runDriverSuite({
  name: 'packs over memory, repacking',
  test: { describe, it, expect, beforeEach, afterEach },
  wrapped: false,
  factory: async () => {
    const { dir, remove } = await tempDir('gitty-packs-conf-');
    const backing = new MemoryBacking();
    const open = () => new PacksDriver(new MemoryDriver(backing), { dir, compression: nodeCompression, maxObjectSize: 64 * 1024 * 1024, autoRepack: 3 }).open();
    return { driver: await open(), openAnother: open, cleanup: remove };
  },
});
