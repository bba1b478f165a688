import { afterEach, describe, expect, it } from 'vitest';
import { isGittyError } from '@gitty/core';
import { startRedisServer, startTcpProxy, tempDir, waitFor, type RedisServer, type TcpProxy } from '@gitty/driver-test/harness';
import { innerFor, openNode, type LocalNode } from './helpers.js';

const open: LocalNode[] = [];
const proxies: TcpProxy[] = [];
const servers: RedisServer[] = [];
const dirs: Array<{ remove: () => Promise<void> }> = [];
let stores = 0;

afterEach(async () => {
  for (const node of open.splice(0)) await node.store.close();
  for (const proxy of proxies.splice(0)) await proxy.stop();
  for (const server of servers.splice(0)) await server.stop();
  for (const dir of dirs.splice(0)) await dir.remove();
});

async function node(url: string, storeId: string, extra: Record<string, unknown> = {}): Promise<LocalNode> {
  const made = await tempDir('gitty-redis-silent-');
  dirs.push(made);
  const opened = await openNode({ url, storeId, inner: innerFor(made.dir), stateDir: made.dir, ...extra });
  open.push(opened);
  return opened;
}

describe('a connection that goes silent without closing', () => {
  it('the node reports stale, reconnects once the network heals, and catches up', async () => {
    const redis = await startRedisServer();
    servers.push(redis);
    const proxy = await startTcpProxy(redis.port);
    proxies.push(proxy);
    const storeId = `silent-${++stores}`;
    const cut = await node(proxy.url, storeId, { commandTimeoutMs: 1_000, blockMs: 500 });
    const peer = await node(redis.url, storeId);
    const before = await peer.store.create('before.txt', 'seen by both');
    await waitFor(async () => (await cut.store.head('before.txt')) === before.commit);
    expect(cut.driver.status().stale).toBe(false);

    // Every connection through the proxy goes silent: no reset, no FIN, no reply.
    proxy.blackhole();
    const during = await peer.store.create('during.txt', 'written while the node is cut off');
    await waitFor(() => cut.driver.status().stale, 10_000, 50);
    await expect(cut.store.create('mine.txt', 'cannot reach Redis')).rejects.toSatisfy((err: unknown) => isGittyError(err, 'REDIS_UNAVAILABLE'));

    // New connections get through again; the silenced ones stay dead.
    proxy.heal();
    await waitFor(async () => (await cut.store.head('during.txt')) === during.commit, 20_000, 50);
    await waitFor(() => !cut.driver.status().stale, 20_000, 50);
    const mine = await cut.store.create('after.txt', 'written after the heal');
    await waitFor(async () => (await peer.store.head('after.txt')) === mine.commit, 10_000);
    // The pub/sub connection came back too: the node answers a peer's fetch. The peer's head can
    // move before its inner store has written the objects (they are held meanwhile): let the
    // writes land first, so the blob is gone from the peer for good and only a fetch brings it.
    await peer.store.rescan();
    expect(await peer.driver.inner.deleteObject(mine.data)).toBe(true);
    expect((await peer.store.get('after.txt')).text).toBe('written after the heal');
    expect((await cut.store.driverStats())['redis.answered']).toBe(1);
  });
});
