// The conformance suite's crossProcess module: opens a redis node on the fixture's store in a
// child process, against the same redis-server, with its own inner store (a fresh temporary
// directory for files, removed when the node closes).
import { defaultDriverContext, type Driver } from '@gitty/core';
import { tempDir } from '@gitty/driver-test/harness';
import { createDriver } from '../../src/index.js';
import { registerFilesDriver } from '../helpers.js';
import type { RedisLocation } from './corrupt-object.js';

export async function openDriver(location: unknown): Promise<Driver> {
  const { url, storeId, inner } = location as RedisLocation;
  if (inner === 'memory') return createDriver({ url, storeId, inner: { driver: 'memory' }, fetchTimeoutMs: 2_000 }, defaultDriverContext());
  await registerFilesDriver();
  const made = await tempDir('gitty-redis-child-');
  const driver = await createDriver({ url, storeId, inner: { driver: 'files', dir: made.dir, durability: 'none' }, fetchTimeoutMs: 2_000 }, defaultDriverContext());
  const close = driver.close.bind(driver);
  driver.close = async () => {
    await close();
    await made.remove();
  };
  return driver;
}
