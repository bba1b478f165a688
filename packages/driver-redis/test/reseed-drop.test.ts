// A CAS that finds Redis on another generation re-seeds and tries again; when the connection
// drops during that re-seed, the caller must get REDIS_UNAVAILABLE, not ioredis's own error
// ("Stream isn't writeable…", "Reached the max retries per request limit…"), which the chaos
// redis-files row saw reach callers untyped.
import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startRedisServer, startTcpProxy, tempDir, waitFor, type RedisServer, type TcpProxy } from '@gitty/driver-test/harness';
import { innerFor, openNode, type LocalNode } from './helpers.js';

let server: RedisServer | undefined;
let proxy: TcpProxy | undefined;
let node: LocalNode | undefined;
let dir: { dir: string; remove: () => Promise<void> } | undefined;

afterEach(async () => {
  await node?.store.close();
  await proxy?.stop();
  await server?.stop();
  await dir?.remove();
  node = proxy = server = dir = undefined;
});

describe('a head change whose re-seed loses the connection', () => {
  it('fails with REDIS_UNAVAILABLE, and the node writes again once the connection is back', async () => {
    server = await startRedisServer();
    proxy = await startTcpProxy(server.port);
    dir = await tempDir('gitty-redis-reseed-');
    // A long blockMs: the follower's idle check must not notice the new generation first.
    node = await openNode({ url: proxy.url, storeId: 'reseed', inner: innerFor(dir.dir, 'reseed-drop', 'none'), stateDir: dir.dir, blockMs: 20_000, settleMs: 1 });
    const first = await node.store.create('a.txt', 'one');

    // Another generation in Redis (as after a data loss another node re-seeded).
    const direct = new Redis({ port: server.port, lazyConnect: true });
    await direct.connect();
    const epoch = (await direct.get(node.driver.keys.epoch))!;
    await direct.set(node.driver.keys.epoch, `${Number(epoch.split(':')[0]) + 1}:elsewhere`);
    direct.disconnect();

    const catchUp = (node.driver as unknown as { catchUp: { sync: () => Promise<void> } }).catchUp;
    const sync = catchUp.sync.bind(catchUp);
    let resyncs = 0;
    catchUp.sync = async () => {
      if (resyncs++ === 0) proxy!.dropConnections();
      return sync();
    };
    const failed = await node.store.update('a.txt', 'two', { previous: first.commit }).then(() => undefined, (err: unknown) => err);
    catchUp.sync = sync;
    expect(resyncs).toBeGreaterThanOrEqual(1);
    expect(failed).toMatchObject({ code: 'REDIS_UNAVAILABLE' });
    expect((failed as Error).message).toMatch(/re-seed/);

    // Not changed, and nothing stuck: once connected again the same change goes through.
    expect(await node.store.head('a.txt')).toBe(first.commit);
    await waitFor(async () => {
      try {
        await node!.store.update('a.txt', 'two', { previous: first.commit });
        return true;
      } catch (err) {
        if ((err as { code?: string }).code !== 'REDIS_UNAVAILABLE') throw err;
        return false;
      }
    }, 30_000, 100);
    expect(await node.store.head('a.txt')).not.toBe(first.commit);
  }, 60_000);
});
