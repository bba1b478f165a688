import { describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startRedisServer, startTcpProxy, waitFor } from '@gitty/driver-test/harness';
import { StoreKeys } from '../src/index.js';
import type { LocalNode } from './helpers.js';
import { useTestResources } from './support/test-resources.js';

const { proxies, servers, node: nodeIn } = useTestResources('gitty-redis-merge-');

function node(url: string, storeId: string): Promise<LocalNode> {
  return nodeIn(url, storeId, { blockMs: 200, commandTimeoutMs: 1_000 });
}

// The chaos campaign's finding (redis over sqlite, seed 599189809): after Redis lost the store,
// a node kept a file that the other nodes had seen deleted. Its merge lost against the newer
// tombstone, but Redis's heads did not change, so no stream entry ever told the node.
describe('a node whose merge loses against a newer state already in Redis', () => {
  it('adopts what Redis kept instead of keeping its older head forever', async () => {
    const redis = await startRedisServer();
    servers.push(redis);
    const storeId = 'merge-loses-1';
    const keys = new StoreKeys('gitty', storeId);
    const toB = await startTcpProxy(redis.port);
    proxies.push(toB);
    const a = await node(redis.url, storeId);
    const b = await node(toB.url, storeId);
    const created = await a.store.create('f1.txt', 'one');
    await waitFor(async () => (await b.store.head('f1.txt')) === created.commit, 15_000);

    // b lags: it misses the delete, then Redis loses everything.
    toB.pause();
    await a.store.delete('f1.txt', { previous: created.commit });
    const raw = new Redis(redis.url);
    try {
      await raw.flushall();
      // a notices and merges first: Redis now holds f1.txt's tombstone (no head, so no change to announce).
      await waitFor(async () => (await raw.hget(keys.stamps, 'f1.txt')) !== null, 20_000, 50);
      expect(await raw.hget(keys.heads, 'f1.txt')).toBeNull();

      toB.dropConnections();
      toB.heal();
      // b joins the new generation (its second merge: the first was at open); its older create loses.
      await waitFor(async () => (await b.driver.stats())['redis.merges'] === 2, 20_000, 50);
      await waitFor(async () => ((await b.store.head('f1.txt')) ?? null) === null, 10_000, 50);
      expect(await raw.hget(keys.heads, 'f1.txt')).toBeNull();
    } finally {
      raw.disconnect();
    }
  }, 90_000);
});

// Same campaign, same seed, after the fix above: nodes still kept deleted files. A node took the
// new epoch (restart of its cursor) before it had read Redis's merged heads; when that read failed
// (a refused or timed-out command, a dropped link) the next sync saw "epoch unchanged" and only
// replayed the stream, which never carries what Redis already held, so the node never adopted it.
describe('a node whose read of the merged heads fails after its merge', () => {
  it('adopts them at its next sync instead of keeping the deleted file forever', async () => {
    const redis = await startRedisServer();
    servers.push(redis);
    const storeId = 'merge-adopt-fails-1';
    const keys = new StoreKeys('gitty', storeId);
    const raw = new Redis(redis.url);
    try {
      // b connects as its own ACL user, so its reads of the merged heads (HGETALL) can be refused.
      await raw.call('ACL', 'SETUSER', 'nodeb', 'on', '>secret', '~*', '&*', '+@all');
      const toB = await startTcpProxy(redis.port);
      proxies.push(toB);
      const a = await node(redis.url, storeId);
      const b = await node(`redis://nodeb:secret@127.0.0.1:${toB.port}`, storeId);
      const created = await a.store.create('f1.txt', 'one');
      await waitFor(async () => (await b.store.head('f1.txt')) === created.commit, 15_000);

      // b misses the delete, then Redis loses everything; a merges the tombstone into the new generation.
      toB.pause();
      await a.store.delete('f1.txt', { previous: created.commit });
      await raw.flushall();
      await waitFor(async () => (await raw.hget(keys.stamps, 'f1.txt')) !== null, 20_000, 50);
      const epoch = await raw.get(keys.epoch);

      // b merges (and loses), but reading Redis's merged heads is refused.
      await raw.call('ACL', 'SETUSER', 'nodeb', '-hgetall');
      toB.dropConnections();
      toB.heal();
      await waitFor(async () => ((await raw.call('ACL', 'LOG')) as unknown[]).length > 0, 20_000, 50);
      // The read works again; b must end where Redis is.
      await raw.call('ACL', 'SETUSER', 'nodeb', '+hgetall');
      await waitFor(async () => b.driver.status().epoch === epoch && !b.driver.status().stale, 20_000, 50);
      await waitFor(async () => ((await b.store.head('f1.txt')) ?? null) === null, 10_000, 50);
      expect(await raw.hget(keys.heads, 'f1.txt')).toBeNull();
    } finally {
      raw.disconnect();
    }
  }, 90_000);
});
