import { describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { isGittyError } from '@gitty/core';
import { waitFor } from '@gitty/driver-test/harness';
import { StoreKeys } from '../src/index.js';
import type { LocalNode } from './helpers.js';
import { startSnapshotRedis } from './support/snapshot-redis.js';
import { useTestResources } from './support/test-resources.js';

const { servers, dir, proxied, node: nodeIn } = useTestResources('gitty-redis-lagging-');

function node(url: string, storeId: string): Promise<LocalNode> {
  return nodeIn(url, storeId, { blockMs: 200, commandTimeoutMs: 1_000, settleMs: 60_000 });
}

// The chaos campaign's finding (redis-rollback, seed 31): a node that had not yet seen another
// node's acknowledged update wrote over the same head in a Redis restarted from an older
// snapshot, before anyone noticed the rollback. Both writes were acknowledged; one was lost.
describe('Redis restarted from an older snapshot, a lagging node writes first', () => {
  it('refuses the lagging write until the node holding the newer acknowledged head has merged it', async () => {
    const redis = await startSnapshotRedis({ dir, servers });
    const first = redis.first;
    const storeId = 'lagging-1';
    const keys = new StoreKeys('gitty', storeId);
    const toA = await proxied(first.port);
    const toB = await proxied(first.port);
    const a = await node(toA.url, storeId);
    const b = await node(toB.url, storeId);
    const x1 = await a.store.create('x.txt', 'x one');
    await waitFor(async () => (await b.store.head('x.txt')) === x1.commit, 15_000);

    await redis.snapshot();
    // b lags: it does not see a's update before Redis goes back in time.
    toB.pause();
    const x2 = await a.store.update('x.txt', 'x two, acknowledged', { previous: x1.commit });
    // a cannot reach the restarted Redis until b has tried to write.
    toA.pause();
    const second = await redis.restartFromSnapshot();
    toB.dropConnections();
    toB.heal();

    // b still believes x.txt is at x1. Its write must not be acknowledged: Redis restarted
    // and nobody has yet checked what it lost.
    let lagging: unknown;
    await waitFor(async () => {
      try {
        await b.store.update('x.txt', 'x two, from the lagging node', { previous: x1.commit });
        lagging = 'acknowledged';
        return true;
      } catch (err) {
        lagging = err;
        // Until b has reconnected its writes fail for that reason; the refusal we want is the settling one.
        return !isGittyError(err, 'REDIS_UNAVAILABLE') || /lost the store/.test((err as Error).message);
      }
    }, 20_000, 100);
    expect(lagging).not.toBe('acknowledged');
    expect(isGittyError(lagging, 'REDIS_UNAVAILABLE')).toBe(true);

    // a comes back, notices the new generation and merges its acknowledged head.
    toA.dropConnections();
    toA.heal();
    const check = new Redis(second.url);
    try {
      await waitFor(async () => (await check.hget(keys.heads, 'x.txt')) === x2.commit, 20_000, 100);
    } finally {
      check.disconnect();
    }
    await waitFor(async () => (await b.store.head('x.txt')) === x2.commit, 20_000);
    expect((await a.store.history('x.txt')).history.map((c) => c.commit)).toEqual([x2.commit, x1.commit]);
  }, 90_000);
});
