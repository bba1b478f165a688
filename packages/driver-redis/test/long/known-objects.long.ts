import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startRedisServer, type RedisServer } from '@gitty/driver-test/harness';
import { StoreKeys } from '../../src/index.js';
import { openNode, type LocalNode } from '../helpers.js';

// Long: 220,000 announcements (about 35 s on a loaded 2-core machine). Run with `npm run test:long`.

let redis: RedisServer;
let raw: Redis;
const open: LocalNode[] = [];

beforeAll(async () => {
  redis = await startRedisServer();
  raw = new Redis(redis.url);
});
afterEach(async () => {
  for (const node of open.splice(0)) await node.store.close();
});
afterAll(async () => {
  raw.disconnect();
  await redis.stop();
});

async function nodes(count: number, extra: Record<string, unknown>): Promise<{ keys: StoreKeys; nodes: LocalNode[] }> {
  const storeId = `long-${Date.now()}`;
  const list: LocalNode[] = [];
  for (let i = 0; i < count; i++) {
    const node = await openNode({ url: redis.url, storeId, ...extra });
    open.push(node);
    list.push(node);
  }
  return { keys: new StoreKeys('gitty', storeId), nodes: list };
}

async function inject(keys: StoreKeys, fields: Array<string | Buffer>): Promise<void> {
  const seq = await raw.incr(keys.seq);
  await raw.xadd(keys.stream, '*', 'seq', String(seq), ...fields);
}

describe('the bounded memory of known objects', () => {
  it('a current head stays fetchable after 200,000 other announced hashes', async () => {
    // Memory inner stores: the 220,000 announcements below are the point, not disk speed.
    const { keys, nodes: [a, b] } = await nodes(2, { inner: { driver: 'memory' } });
    const v = await a!.store.create('old-head.txt', 'announced long ago');
    await b!.store.rescan();
    expect(await b!.driver.inner.deleteObject(v.commit)).toBe(true);
    // Announcements of objects whose bytes are gone (expired large objects): remembered, not stored.
    for (let batch = 0; batch < 11; batch++) {
      const fields: string[] = [];
      for (let i = 0; i < 20_000; i++) fields.push(`r:${(batch * 20_000 + i).toString(16).padStart(40, '0')}`, '');
      await inject(keys, ['type', 'objects', 'node', 'elsewhere', ...fields]);
    }
    await b!.store.rescan();
    expect((await b!.store.get('old-head.txt')).text).toBe('announced long ago');
  }, 300_000);
});

