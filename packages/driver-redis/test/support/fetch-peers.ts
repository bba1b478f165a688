// The ObjectFetcher tests' setting: one redis-server per test file, with the clients and started
// fetchers a test opens on it closed after that test, and a fresh store per test so no fetch
// request of one test reaches the fetchers of another.
import { afterAll, afterEach, beforeAll } from 'vitest';
import { Redis, type RedisOptions } from 'ioredis';
import { hashObject } from '@gitty/core';
import { startRedisServer, type RedisServer } from '@gitty/driver-test/harness';
import { StoreKeys } from '../../src/keys.js';
import { ObjectFetcher, type LocalObjects } from '../../src/object-fetch.js';

export interface FetchPeers {
  /** A connected client (errors swallowed), disconnected after the test. */
  client(): Promise<Redis>;
  /** A started fetcher named `name` over `objects` (two clients of its own), closed after the test. */
  node<O extends LocalObjects>(name: string, keys: StoreKeys, objects: O, fetchTimeoutMs?: number): Promise<{ fetcher: ObjectFetcher; objects: O }>;
  /** The keys of a store no other test of the file uses (`gitty:<keyPrefix>-<pid>-<n>`). */
  freshKeys(): StoreKeys;
}

/**
 * Start the redis-server before the file's tests (vitest hooks) and stop it after them.
 * `clientOptions` are added to every client's options.
 */
export function useFetchPeers(keyPrefix: string, clientOptions: RedisOptions = {}): FetchPeers {
  let redis: RedisServer;
  const clients: Redis[] = [];
  const fetchers: ObjectFetcher[] = [];
  let stores = 0;

  beforeAll(async () => {
    redis = await startRedisServer();
  });

  afterEach(() => {
    for (const f of fetchers.splice(0)) f.close();
    for (const c of clients.splice(0)) c.disconnect();
  });

  afterAll(async () => {
    await redis.stop();
  });

  async function client(): Promise<Redis> {
    const c = new Redis(redis.port, '127.0.0.1', { lazyConnect: true, ...clientOptions });
    c.on('error', () => undefined);
    clients.push(c);
    await c.connect();
    return c;
  }

  return {
    client,
    async node(name, keys, objects, fetchTimeoutMs = 2_000) {
      const fetcher = new ObjectFetcher(await client(), await client(), keys, name, objects, { fetchTimeoutMs, objectTtlMs: 60_000 });
      await fetcher.start();
      fetchers.push(fetcher);
      return { fetcher, objects };
    },
    freshKeys: () => new StoreKeys('gitty', `${keyPrefix}-${process.pid}-${++stores}`),
  };
}

/** A blob's data (the UTF-8 of `text`) and its hash. */
export function blob(text: string): { hash: string; data: Uint8Array } {
  const data = new TextEncoder().encode(text);
  return { hash: hashObject('blob', data), data };
}
