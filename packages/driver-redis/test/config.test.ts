import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultDriverContext, openStore, registerDriver } from '@gitty/core';
import { startRedisServer, tempDir, type RedisServer } from '@gitty/driver-test/harness';
import { Redis } from 'ioredis';
import { createDriver, parseOptions } from '../src/index.js';
import { innerFor, registerFilesDriver } from './helpers.js';

describe('options', () => {
  it('rejects bad configs with INVALID_CONFIG naming the option', () => {
    const inner = { driver: 'memory' };
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ url: 'redis://127.0.0.1:1' }, /needs the option "inner"/],
      [{ inner }, /needs "url"/],
      [{ url: 'redis://x', inner, colour: 'red' }, /Unknown option "colour"/],
      [{ url: 'redis://x', inner, storeId: 'a}b{' }, /"storeId"/],
      [{ url: 'redis://x', inner, prefix: '' }, /"prefix"/],
      [{ url: 'redis://x', inner, maxLen: 0 }, /"maxLen"/],
      [{ url: 'redis://x', inner, cluster: [{ host: '127.0.0.1', port: 7000 }] }, /not both/],
      [{ cluster: [], inner }, /"cluster"/],
      [{ url: 'redis://x', inner: 'files' }, /"inner"/],
      [{ sentinels: [{ host: '127.0.0.1', port: 26379 }], inner }, /need "name"/],
      [{ sentinels: [], name: 'mymaster', inner }, /"sentinels" must be/],
      [{ url: 'redis://x', name: 'mymaster', inner }, /needs "sentinels"/],
      [{ url: 'redis://x', sentinels: [{ port: 26379 }], name: 'm', inner }, /one of "url", "cluster" and "sentinels"/],
      [{ cluster: [{ host: '127.0.0.1', port: 7000 }], replicaAcks: 1, inner }, /not supported with "cluster"/],
      [{ url: 'redis://x', inner, replicaAcks: -1 }, /"replicaAcks"/],
      [{ url: 'redis://x', inner, settleMs: 0 }, /"settleMs"/],
      [{ url: 'redis://x', inner, mergeWaitMs: 1.5 }, /"mergeWaitMs"/],
    ];
    for (const [options, message] of bad) {
      expect(() => parseOptions(options)).toThrow(message);
      try {
        parseOptions(options);
      } catch (err) {
        expect((err as { code?: string }).code).toBe('INVALID_CONFIG');
      }
    }
    expect(parseOptions({ url: 'redis://x', inner })).toMatchObject({ prefix: 'gitty', storeId: 'default', maxLen: 10_000, replicaAcks: 0, settleMs: 3_000, mergeWaitMs: 30_000 });
    expect(parseOptions({ sentinels: [{ host: '127.0.0.1', port: 26379 }], name: 'mymaster', inner, replicaAcks: 1 }))
      .toMatchObject({ name: 'mymaster', replicaAcks: 1, replicaAckTimeoutMs: 1_000 });
  });
});

describe('opening through a config', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis.stop();
  });

  it('openStore({ driver: "redis", url, prefix, storeId, inner }) keeps every key under <prefix>:{<storeId>}:', async () => {
    registerDriver('redis', createDriver);
    await registerFilesDriver();
    const { dir, remove } = await tempDir('gitty-redis-config-');
    const store = await openStore({ driver: 'redis', url: redis.url, prefix: 'app', storeId: 'notes', inner: innerFor(dir) });
    const raw = new Redis(redis.url);
    try {
      await store.create('a.md', '# hello');
      const keys = await raw.keys('*');
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) expect(key.startsWith('app:{notes}:')).toBe(true);
      expect(await raw.hget('app:{notes}:heads', 'a.md')).toBe(await store.head('a.md'));
      const caps = (await createDriver({ url: redis.url, inner: { driver: 'memory' } }, defaultDriverContext()));
      expect(caps.capabilities).toMatchObject({ watch: true, sharedHeads: true, rawObjects: true });
      await caps.close();
    } finally {
      raw.disconnect();
      await store.close();
      await remove();
    }
  });
});
