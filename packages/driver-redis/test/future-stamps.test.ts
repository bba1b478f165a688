import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startRedisServer, tempDir, waitFor } from '@gitty/driver-test/harness';
import { StoreKeys } from '../src/index.js';
import { innerFor, openNode, type LocalNode } from './helpers.js';
import { useTestResources } from './support/test-resources.js';

const { open, servers, dirs, node: nodeIn } = useTestResources('gitty-redis-future-');

function node(url: string, storeId: string): Promise<LocalNode> {
  return nodeIn(url, storeId, { blockMs: 200 });
}

// Issue 14: stream entries with a stamp beyond the current generation are refused, but Redis's
// stamps hash was adopted unchecked (a node joining, a reconcile, a merge). A stamp from a later
// generation — merged by a node of the code that numbered generations by its own clock, a day
// ahead, or forged — then outranked every later change of its name, and each node that adopted
// it ignored those changes for good. Such a stamp is now taken as `<current generation>:0`.
describe('a stamp from a later generation in Redis', () => {
  it('does not freeze the name on a node that adopts it', async () => {
    const redis = await startRedisServer();
    servers.push(redis);
    const storeId = 'future-stamp-1';
    const keys = new StoreKeys('gitty', storeId);
    const a = await node(redis.url, storeId);
    const x1 = await a.store.create('x.txt', 'x one');
    const raw = new Redis(redis.url);
    try {
      const future = '9000000000000000:7';
      await raw.hset(keys.stamps, 'x.txt', future);
      // b joins now: it adopts Redis's heads and stamps.
      const b = await node(redis.url, storeId);
      expect(await b.store.head('x.txt')).toBe(x1.commit);
      const x2 = await a.store.update('x.txt', 'x two', { previous: x1.commit });
      await waitFor(async () => (await b.store.head('x.txt')) === x2.commit, 10_000, 50);

    } finally {
      raw.disconnect();
    }
  }, 60_000);

  it('merged back by a node whose saved state holds it, is ranked in the new generation', async () => {
    const redis = await startRedisServer();
    servers.push(redis);
    const storeId = 'future-stamp-2';
    const keys = new StoreKeys('gitty', storeId);
    const made = await tempDir('gitty-redis-future-');
    dirs.push(made);
    const config = { url: redis.url, storeId, inner: innerFor(made.dir), stateDir: made.dir, blockMs: 200 };
    const a = await openNode(config);
    const x1 = await a.store.create('x.txt', 'x one');
    await a.store.close();
    // The state a node of the old code could have saved: x.txt's change stamped a day ahead.
    const file = path.join(made.dir, 'redis-replica-future-stamp-2.json');
    const state = JSON.parse(await readFile(file, 'utf8')) as { stamps: Record<string, [string, string]> };
    state.stamps['x.txt'] = [x1.commit, '9000000000000000:7'];
    await writeFile(file, JSON.stringify(state));
    const raw = new Redis(redis.url);
    try {
      await raw.flushall();
      const again = await openNode(config);
      open.push(again);
      await waitFor(async () => (await raw.hget(keys.heads, 'x.txt')) === x1.commit, 20_000, 50);
      const gen = Number((await raw.get(keys.epoch))!.split(':')[0]);
      expect(await raw.hget(keys.stamps, 'x.txt')).toBe(`${gen}:0`);
    } finally {
      raw.disconnect();
    }
  }, 60_000);
});
