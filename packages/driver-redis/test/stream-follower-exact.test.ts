import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startRedisServer, waitFor, type RedisServer } from '@gitty/driver-test/harness';
import { StoreKeys } from '../src/keys.js';
import { StreamFollower, toEntries, type StreamEntry } from '../src/stream-follower.js';

// The stream follower against a real redis-server: entries in order from the node's cursor,
// idle reports when nothing comes, binary fields intact, stop ending a blocked read, and
// reading on after Redis is killed and started again on the same port.

let redis: RedisServer;
const clients: Redis[] = [];
const followers: StreamFollower[] = [];

beforeAll(async () => {
  redis = await startRedisServer();
});

afterEach(async () => {
  await Promise.all(followers.splice(0).map((f) => f.stop()));
  for (const client of clients.splice(0)) client.disconnect();
});

afterAll(async () => {
  await redis.stop();
});

function client(): Redis {
  const c = new Redis(redis.port, '127.0.0.1', { maxRetriesPerRequest: 1, retryStrategy: () => 50 });
  // Refused connections while Redis is down are expected; ioredis retries them.
  c.on('error', () => undefined);
  clients.push(c);
  return c;
}

function follow(keys: StoreKeys, start = '0-0') {
  const seen: StreamEntry[] = [];
  let cursor = start;
  let idles = 0;
  const follower = new StreamFollower(client(), keys, 100, {
    cursor: () => cursor,
    onEntries: async (entries) => {
      seen.push(...entries);
      cursor = entries[entries.length - 1]!.id;
    },
    onIdle: async () => {
      idles++;
    },
  });
  followers.push(follower);
  return { follower, seen, idles: () => idles };
}

describe('toEntries', () => {
  it('pairs fields and values, keeps values as bytes, and drops a dangling field', () => {
    const raw: Array<[Buffer, Buffer[]]> = [
      [Buffer.from('1-1'), [Buffer.from('type'), Buffer.from('head'), Buffer.from('obj'), Buffer.from([0, 255])]],
      [Buffer.from('2-0'), [Buffer.from('lonely')]],
    ];
    const entries = toEntries(raw);
    expect(entries.map((e) => e.id)).toEqual(['1-1', '2-0']);
    expect([...entries[0]!.fields.keys()]).toEqual(['type', 'obj']);
    expect(entries[0]!.fields.get('obj')).toEqual(Buffer.from([0, 255]));
    expect(entries[1]!.fields.size).toBe(0);
  });
});

describe('StreamFollower', () => {
  it('hands over entries in order from the cursor, and reports idle reads', async () => {
    const keys = new StoreKeys('gitty', `follow-${Date.now()}`);
    const writer = client();
    const first = (await writer.xadd(keys.stream, '*', 'n', '1'))!;
    await writer.xadd(keys.stream, '*', 'n', '2', 'bin', Buffer.from([0, 1, 255]));
    const { follower, seen, idles } = follow(keys, first);
    follower.start();
    follower.start();
    await waitFor(() => seen.length === 1, 10_000);
    expect(seen[0]!.fields.get('n')!.toString()).toBe('2');
    expect(seen[0]!.fields.get('bin')).toEqual(Buffer.from([0, 1, 255]));
    await waitFor(() => idles() >= 2, 10_000);
    await writer.xadd(keys.stream, '*', 'n', '3');
    await writer.xadd(keys.stream, '*', 'n', '4');
    await waitFor(() => seen.length === 3, 10_000);
    expect(seen.map((e) => e.fields.get('n')!.toString())).toEqual(['2', '3', '4']);
    expect(follower.lastReply).toBeGreaterThan(0);
  });

  it('reads at most 500 entries a batch', async () => {
    const keys = new StoreKeys('gitty', `batch-${Date.now()}`);
    const writer = client();
    const pipeline = writer.pipeline();
    for (let i = 0; i < 1200; i++) pipeline.xadd(keys.stream, '*', 'n', String(i));
    await pipeline.exec();
    const batches: number[] = [];
    let cursor = '0-0';
    const follower = new StreamFollower(client(), keys, 100, {
      cursor: () => cursor,
      onEntries: async (entries) => {
        batches.push(entries.length);
        cursor = entries[entries.length - 1]!.id;
      },
      onIdle: async () => undefined,
    });
    followers.push(follower);
    follower.start();
    await waitFor(() => batches.reduce((a, b) => a + b, 0) === 1200, 10_000);
    expect(batches).toEqual([500, 500, 200]);
  });

  it('stop() ends a blocked read and the loop', async () => {
    const keys = new StoreKeys('gitty', `stop-${Date.now()}`);
    const conn = client();
    let idles = 0;
    const follower = new StreamFollower(conn, keys, 60_000, { cursor: () => '$', onEntries: async () => undefined, onIdle: async () => void idles++ });
    follower.start();
    await waitFor(() => conn.status === 'ready', 10_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await follower.stop();
    expect(conn.status).toBe('end');
    expect(idles).toBe(0);
  });

  it('reads on after Redis is killed and started again', async () => {
    const keys = new StoreKeys('gitty', `restart-${Date.now()}`);
    const { follower, seen } = follow(keys);
    follower.start();
    const writer = client();
    await writer.xadd(keys.stream, '*', 'n', 'before');
    await waitFor(() => seen.length === 1, 10_000);
    const port = redis.port;
    await redis.kill();
    await new Promise((resolve) => setTimeout(resolve, 300));
    redis = await startRedisServer([], port);
    // The new server is empty: the follower's cursor is past everything in it, so only ids after it count.
    await waitFor(async () => {
      try {
        await writer.xadd(keys.stream, `${Date.now() + 1_000_000}-0`, 'n', 'after');
        return true;
      } catch {
        return false;
      }
    }, 20_000);
    await waitFor(() => seen.length === 2, 20_000);
    expect(seen[1]!.fields.get('n')!.toString()).toBe('after');
  });
});
