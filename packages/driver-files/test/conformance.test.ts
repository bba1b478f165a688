import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultDriverContext } from '@gitty/core';
import { runDriverSuite, tempDir } from '@gitty/driver-test';
import { createDriver } from '@gitty/driver-files';

runDriverSuite({
  name: 'files',
  test: { describe, it, expect, beforeEach, afterEach },
  factory: async () => {
    const { dir, remove } = await tempDir('gitty-files-');
    const open = () => createDriver({ dir, durability: 'none', pollInterval: 50 }, defaultDriverContext());
    return { driver: await open(), openAnother: open, cleanup: remove };
  },
});
