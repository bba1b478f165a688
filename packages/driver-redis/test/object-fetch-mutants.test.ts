import { describe, expect, it } from 'vitest';
import { waitFor } from '@gitty/driver-test/harness';
import type { StoreKeys } from '../src/keys.js';
import type { ObjectFetcher, LocalObjects } from '../src/object-fetch.js';
import { blob, useFetchPeers } from './support/fetch-peers.js';

// Survivors of the s5-rd mutation run in object-fetch.ts, through a real redis-server: a request
// naming no hash never reaches the local store, a peer without the object never takes the claim
// (it would keep the peer that has it from answering), and a finished fetch leaves no waiter
// entry behind (one per hash ever fetched would grow without bound).

const peers = useFetchPeers('fetch-mutants', { maxRetriesPerRequest: 0 });
const { client, freshKeys } = peers;

/** A node's objects (raw bytes by hash), recording what the fetcher asks of it. */
class Objects implements LocalObjects {
  readonly raw = new Map<string, Uint8Array>();
  readonly asked: string[] = [];
  readonly loaded: string[] = [];
  async hasObject(hash: string): Promise<boolean> {
    this.asked.push(hash);
    return this.raw.has(hash);
  }
  async loadRaw(hash: string): Promise<Uint8Array | undefined> {
    this.loaded.push(hash);
    return this.raw.get(hash);
  }
  async storeRaw(hash: string, raw: Uint8Array): Promise<unknown> {
    this.raw.set(hash, raw);
    return true;
  }
}

const node = (name: string, keys: StoreKeys, objects = new Objects(), fetchTimeoutMs?: number) => peers.node(name, keys, objects, fetchTimeoutMs);

const waiters = (fetcher: ObjectFetcher) => (fetcher as unknown as { waiters: Map<string, unknown> }).waiters;

describe('ObjectFetcher answering a peer', () => {
  it('does not ask its store about a request that names no hash (even one the store would say yes to)', async () => {
    const keys = freshKeys();
    const { hash, data } = blob('mine');
    const peer = await node('peer', keys);
    peer.objects.raw.set(hash, data);
    // A store that would answer yes: only the hash check keeps the request away from it.
    peer.objects.raw.set('not-a-hash', data);
    await waitFor(async () => (await (await client()).pubsub('NUMSUB', keys.fetchChannel))[1] === 1, 5_000, 10);
    const publisher = await client();
    await publisher.publish(keys.fetchChannel, 'not-a-hash asker');
    await publisher.publish(keys.fetchChannel, '');
    await publisher.publish(keys.fetchChannel, `${hash} asker`);
    // Messages are handled in order and each asks its store at once: once the last is answered,
    // the two before it have been turned away or asked.
    await waitFor(() => peer.fetcher.counters.answered >= 1, 5_000, 10);
    expect(peer.objects.asked).toEqual([hash]);
    expect(await publisher.exists(keys.objectKey('not-a-hash'), keys.claimKey('not-a-hash'), keys.objectKey(''), keys.claimKey(''))).toBe(0);
  });

  it('a peer without the object takes no claim', async () => {
    const keys = freshKeys();
    const missing = blob('not here');
    const { hash, data } = blob('here');
    const peer = await node('peer', keys);
    peer.objects.raw.set(hash, data);
    await waitFor(async () => (await (await client()).pubsub('NUMSUB', keys.fetchChannel))[1] === 1, 5_000, 10);
    const publisher = await client();
    await publisher.publish(keys.fetchChannel, `${missing.hash} asker`);
    await publisher.publish(keys.fetchChannel, `${hash} asker`);
    // The second request's claim and answer go out on the same connection after anything the
    // first one sent, so once it is answered Redis has seen all of the first one's commands.
    await waitFor(() => peer.fetcher.counters.answered >= 1, 5_000, 10);
    expect(await publisher.exists(keys.claimKey(missing.hash))).toBe(0);
    expect(await publisher.get(keys.claimKey(hash))).toBe('peer');
    expect(peer.objects.loaded).toEqual([hash]);
  });
});

describe('ObjectFetcher waiters', () => {
  it('keeps no waiter entry once a fetch has ended, answered or not', async () => {
    const keys = freshKeys();
    const { hash, data } = blob('fetched');
    const peer = await node('peer', keys);
    peer.objects.raw.set(hash, data);
    const asker = await node('asker', keys, new Objects(), 300);
    await waitFor(async () => (await (await client()).pubsub('NUMSUB', keys.fetchChannel))[1] === 2, 5_000, 10);
    // The first poll finds no answer (the request is not even out yet), so it waits at least once.
    await asker.fetcher.fetch(hash);
    expect(asker.objects.raw.has(hash)).toBe(true);
    expect(waiters(asker.fetcher).size).toBe(0);
    const nowhere = blob('nowhere');
    await expect(asker.fetcher.fetch(nowhere.hash)).rejects.toMatchObject({ code: 'OBJECT_UNAVAILABLE' });
    expect(waiters(asker.fetcher).size).toBe(0);
  });
});
