import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { join } from 'node:path';
import { MemoryBacking } from '@gitty/core';
import { runDriverSuite } from '@gitty/driver-test';
import { tempDir } from '@gitty/driver-test/harness';
import { IndexDb } from '../src/index-db.js';
import { SqliteDriver } from '../src/sqlite-driver.js';
import { LoggedMemoryDriver, MemoryLog } from './support/memory-log.js';

// The index logic alone, over the reference driver with an in-memory head log: two drivers on
// one backing share one index file, as two processes on one store do.
runDriverSuite({
  name: 'sqlite over memory',
  test: { describe, it, expect, beforeEach, afterEach },
  wrapped: false,
  factory: async () => {
    const temp = await tempDir('gitty-sqlite-conf-');
    const backing = new MemoryBacking();
    const log = new MemoryLog();
    const open = async () => {
      const inner = new LoggedMemoryDriver(backing, log);
      const driver = new SqliteDriver({ inner, log: inner, index: IndexDb.open(join(temp.dir, 'index.sqlite')), throttleMs: 0 });
      await driver.open();
      return driver;
    };
    return { driver: await open(), openAnother: open, cleanup: temp.remove };
  },
});
