import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { run, startRedisServer, tempDir, waitFor, type RedisServer } from '@gitty/driver-test/harness';
import { FILES_DRIVER, innerFor, openNode, type LocalNode } from './helpers.js';

const open: LocalNode[] = [];
const servers: RedisServer[] = [];
const cleanups: Array<() => Promise<void>> = [];
let stores = 0;

afterEach(async () => {
  for (const node of open.splice(0)) await node.store.close();
  for (const server of servers.splice(0)) await server.stop();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function dir(): Promise<string> {
  const made = await tempDir('gitty-redis-wt-');
  cleanups.push(made.remove);
  return made.dir;
}

/** A small tmpfs of its own (a real full disk without filling the machine's). */
async function smallDisk(): Promise<{ dir: string; fill: () => Promise<void>; free: () => Promise<void> }> {
  const mountPoint = await dir();
  const mounted = await run('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mountPoint]);
  if (mounted.code !== 0) throw new Error(`this test mounts a tmpfs (needs root): ${mounted.stderr}`);
  cleanups.push(async () => void (await run('umount', ['-l', mountPoint])));
  const store = path.join(mountPoint, 'store');
  await mkdir(store);
  const filler = path.join(mountPoint, 'filler');
  return {
    dir: store,
    fill: async () => void (await run('dd', ['if=/dev/zero', `of=${filler}`, 'bs=4k'])), // until ENOSPC
    free: () => rm(filler, { force: true }),
  };
}

describe('a head change that the inner store fails to write', () => {
  it.runIf(FILES_DRIVER)('(full disk) is written once space returns, and survives a restart in between', async () => {
    const redis = await startRedisServer();
    servers.push(redis);
    const storeId = `wt-${++stores}`;
    const peer = await openNode({ url: redis.url, storeId, inner: innerFor(await dir()) });
    open.push(peer);
    const disk = await smallDisk();
    const config = { url: redis.url, storeId, inner: innerFor(disk.dir), stateDir: await dir(), blockMs: 200 };
    let node = await openNode(config);
    const doc = await peer.store.create('doc.txt', 'stays');
    const gone = await peer.store.create('gone.txt', 'deleted while the disk is full');
    const later = await peer.store.create('later.txt', 'deleted while the disk is full, seen live');
    await waitFor(async () => (await node.store.head('later.txt')) === later.commit);
    await node.store.rescan();

    // The disk fills; a delete elsewhere needs no objects, only a head write, which fails.
    await disk.fill();
    await peer.store.delete('gone.txt', { previous: gone.commit });
    await waitFor(async () => (await node.store.head('gone.txt')) === undefined);
    await node.store.rescan();
    expect(await node.driver.inner.getHead('gone.txt')).toBe(gone.commit); // the fault is real
    await node.store.close();

    // Space returns while the node is down; the restarted node must not bring the file back.
    await disk.free();
    node = await openNode(config);
    open.push(node);
    await node.store.rescan();
    expect(await node.store.head('gone.txt')).toBeUndefined();
    await waitFor(async () => (await node.driver.inner.getHead('gone.txt')) === undefined, 10_000);
    expect(await node.store.head('doc.txt')).toBe(doc.commit);

    // Full again while running: the head is written once space returns, without a restart.
    await disk.fill();
    await peer.store.delete('later.txt', { previous: later.commit });
    await waitFor(async () => (await node.store.head('later.txt')) === undefined);
    await node.store.rescan();
    expect(await node.driver.inner.getHead('later.txt')).toBe(later.commit);
    await disk.free();
    await waitFor(async () => (await node.driver.inner.getHead('later.txt')) === undefined, 10_000);
  });
});
