import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Redis } from 'ioredis';
import { hashObject } from '@gitty/core';
import { startRedisServer, waitFor, type RedisServer } from '@gitty/driver-test/harness';
import { StoreKeys } from '../src/keys.js';
import { ObjectFetcher, type LocalObjects } from '../src/object-fetch.js';

// The fetcher's pace and its ends that object-fetch-exact does not reach, through a real
// redis-server: how often a request is asked again (on a clock the test steps, so the count is
// exact, not timed), a Redis that goes away during a fetch, a peer that subscribes once its
// connection comes up, and the claim's lifetime.

let redis: RedisServer;
const clients: Redis[] = [];
const fetchers: ObjectFetcher[] = [];
const restores: Array<() => void> = [];
let stores = 0;

beforeAll(async () => {
  redis = await startRedisServer();
});

afterEach(() => {
  vi.restoreAllMocks();
  for (const restore of restores.splice(0)) restore();
  for (const f of fetchers.splice(0)) f.close();
  for (const c of clients.splice(0)) c.disconnect();
});

afterAll(async () => {
  await redis.stop();
});

function client(connect = true): Promise<Redis> | Redis {
  const c = new Redis(redis.port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0 });
  c.on('error', () => undefined);
  clients.push(c);
  return connect ? c.connect().then(() => c) : c;
}

class Objects implements LocalObjects {
  readonly raw = new Map<string, Uint8Array>();
  async hasObject(hash: string): Promise<boolean> {
    return this.raw.has(hash);
  }
  async loadRaw(hash: string): Promise<Uint8Array | undefined> {
    return this.raw.get(hash);
  }
  async storeRaw(hash: string, raw: Uint8Array): Promise<unknown> {
    this.raw.set(hash, raw);
    return true;
  }
}

const keysOf = () => new StoreKeys('gitty', `fetch-timing-${process.pid}-${++stores}-${Date.now()}`);

function blob(text: string) {
  const data = new TextEncoder().encode(text);
  return { hash: hashObject('blob', data), data };
}

/** Every request published on the fetch channel, in order. */
async function listen(keys: StoreKeys): Promise<{ asks: string[]; settle: () => Promise<void> }> {
  const sub = (await client()) as Redis;
  const asks: string[] = [];
  let marks = 0;
  sub.on('message', (channel: string, message: string) => {
    if (message === 'mark') marks++;
    else if (channel === keys.fetchChannel) asks.push(message);
  });
  await sub.subscribe(keys.fetchChannel);
  const pub = (await client()) as Redis;
  return {
    asks,
    // A message published after every ask was sent arrives after them all.
    settle: async () => {
      const want = marks + 1;
      await pub.publish(keys.fetchChannel, 'mark');
      await waitFor(() => marks >= want, 5_000, 5);
    },
  };
}

describe('ObjectFetcher pace', () => {
  it('asks again every 300 ms of its monotonic clock until the deadline, waiting at most 100 ms between polls', async () => {
    const keys = keysOf();
    const { asks, settle } = await listen(keys);
    const fetcher = new ObjectFetcher((await client()) as Redis, (await client()) as Redis, keys, 'asker', new Objects(), { fetchTimeoutMs: 1_000, objectTtlMs: 1_000 });
    fetchers.push(fetcher);
    // The fetcher's own clock: 40 ms further on at each reading, so its loop runs the same way
    // however fast the machine is; everybody else reads the real clock.
    const real = performance.now.bind(performance);
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 50;
    restores.push(() => (Error.stackTraceLimit = limit));
    let clock = 0;
    let step = 40;
    let waits: number[] = [];
    const realSetTimeout = globalThis.setTimeout;
    vi.spyOn(performance, 'now').mockImplementation(() => {
      if (!new Error().stack?.includes('object-fetch.ts')) return real();
      clock += step;
      return clock;
    });
    vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms?: number) => {
      if (new Error().stack?.includes('object-fetch.ts')) {
        waits.push(ms ?? 0);
        return realSetTimeout(fn, 0);
      }
      return realSetTimeout(fn, ms);
    }) as typeof setTimeout);
    const { hash } = blob('asked for');
    await expect(fetcher.fetch(hash)).rejects.toMatchObject({ code: 'OBJECT_UNAVAILABLE', message: `Object ${hash} is unavailable: no node answered within 1000 ms` });
    await settle();
    // Readings 40 ms apart: deadline 40+1000; each round reads the loop test, the ask test, (the
    // next ask time after an ask,) and the wait. Asks at 120, 520, 920 (300 ms after 160, 560);
    // the loop ends at the reading that equals the deadline.
    expect(asks).toEqual([`${hash} asker`, `${hash} asker`, `${hash} asker`]);
    expect(waits).toEqual([100, 100, 100, 100, 100, 100, 40]);
    expect(clock).toBe(1_040);
    // Readings 50 ms apart: an ask test reading exactly the next ask time (500) asks.
    clock = 0;
    step = 50;
    waits = [];
    asks.length = 0;
    const other = blob('asked for again');
    await expect(fetcher.fetch(other.hash)).rejects.toMatchObject({ code: 'OBJECT_UNAVAILABLE' });
    await settle();
    expect(asks).toHaveLength(3);
    expect(waits).toEqual([100, 100, 100, 100, 100]);
    expect(clock).toBe(1_150);
  });
});

describe('ObjectFetcher when Redis goes away', () => {
  it('says Redis became unavailable when it stays away until the deadline', async () => {
    const keys = keysOf();
    const { asks, settle } = await listen(keys);
    const cmd = (await client()) as Redis;
    const fetcher = new ObjectFetcher(cmd, (await client()) as Redis, keys, 'asker', new Objects(), { fetchTimeoutMs: 600, objectTtlMs: 1_000 });
    fetchers.push(fetcher);
    const { hash } = blob('redis left');
    const pending = fetcher.fetch(hash);
    await waitFor(() => asks.length > 0, 5_000, 5);
    cmd.disconnect();
    await expect(pending).rejects.toMatchObject({ code: 'OBJECT_UNAVAILABLE', message: `Object ${hash} is unavailable: Redis is unavailable within 600 ms` });
    await settle();
    expect(asks).toEqual([`${hash} asker`]);
  });

  it('a node closing while Redis is away ends the fetch as closing', async () => {
    const keys = keysOf();
    const { asks } = await listen(keys);
    const cmd = (await client()) as Redis;
    const fetcher = new ObjectFetcher(cmd, (await client()) as Redis, keys, 'asker', new Objects(), { fetchTimeoutMs: 20_000, objectTtlMs: 1_000 });
    const { hash } = blob('closing while away');
    const pending = fetcher.fetch(hash);
    await waitFor(() => asks.length > 0, 5_000, 5);
    cmd.disconnect();
    await new Promise((resolve) => setTimeout(resolve, 120));
    fetcher.close();
    await expect(pending).rejects.toMatchObject({ code: 'OBJECT_UNAVAILABLE', message: `Object ${hash} is unavailable: the node is closing` });
  });
});

describe('ObjectFetcher answering', () => {
  it('a peer whose pub/sub connection comes up after start subscribes then, and answers with a 1 s claim', async () => {
    const keys = keysOf();
    const { hash, data } = blob('late subscriber');
    const objects = new Objects();
    objects.raw.set(hash, data);
    const lateSub = client(false) as Redis;
    const peer = new ObjectFetcher((await client()) as Redis, lateSub, keys, 'peer', objects, { fetchTimeoutMs: 1_000, objectTtlMs: 45_000 });
    fetchers.push(peer);
    await peer.start();
    expect(lateSub.status).toBe('wait');
    const admin = (await client()) as Redis;
    expect((await admin.pubsub('NUMSUB', keys.fetchChannel))[1]).toBe(0);
    await lateSub.connect();
    await waitFor(async () => (await admin.pubsub('NUMSUB', keys.fetchChannel))[1] === 1, 5_000);
    expect((await admin.pubsub('NUMSUB', keys.readyChannel))[1]).toBe(1);
    const asker = new ObjectFetcher((await client()) as Redis, (await client()) as Redis, keys, 'asker', new Objects(), { fetchTimeoutMs: 5_000, objectTtlMs: 1_000 });
    fetchers.push(asker);
    await asker.start();
    await asker.fetch(hash);
    expect(peer.counters.answered).toBe(1);
    const claim = await admin.pttl(keys.claimKey(hash));
    expect(claim).toBeGreaterThan(0);
    expect(claim).toBeLessThanOrEqual(1_000);
    const answer = await admin.pttl(keys.objectKey(hash));
    expect(answer).toBeGreaterThan(40_000);
    expect(answer).toBeLessThanOrEqual(45_000);
  });

  it('a peer whose command connection is down does not answer', async () => {
    const keys = keysOf();
    const { hash, data } = blob('peer without redis');
    const objects = new Objects();
    objects.raw.set(hash, data);
    const down = client(false) as Redis;
    const peer = new ObjectFetcher(down, (await client()) as Redis, keys, 'peer', objects, { fetchTimeoutMs: 1_000, objectTtlMs: 1_000 });
    fetchers.push(peer);
    let asked = 0;
    const has = objects.hasObject.bind(objects);
    objects.hasObject = async (h) => {
      asked++;
      return has(h);
    };
    await peer.start();
    const pub = (await client()) as Redis;
    await pub.publish(keys.fetchChannel, `${hash} other`);
    await pub.publish(keys.readyChannel, 'ignored');
    // A ping on the subscriber's connection returns after it handled the messages before it.
    const sub = (peer as unknown as { sub: Redis }).sub;
    await waitFor(async () => (await pub.pubsub('NUMSUB', keys.fetchChannel))[1] === 1, 5_000);
    await sub.ping();
    expect(asked).toBe(0);
    expect(peer.counters.answered).toBe(0);
  });
});

describe('ObjectFetcher waking', () => {
  /** Timers the fetcher sets never fire: only a wake-up moves a waiting fetch on. */
  function holdFetcherTimers(): void {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 50;
    restores.push(() => (Error.stackTraceLimit = limit));
    const realSetTimeout = globalThis.setTimeout;
    vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms?: number) => {
      if (new Error().stack?.includes('object-fetch.ts')) return realSetTimeout(() => undefined, 2 ** 31 - 1);
      return realSetTimeout(fn, ms);
    }) as typeof setTimeout);
  }

  it('a ready message wakes a waiting fetch, which then reads the answer', async () => {
    const keys = keysOf();
    const { asks } = await listen(keys);
    const objects = new Objects();
    const fetcher = new ObjectFetcher((await client()) as Redis, (await client()) as Redis, keys, 'asker', objects, { fetchTimeoutMs: 60_000, objectTtlMs: 1_000 });
    fetchers.push(fetcher);
    await fetcher.start();
    holdFetcherTimers();
    const { hash, data } = blob('woken');
    const pending = fetcher.fetch(hash);
    await waitFor(() => asks.length > 0, 5_000, 5);
    const pub = (await client()) as Redis;
    await pub.set(keys.objectKey(hash), Buffer.from(data));
    await pub.publish(keys.readyChannel, 'f'.repeat(40)); // another object's answer wakes nobody waiting here
    await pub.publish(keys.readyChannel, hash);
    await pending;
    expect(Buffer.from(objects.raw.get(hash)!).toString()).toBe('woken');
    expect(asks).toEqual([`${hash} asker`]);
  });

  it('the one peer that wins the claim answers the first request', async () => {
    const keys = keysOf();
    const { asks } = await listen(keys);
    const { hash, data } = blob('answered at once');
    const peerObjects = new Objects();
    peerObjects.raw.set(hash, data);
    const peer = new ObjectFetcher((await client()) as Redis, (await client()) as Redis, keys, 'peer', peerObjects, { fetchTimeoutMs: 60_000, objectTtlMs: 1_000 });
    fetchers.push(peer);
    await peer.start();
    const objects = new Objects();
    const asker = new ObjectFetcher((await client()) as Redis, (await client()) as Redis, keys, 'asker', objects, { fetchTimeoutMs: 60_000, objectTtlMs: 1_000 });
    fetchers.push(asker);
    await asker.start();
    holdFetcherTimers();
    await asker.fetch(hash);
    expect(asks).toEqual([`${hash} asker`]);
    expect(peer.counters.answered).toBe(1);
    expect(Buffer.from(objects.raw.get(hash)!).toString()).toBe('answered at once');
  });

  it('closing wakes every waiting fetch', async () => {
    const keys = keysOf();
    const { asks } = await listen(keys);
    const fetcher = new ObjectFetcher((await client()) as Redis, (await client()) as Redis, keys, 'asker', new Objects(), { fetchTimeoutMs: 60_000, objectTtlMs: 1_000 });
    await fetcher.start();
    holdFetcherTimers();
    const one = blob('one waiting');
    const two = blob('two waiting');
    const first = fetcher.fetch(one.hash).catch((err: unknown) => err);
    const second = fetcher.fetch(two.hash).catch((err: unknown) => err);
    await waitFor(() => asks.length >= 2, 5_000, 5);
    fetcher.close();
    expect(await first).toMatchObject({ code: 'OBJECT_UNAVAILABLE', message: `Object ${one.hash} is unavailable: the node is closing` });
    expect(await second).toMatchObject({ code: 'OBJECT_UNAVAILABLE', message: `Object ${two.hash} is unavailable: the node is closing` });
    await expect(fetcher.fetch(one.hash)).rejects.toMatchObject({ message: `Object ${one.hash} is unavailable: the node is closing` });
  });
});
