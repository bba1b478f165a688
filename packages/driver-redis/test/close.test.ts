import { describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startRedisServer, startTcpProxy, waitFor } from '@gitty/driver-test/harness';
import { StoreKeys } from '../src/index.js';
import { FILES_DRIVER, innerFor, openNode, registerFilesDriver } from './helpers.js';
import { useTestResources } from './support/test-resources.js';
import { openStore } from '@gitty/core';

const { proxies, servers, dir } = useTestResources('gitty-redis-close-');
let stores = 0;

describe('close()', () => {
  it.runIf(FILES_DRIVER)('waits for a head change in flight: it completes and is in the local store after close', async () => {
    const redis = await startRedisServer();
    servers.push(redis);
    const proxy = await startTcpProxy(redis.port);
    proxies.push(proxy);
    const nDir = await dir();
    const n = await openNode({ url: proxy.url, storeId: `close-${++stores}`, inner: innerFor(nDir), stateDir: nDir });
    await n.store.create('first.txt', 'before');
    proxy.delay(400);
    const write = n.store.create('late.txt', 'in flight while the node closes');
    await waitFor(() => proxy.sentText().includes('late.txt'), 10_000, 5); // the CAS is on its way
    expect(n.driver.status().unresolved).toBe(0);
    await n.store.close();
    const commit = (await write).commit;
    await registerFilesDriver();
    const local = await openStore(innerFor(nDir) as { driver: string });
    try {
      expect(await local.head('late.txt')).toBe(commit);
    } finally {
      await local.close();
    }
  });

  it('does not wait for objects of many heads that no peer has (fetches end at close)', async () => {
    const redis = await startRedisServer();
    servers.push(redis);
    const storeId = `close-missing-${++stores}`;
    const keys = new StoreKeys('gitty', storeId);
    const n = await openNode({ url: redis.url, storeId, inner: { driver: 'memory' }, fetchTimeoutMs: 1_000, blockMs: 200 });
    await n.store.create('real.txt', 'here');
    const raw = new Redis(redis.url);
    try {
      // 80 heads whose objects nobody has, and a sequence gap that makes the node reconcile.
      for (let i = 0; i < 80; i++) await raw.hset(keys.heads, `ghost${i}.txt`, i.toString(16).padStart(40, 'a'));
      const seq = await raw.incrby(keys.seq, 5);
      await raw.xadd(keys.stream, '*', 'seq', String(seq), 'type', 'objects', 'node', 'elsewhere');
    } finally {
      raw.disconnect();
    }
    await waitFor(async () => (await n.store.driverStats())['redis.reconciles']! >= 1, 10_000);
    const started = Date.now();
    await n.store.close();
    // 80 heads, 8 fetches at a time, 1 s each, would be 10 s.
    expect(Date.now() - started).toBeLessThan(4_000);
  });
});
