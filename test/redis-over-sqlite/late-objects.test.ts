import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultDriverContext, openStore, type Store } from '@gitty/core';
import { createDriver, StoreKeys } from '@gitty/driver-redis';
import { run, startRedisServer, tempDir, waitFor, type RedisServer } from '@gitty/driver-test/harness';

// A redis node over the sqlite driver learns a head whose objects are not there yet (their
// short-lived keys expired while the node was down): the head reaches the sqlite index before
// its commit and blob. Once the objects arrive (fetched from a peer on the first read), the
// index must list the file and find its text, as it does for any other head.

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function node(url: string, storeId: string, dir: string): Promise<Store> {
  const driver = await createDriver({
    url, storeId, stateDir: dir, inlineMax: 1, fetchTimeoutMs: 20_000,
    inner: { driver: 'sqlite', dir: path.join(dir, 'store'), durability: 'none' },
  }, defaultDriverContext());
  return openStore(driver);
}

async function names(store: Store): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of store.files()) found.push(entry.name);
  return found;
}

describe('redis over sqlite: a head that arrives before its objects', () => {
  it('is listed and searchable once its objects are stored', async () => {
    const redis: RedisServer = await startRedisServer();
    cleanups.push(() => redis.stop());
    const storeId = 'late-objects';
    const temp = await tempDir('gitty-redis-sqlite-late-');
    cleanups.push(() => temp.remove());
    const writer = await node(redis.url, storeId, path.join(temp.dir, 'a'));
    cleanups.push(() => writer.close());
    const readerDir = path.join(temp.dir, 'b');
    const early = await writer.create('early.md', 'seen while the reader was up\n');
    let reader = await node(redis.url, storeId, readerDir);
    await waitFor(async () => (await names(reader)).includes('early.md'), 30_000, 50);
    expect(await reader.head('early.md')).toBe(early.commit);
    await reader.close();

    // While the reader is down its objects' keys expire (deleted here, as expiry would).
    const late = await writer.create('late.md', 'a needle in the late file\n');
    const keys = new StoreKeys('gitty', storeId);
    const deleted = await run('redis-cli', ['-p', String(redis.port), 'DEL', keys.objectKey(late.commit), keys.objectKey(late.data)]);
    expect(deleted.stdout.toString().trim()).toBe('2');

    reader = await node(redis.url, storeId, readerDir);
    cleanups.push(() => reader.close());
    await waitFor(async () => (await reader.head('late.md')) === late.commit, 30_000, 50);
    // The first read fetches the objects from the writer, which stores them in the reader's sqlite store.
    expect((await reader.get('late.md')).text).toBe('a needle in the late file\n');
    await waitFor(async () => (await names(reader)).includes('late.md'), 10_000, 50);
    expect(await names(reader)).toEqual(['early.md', 'late.md']);
    expect((await reader.search('needle')).map((hit) => hit.name)).toEqual(['late.md']);
  }, 120_000);
});
