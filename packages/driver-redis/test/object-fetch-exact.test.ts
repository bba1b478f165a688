import { describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { CorruptObjectError, hashObject } from '@gitty/core';
import { waitFor } from '@gitty/driver-test/harness';
import type { StoreKeys } from '../src/keys.js';
import { ObjectFetcher, type LocalObjects } from '../src/object-fetch.js';
import { blob, useFetchPeers } from './support/fetch-peers.js';

// Lazy fetch of missing objects between nodes, through a real redis-server: one peer answers
// (the claim), the bytes are verified, damaged answers are refused and counted, and each way a
// fetch ends is reported exactly.

const peers = useFetchPeers('fetch');
const { client, freshKeys } = peers;

/** A node's objects: raw bytes by hash; storeRaw verifies (here: the bytes are the blob's data). */
class Objects implements LocalObjects {
  readonly raw = new Map<string, Uint8Array>();
  stored: string[] = [];
  failStore: Error | undefined;
  async hasObject(hash: string): Promise<boolean> {
    return this.raw.has(hash);
  }
  async loadRaw(hash: string): Promise<Uint8Array | undefined> {
    return this.raw.get(hash);
  }
  async storeRaw(hash: string, raw: Uint8Array): Promise<unknown> {
    if (this.failStore) throw this.failStore;
    if (hashObject('blob', raw) !== hash) throw new CorruptObjectError(hash, 'test', 'bytes do not match');
    this.raw.set(hash, raw);
    this.stored.push(hash);
    return true;
  }
}

const node = (name: string, keys: StoreKeys, objects = new Objects(), fetchTimeoutMs?: number) => peers.node(name, keys, objects, fetchTimeoutMs);

describe('ObjectFetcher', () => {
  it('fetches an object from the one peer that has it, and stores it verified', async () => {
    const keys = freshKeys();
    const { hash, data } = blob('hello');
    const peer = await node('peer', keys);
    peer.objects.raw.set(hash, data);
    const empty = await node('empty', keys);
    const asker = await node('asker', keys);
    await waitFor(async () => (await (await client()).pubsub('NUMSUB', keys.fetchChannel))[1] === 3, 5_000);
    await asker.fetcher.fetch(hash);
    expect(Buffer.from(asker.objects.raw.get(hash)!)).toEqual(Buffer.from(data));
    expect(asker.fetcher.counters).toEqual({ fetched: 1, answered: 0, fetchRejected: 0 });
    expect(peer.fetcher.counters.answered).toBe(1);
    expect(empty.fetcher.counters.answered).toBe(0);
    const redisClient = await client();
    expect(Buffer.from((await redisClient.getBuffer(keys.objectKey(hash)))!)).toEqual(Buffer.from(data));
    expect(await redisClient.pttl(keys.objectKey(hash))).toBeGreaterThan(50_000);
    expect(await redisClient.get(keys.claimKey(hash))).toBe('peer');
  });

  it('lets only one of two peers answer', async () => {
    const keys = freshKeys();
    const { hash, data } = blob('claimed');
    const a = await node('a', keys);
    const b = await node('b', keys);
    a.objects.raw.set(hash, data);
    b.objects.raw.set(hash, data);
    const asker = await node('asker', keys);
    await asker.fetcher.fetch(hash);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(a.fetcher.counters.answered + b.fetcher.counters.answered).toBe(1);
  });

  it('shares one fetch between callers of the same hash', async () => {
    const keys = freshKeys();
    const { hash, data } = blob('shared');
    const peer = await node('peer', keys);
    peer.objects.raw.set(hash, data);
    const asker = await node('asker', keys);
    const first = asker.fetcher.fetch(hash);
    const second = asker.fetcher.fetch(hash);
    expect(second).toBe(first);
    await first;
    expect(asker.objects.stored).toEqual([hash]);
  });

  it('ends with OBJECT_UNAVAILABLE naming the deadline when nobody answers', async () => {
    const keys = freshKeys();
    const asker = await node('asker', keys, new Objects(), 400);
    const { hash } = blob('nowhere');
    await expect(asker.fetcher.fetch(hash)).rejects.toMatchObject({ code: 'OBJECT_UNAVAILABLE', message: `Object ${hash} is unavailable: no node answered within 400 ms` });
  });

  it('refuses damaged answers, counts them, and ends with CORRUPT_OBJECT', async () => {
    const keys = freshKeys();
    const { hash } = blob('the real one');
    const liar = await node('liar', keys);
    liar.objects.raw.set(hash, new TextEncoder().encode('something else'));
    const asker = await node('asker', keys, new Objects(), 3_000);
    const error = await asker.fetcher.fetch(hash).catch((err: unknown) => err);
    expect(error).toMatchObject({ code: 'CORRUPT_OBJECT', message: `Corrupt object ${hash} in Redis replication: every copy offered to this node was damaged, and no intact one came within 3000 ms` });
    expect(asker.fetcher.counters.fetchRejected).toBeGreaterThanOrEqual(1);
    expect(asker.objects.stored).toEqual([]);
  });

  it('forgets damaged copies once an intact one was stored', async () => {
    const keys = freshKeys();
    const asker = await node('asker', keys, new Objects(), 300);
    const { hash } = blob('noted');
    asker.fetcher.noteCorruptCopy(hash);
    await expect(asker.fetcher.fetch(hash)).rejects.toMatchObject({ code: 'CORRUPT_OBJECT' });
    asker.fetcher.noteIntactCopy(hash);
    await expect(asker.fetcher.fetch(hash)).rejects.toMatchObject({ code: 'OBJECT_UNAVAILABLE' });
  });

  it('says why the last attempt failed when an answer could not be kept', async () => {
    const keys = freshKeys();
    const { hash, data } = blob('unkept');
    const peer = await node('peer', keys);
    peer.objects.raw.set(hash, data);
    const objects = new Objects();
    objects.failStore = new Error('disk on fire');
    const asker = await node('asker', keys, objects, 3_000);
    await expect(asker.fetcher.fetch(hash)).rejects.toMatchObject({ code: 'OBJECT_UNAVAILABLE', message: `Object ${hash} is unavailable: the last attempt failed (disk on fire) within 3000 ms` });
  });

  it('ends a fetch under way when the node closes, and refuses when Redis is not connected', async () => {
    const keys = freshKeys();
    const asker = await node('asker', keys, new Objects(), 10_000);
    const { hash } = blob('closing');
    const pending = asker.fetcher.fetch(hash);
    await new Promise((resolve) => setTimeout(resolve, 150));
    asker.fetcher.close();
    await expect(pending).rejects.toMatchObject({ code: 'OBJECT_UNAVAILABLE', message: `Object ${hash} is unavailable: the node is closing` });
    const offline = new Redis(1, '127.0.0.1', { lazyConnect: true });
    const lonely = new ObjectFetcher(offline, offline, keys, 'lonely', new Objects(), { fetchTimeoutMs: 1_000, objectTtlMs: 1_000 });
    await expect(lonely.fetch(hash)).rejects.toMatchObject({ code: 'OBJECT_UNAVAILABLE', message: `Object ${hash} is unavailable: Redis is unavailable, so no peer can be asked` });
    offline.disconnect();
  });

  it('ignores requests it cannot or need not answer', async () => {
    const keys = freshKeys();
    const { hash, data } = blob('mine');
    const peer = await node('peer', keys);
    peer.objects.raw.set(hash, data);
    const publisher = await client();
    await publisher.publish(keys.fetchChannel, `not-a-hash asker`);
    await publisher.publish(keys.fetchChannel, `${hash} peer`);
    await publisher.publish(keys.fetchChannel, '');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(peer.fetcher.counters.answered).toBe(0);
    expect(await publisher.exists(keys.objectKey(hash))).toBe(0);
    // An answer already waiting: not written again.
    await publisher.set(keys.objectKey(hash), 'x');
    await publisher.publish(keys.fetchChannel, `${hash} other`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(peer.fetcher.counters.answered).toBe(0);
    expect(await publisher.get(keys.objectKey(hash))).toBe('x');
  });
});
