import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { defaultDriverContext } from '@gitty/core';
import { runDriverSuite } from '@gitty/driver-test';
import { corruptLooseObject, tempDir } from '@gitty/driver-test/harness';
import { createDriver } from '../src/factory.js';

// The real composition: loose objects and the head log of driver-files, the index in
// <dir>/index.sqlite. openAnother opens a second driver on the same folder (another process);
// crossProcess opens it in child processes for the suite's CAS race.
// durability 'none' skips fsync (crash safety is driver-files' to test) to keep the run short.
runDriverSuite({
  name: 'sqlite',
  test: { describe, it, expect, beforeEach, afterEach },
  factory: async () => {
    const temp = await tempDir('gitty-sqlite-suite-');
    const open = () => createDriver({ dir: temp.dir, throttleMs: 0, durability: 'none' }, defaultDriverContext());
    return { driver: await open(), openAnother: open, cleanup: temp.remove, location: { dir: temp.dir } };
  },
  corruptObject: (location, hash) => corruptLooseObject(path.join((location as { dir: string }).dir, 'objects'), hash),
  crossProcess: { module: fileURLToPath(new URL('./support/open-sqlite.ts', import.meta.url)) },
});
