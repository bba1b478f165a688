import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { defaultDriverContext } from '@gitty/core';
import { runDriverSuite } from '@gitty/driver-test';
import { startRedisServer, tempDir, type RedisServer } from '@gitty/driver-test/harness';
import { createDriver } from '../src/index.js';
import { FILES_DRIVER, registerFilesDriver } from './helpers.js';

// One redis-server for the file, a fresh storeId per test; openAnother is another node (same
// storeId, its own in-memory inner store), so objects reach it only through replication.
let redis: RedisServer;
let stores = 0;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis.stop();
});

runDriverSuite({
  name: 'redis over memory',
  test: { describe, it, expect, beforeEach, afterEach },
  scale: 0.5,
  factory: async () => {
    const storeId = `conformance-${++stores}`;
    const open = () => createDriver({ url: redis.url, storeId, inner: { driver: 'memory' }, fetchTimeoutMs: 2_000 }, defaultDriverContext());
    return { driver: await open(), openAnother: open };
  },
});

// Over the files driver (persistent): each node its own directory, removed after the test.
if (FILES_DRIVER) {
  runDriverSuite({
    name: 'redis over files',
    test: { describe, it, expect, beforeEach, afterEach },
    scale: 0.5,
    wrapped: false,
    factory: async () => {
      await registerFilesDriver();
      const storeId = `conformance-files-${++stores}`;
      const dirs: Array<{ remove: () => Promise<void> }> = [];
      const open = async () => {
        const made = await tempDir('gitty-redis-conf-');
        dirs.push(made);
        return createDriver({ url: redis.url, storeId, inner: { driver: 'files', dir: made.dir }, fetchTimeoutMs: 2_000 }, defaultDriverContext());
      };
      return { driver: await open(), openAnother: open, cleanup: async () => void (await Promise.all(dirs.map((d) => d.remove()))) };
    },
  });
}
