import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultDriverContext } from '@gitty/core';
import { corruptLooseObject, runDriverSuite, tempDir } from '@gitty/driver-test';
import { createDriver } from '@gitty/driver-files';

runDriverSuite({
  name: 'files',
  test: { describe, it, expect, beforeEach, afterEach },
  factory: async () => {
    const { dir, remove } = await tempDir('gitty-files-');
    const open = () => createDriver({ dir, durability: 'none', pollInterval: 50 }, defaultDriverContext());
    return { driver: await open(), openAnother: open, cleanup: remove, location: { dir } };
  },
  corruptObject: (location, hash) => corruptLooseObject(path.join((location as { dir: string }).dir, 'objects'), hash),
  crossProcess: { module: fileURLToPath(new URL('./fixtures/open-files.ts', import.meta.url)) },
});
