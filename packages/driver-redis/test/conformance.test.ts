import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { defaultDriverContext } from '@gitty/core';
import { runDriverSuite } from '@gitty/driver-test';
import { startRedisServer, tempDir, type RedisServer } from '@gitty/driver-test/harness';
import { createDriver, type RedisDriver } from '../src/index.js';
import { FILES_DRIVER, registerFilesDriver } from './helpers.js';
import { corruptInner, corruptInRedis, type RedisLocation } from './support/corrupt-object.js';

// One redis-server for the file, a fresh storeId per test; openAnother is another node (same
// storeId, its own in-memory inner store), so objects reach it only through replication.
let redis: RedisServer;
let stores = 0;

// Per storeId, the fixture's first node (and its loose objects folder, over files): the copy of
// an object the corruptObject hook damages besides Redis's. Not in the location, which must stay
// JSON for the crossProcess children.
const firstNodes = new Map<string, { node: RedisDriver; objects?: string }>();
const corruptObject = async (location: unknown, hash: string): Promise<void> => {
  const { url, storeId } = location as RedisLocation;
  const first = firstNodes.get(storeId);
  if (!first) throw new Error(`no first node recorded for ${storeId}`);
  await corruptInner(first.node, hash, first.objects);
  await corruptInRedis(url, first.node, hash);
};
const crossProcess = { module: fileURLToPath(new URL('./support/open-node.ts', import.meta.url)) };
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
    const driver = await open();
    firstNodes.set(storeId, { node: driver as RedisDriver });
    const location: RedisLocation = { url: redis.url, storeId, inner: 'memory' };
    return { driver, openAnother: open, location, cleanup: async () => void firstNodes.delete(storeId) };
  },
  corruptObject,
  crossProcess,
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
      const dirs: Array<{ dir: string; remove: () => Promise<void> }> = [];
      const open = async () => {
        const made = await tempDir('gitty-redis-conf-');
        dirs.push(made);
        return createDriver({ url: redis.url, storeId, inner: { driver: 'files', dir: made.dir }, fetchTimeoutMs: 2_000 }, defaultDriverContext());
      };
      const driver = await open();
      firstNodes.set(storeId, { node: driver as RedisDriver, objects: path.join(dirs[0]!.dir, 'objects') });
      const location: RedisLocation = { url: redis.url, storeId, inner: 'files' };
      const cleanup = async () => {
        firstNodes.delete(storeId);
        await Promise.all(dirs.map((d) => d.remove()));
      };
      return { driver, openAnother: open, location, cleanup };
    },
    corruptObject,
    crossProcess,
  });
}
