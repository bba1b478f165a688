import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { MemoryDriver, openStore, type Store } from '@gitty/core';
import { HeadLog, storeLayout } from '@gitty/driver-files';
import type { HeadLogAccess } from '../../src/head-log-port.js';
import { IndexDb } from '../../src/index-db.js';
import { SqliteDriver } from '../../src/sqlite-driver.js';

/**
 * The real head log with an in-process lock instead of its cross-process one: this test is
 * the log's only writer, and thousands of CAS then cost no lock files.
 */
function singleProcessLog(log: HeadLog): HeadLogAccess {
  let chain: Promise<unknown> = Promise.resolve();
  return {
    file: log.file,
    readFrom: (from) => log.readFrom(from),
    append: (at, changes) => log.append(at, changes),
    withLock<T>(work: () => Promise<T>): Promise<T> {
      const result = chain.then(work);
      chain = result.catch(() => undefined);
      return result;
    },
  };
}

/**
 * A sqlite driver whose objects live in a MemoryDriver (fast to fill with thousands of files),
 * with a real head log and a real index in `dir`.
 */
export async function openOverMemory(dir: string): Promise<Store> {
  const log = new HeadLog(storeLayout(dir).headLog, { durability: 'none' });
  mkdirSync(dirname(log.file), { recursive: true });
  await log.withLock(() => log.create([]));
  const driver = new SqliteDriver({
    inner: new MemoryDriver(), log: singleProcessLog(log), index: IndexDb.open(join(dir, 'index.sqlite')), throttleMs: 0,
  });
  await driver.open();
  return openStore(driver);
}
