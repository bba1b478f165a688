import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { defaultDriverContext } from '@gitty/core';
import { runDriverSuite } from '@gitty/driver-test';
import { tempDir } from '@gitty/driver-test/harness';
import { createDriver } from '../src/factory.js';

// The real composition: loose objects and the head log of driver-files, the index in
// <dir>/index.sqlite. openAnother opens a second driver on the same folder (another process).
// durability 'none' skips fsync (crash safety is driver-files' to test) to keep the run short.
runDriverSuite({
  name: 'sqlite',
  test: { describe, it, expect, beforeEach, afterEach },
  factory: async () => {
    const temp = await tempDir('gitty-sqlite-suite-');
    const open = () => createDriver({ dir: temp.dir, throttleMs: 0, durability: 'none' }, defaultDriverContext());
    return { driver: await open(), openAnother: open, cleanup: temp.remove };
  },
});
