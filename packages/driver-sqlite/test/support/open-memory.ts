import { join } from 'node:path';
import { openStore, type Store } from '@gitty/core';
import { IndexDb } from '../../src/index-db.js';
import { SqliteDriver } from '../../src/sqlite-driver.js';
import { LoggedMemoryDriver } from './memory-log.js';

/** A SqliteDriver over a LoggedMemoryDriver, its index in `dir`. */
export async function openOverMemory(dir: string, inner = new LoggedMemoryDriver()): Promise<{ store: Store; inner: LoggedMemoryDriver; driver: SqliteDriver }> {
  const driver = new SqliteDriver({ inner, log: inner, index: IndexDb.open(join(dir, 'index.sqlite')), throttleMs: 0 });
  await driver.open();
  return { store: await openStore(driver), inner, driver };
}
