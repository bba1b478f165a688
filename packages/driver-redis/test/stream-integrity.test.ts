import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { encodeObject, nodeCompression } from '@gitty/core';
import { startRedisServer, tempDir, waitFor, type RedisServer } from '@gitty/driver-test/harness';
import { StoreKeys } from '../src/index.js';
import { innerFor, openNode, type LocalNode } from './helpers.js';

let redis: RedisServer;
let raw: Redis;
const open: LocalNode[] = [];
const dirs: Array<{ remove: () => Promise<void> }> = [];
let stores = 0;

beforeAll(async () => {
  redis = await startRedisServer();
  raw = new Redis(redis.url);
});
afterEach(async () => {
  for (const node of open.splice(0)) await node.store.close();
  for (const dir of dirs.splice(0)) await dir.remove();
});
afterAll(async () => {
  raw.disconnect();
  await redis.stop();
});

async function nodes(count: number, extra: Record<string, unknown> = {}): Promise<{ keys: StoreKeys; nodes: LocalNode[] }> {
  const storeId = `integrity-${++stores}`;
  const list: LocalNode[] = [];
  for (let i = 0; i < count; i++) {
    const dir = await tempDir('gitty-redis-int-');
    dirs.push(dir);
    const node = await openNode({ url: redis.url, storeId, inner: innerFor(dir.dir), stateDir: dir.dir, ...extra });
    open.push(node);
    list.push(node);
  }
  return { keys: new StoreKeys('gitty', storeId), nodes: list };
}

// An entry as the CAS script would write it: the next sequence number, then the fields.
async function inject(keys: StoreKeys, fields: Array<string | Buffer>): Promise<void> {
  const seq = await raw.incr(keys.seq);
  await raw.xadd(keys.stream, '*', 'seq', String(seq), ...fields);
}

describe('stream entries that are corrupt, duplicated or malformed', () => {
  it('an announced object whose bytes do not hash to its name is rejected, never stored', async () => {
    const { keys, nodes: [a, b] } = await nodes(2);
    const honest = encodeObject('blob', Buffer.from('the real content'), nodeCompression);
    const forged = encodeObject('blob', Buffer.from('something else entirely'), nodeCompression);
    await inject(keys, ['type', 'objects', 'node', 'intruder', `o:${honest.hash}`, Buffer.from(forged.raw)]);
    await inject(keys, ['type', 'objects', 'node', 'intruder', `o:${'e'.repeat(40)}`, Buffer.from('not zlib at all')]);
    await b!.store.rescan();
    expect(await b!.driver.inner.hasObject(honest.hash)).toBe(false);
    expect(await b!.driver.inner.hasObject('e'.repeat(40))).toBe(false);
    expect((await b!.store.driverStats())['redis.rejected']).toBe(2);
    // Replication goes on after the bad entries.
    const c = await a!.store.create('after.txt', 'still replicating');
    await waitFor(async () => (await b!.store.head('after.txt')) === c.commit);
    expect((await b!.store.get('after.txt')).text).toBe('still replicating');
    expect((await b!.store.fsck()).errors).toEqual([]);
  });

  it('a copy of an applied entry is ignored, and a re-announced object is not stored again', async () => {
    const { keys, nodes: [a, b] } = await nodes(2);
    const c = await a!.store.create('dup.txt', 'once');
    await b!.store.rescan();
    expect(await b!.store.head('dup.txt')).toBe(c.commit);
    const storedAt = await b!.driver.inner.objectTime?.(c.data);
    const seen: string[] = [];
    b!.store.on('head', (e) => seen.push(e.name));
    const before = (await b!.store.driverStats())['redis.duplicates']!;
    const entries = await raw.xrangeBuffer(keys.stream, '-', '+');
    // Re-append every entry verbatim (same sequence numbers): all are duplicates.
    for (const [, fields] of entries) await raw.xadd(keys.stream, '*', ...fields);
    // And the objects once more under a fresh sequence number.
    const objects = entries.find(([, f]) => f.some((v) => v.toString() === 'objects'))!;
    const tail = objects[1].slice(objects[1].findIndex((v) => v.toString() === 'type'));
    await inject(keys, tail);
    await b!.store.rescan();
    expect((await b!.store.driverStats())['redis.duplicates']).toBeGreaterThanOrEqual(before + entries.length + 1);
    expect(seen).toEqual([]);
    if (storedAt !== undefined) expect(await b!.driver.inner.objectTime!(c.data)).toBe(storedAt);
    expect(await b!.store.head('dup.txt')).toBe(c.commit);
    expect((await b!.store.history('dup.txt')).history).toHaveLength(1);
  });

  it('malformed entries (no sequence number, bad head event) are skipped', async () => {
    const { keys, nodes: [a, b] } = await nodes(2);
    await raw.xadd(keys.stream, '*', 'type', 'head', 'name', 'ghost.txt', 'new', 'f'.repeat(40), 'stamp', '1:99');
    await inject(keys, ['type', 'head', 'name', 'bad/name', 'old', '', 'new', 'not-a-hash', 'node', 'x', 'stamp', '1:1']);
    await b!.store.rescan();
    expect(await b!.store.head('ghost.txt')).toBeUndefined();
    expect(await b!.driver.getHead('bad/name')).toBeUndefined();
    expect((await b!.store.driverStats())['redis.malformed']).toBeGreaterThanOrEqual(2);
    const c = await a!.store.create('fine.txt', 'ok');
    await b!.store.rescan();
    expect(await b!.store.head('fine.txt')).toBe(c.commit);
  });
});

describe('head entries with impossible stamps', () => {
  it('a stamp from the future (9e15:1) is rejected, so it cannot freeze a name on every node', async () => {
    const { keys, nodes: [a, b] } = await nodes(2);
    const first = await a!.store.create('frozen.txt', 'first');
    await b!.store.rescan();
    const before = (await b!.store.driverStats())['redis.malformed']!;
    await inject(keys, ['type', 'head', 'name', 'frozen.txt', 'old', first.commit, 'new', first.commit, 'node', 'x', 'stamp', '9000000000000000:1']);
    const second = await a!.store.update('frozen.txt', 'second', { previous: first.commit });
    await b!.store.rescan();
    expect(await b!.store.head('frozen.txt')).toBe(second.commit);
    expect((await b!.store.driverStats())['redis.malformed']).toBe(before + 1);
  });
});

describe('lazy fetch of missing objects', () => {
  it('a node missing an object fetches it from a peer; exactly one peer answers', async () => {
    const { nodes: [a, b, c] } = await nodes(3);
    const v = await a!.store.create('lazy.txt', 'fetched on demand');
    await b!.store.rescan();
    await c!.store.rescan();
    // b loses the blob (as if the announcement had expired before it read it).
    expect(await b!.driver.inner.deleteObject(v.data)).toBe(true);
    expect((await b!.store.get('lazy.txt')).text).toBe('fetched on demand');
    const answered = (await a!.store.driverStats())['redis.answered']! + (await c!.store.driverStats())['redis.answered']!;
    expect(answered).toBe(1);
    expect((await b!.store.driverStats())['redis.fetched']).toBe(1);
  });

  it('no node has it: OBJECT_UNAVAILABLE after the deadline', async () => {
    const { nodes: [a, b] } = await nodes(2, { fetchTimeoutMs: 400 });
    const v = await a!.store.create('gone.txt', 'nobody keeps this');
    await b!.store.rescan();
    expect(await a!.driver.inner.deleteObject(v.data)).toBe(true);
    expect(await b!.driver.inner.deleteObject(v.data)).toBe(true);
    await expect(b!.store.get('gone.txt')).rejects.toMatchObject({ code: 'OBJECT_UNAVAILABLE' });
    // An object nobody ever announced is simply absent.
    expect(await b!.driver.loadObject('0'.repeat(40))).toBeUndefined();
  });

  it('large objects travel through a short-lived key and arrive verified', async () => {
    const { nodes: [a, b] } = await nodes(2, { inlineMax: 1024 });
    const big = Buffer.alloc(300_000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7919) % 251;
    const v = await a!.store.create('big.bin', big);
    await waitFor(async () => (await b!.store.head('big.bin')) === v.commit);
    expect(await b!.driver.hasObject(v.data)).toBe(true); // held, if its inner store has not written it yet
    expect(Buffer.from((await b!.store.get('big.bin')).data).equals(big)).toBe(true);
    await b!.store.rescan();
    expect(await b!.driver.inner.hasObject(v.data)).toBe(true);
  });
});
