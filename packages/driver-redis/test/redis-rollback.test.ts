import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { isGittyError, type Store } from '@gitty/core';
import { startRedisServer, tempDir, waitFor, type RedisServer } from '@gitty/driver-test/harness';
import { StoreKeys } from '../src/index.js';
import { innerFor, openNode, type LocalNode } from './helpers.js';

const open: LocalNode[] = [];
const servers: RedisServer[] = [];
const dirs: Array<{ remove: () => Promise<void> }> = [];
let stores = 0;

afterEach(async () => {
  for (const node of open.splice(0)) await node.store.close();
  for (const server of servers.splice(0)) await server.stop();
  for (const dir of dirs.splice(0)) await dir.remove();
});

async function dir(): Promise<string> {
  const made = await tempDir('gitty-redis-rollback-');
  dirs.push(made);
  return made.dir;
}

async function node(url: string, storeId: string): Promise<LocalNode> {
  const d = await dir();
  // Both nodes are up through the rollback and writes wait for both to merge: a short settleMs only saves waiting.
  const opened = await openNode({ url, storeId, inner: innerFor(d), stateDir: d, blockMs: 200, settleMs: 300 });
  open.push(opened);
  return opened;
}

/** Retry a write while Redis is coming back (REDIS_UNAVAILABLE), as an application would. */
async function retrying<T>(write: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      return await write();
    } catch (err) {
      if (!isGittyError(err, 'REDIS_UNAVAILABLE') || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

async function waitForHead(store: Store, name: string, head: string): Promise<void> {
  await waitFor(async () => (await store.head(name)) === head, 15_000);
}

describe('Redis restarted from an older snapshot of the same epoch', () => {
  it('the nodes notice the rollback, start a new generation and merge back the lost acknowledged writes', async () => {
    const data = await dir();
    const redisArgs = ['--dir', data, '--dbfilename', 'dump.rdb'];
    const first = await startRedisServer(redisArgs);
    servers.push(first);
    const storeId = `rollback-${++stores}`;
    const keys = new StoreKeys('gitty', storeId);
    const a = await node(first.url, storeId);
    const b = await node(first.url, storeId);
    const x1 = await a.store.create('x.txt', 'x one');
    await a.store.create('y.txt', 'y one');
    await waitForHead(b.store, 'x.txt', x1.commit);

    // The snapshot Redis will come back from; then writes it will not have.
    const raw = new Redis(first.url);
    await raw.save();
    raw.disconnect();
    await copyFile(path.join(data, 'dump.rdb'), path.join(data, 'old.rdb'));
    const x2 = await a.store.update('x.txt', 'x two', { previous: x1.commit });
    const z = await a.store.create('z.txt', 'z, written after the snapshot');
    for (let i = 0; i < 5; i++) await b.store.create(`b${i}.txt`, `b ${i}`);
    await waitForHead(b.store, 'z.txt', z.commit);
    await waitForHead(a.store, 'b4.txt', (await b.store.head('b4.txt'))!);

    await first.kill();
    await copyFile(path.join(data, 'old.rdb'), path.join(data, 'dump.rdb'));
    const second = await startRedisServer(redisArgs, first.port);
    servers.push(second);
    const check = new Redis(second.url);
    try {
      // Every acknowledged head is back in Redis (merged from the nodes' stores).
      await waitFor(async () => (await check.hget(keys.heads, 'z.txt')) === z.commit && (await check.hget(keys.heads, 'x.txt')) === x2.commit, 20_000, 100);
      expect(await check.hget(keys.heads, 'b4.txt')).toBe(await a.store.head('b4.txt'));
      // And replication works again in both directions, from the right heads.
      const x3 = await retrying(() => b.store.update('x.txt', 'x three', { previous: x2.commit }));
      await waitForHead(a.store, 'x.txt', x3.commit);
      const w = await retrying(() => a.store.create('w.txt', 'after the rollback'));
      await waitForHead(b.store, 'w.txt', w.commit);
      expect(await check.hget(keys.heads, 'x.txt')).toBe(x3.commit);
      expect((await b.store.history('x.txt')).history.map((c) => c.commit)).toEqual([x3.commit, x2.commit, x1.commit]);
    } finally {
      check.disconnect();
    }
  });
});
