import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startRedisServer, type RedisServer } from '@gitty/driver-test/harness';
import { defineReplicaCommands, runAnnounce, runCas, runEpochSwap, runJoin, runLeave, runMerge } from '../src/cas-script.js';
import { StoreKeys } from '../src/keys.js';

// defineReplicaCommands on a fresh client, inside the test: each of the five scripts is
// defined with its own Lua and number of keys, so a client that had none runs them all.

let redis: RedisServer;

beforeAll(async () => {
  redis = await startRedisServer();
});

afterAll(async () => {
  await redis.stop();
});

describe('defineReplicaCommands', () => {
  it('gives a new client every replication script, each taking its own keys', async () => {
    const client = new Redis(redis.port, '127.0.0.1');
    try {
      defineReplicaCommands(client);
      const keys = new StoreKeys('gitty', 'defined');
      const epoch = await runEpochSwap(client, keys, '', 0, 'seed', null);
      expect(epoch).toMatch(/^\d+:seed$/);
      expect(await client.get(keys.epoch)).toBe(epoch);
      expect(await runJoin(client, keys, epoch, 'n1', new Map())).toBe(1);
      expect(await client.hgetall(keys.members)).toEqual({ n1: epoch.split(':')[0] });
      const outcome = await runCas(client, keys, {
        epoch, name: 'f.txt', expected: null, next: 'a'.repeat(40), requestId: 'r1', maxLen: 1000, requestTtlMs: 60_000,
        node: 'n1', minSeq: 0, settleMs: 1000, mergeWaitMs: 5000, objects: [],
      });
      expect(outcome.kind).toBe('ok');
      expect(await client.hget(keys.heads, 'f.txt')).toBe('a'.repeat(40));
      expect(await runAnnounce(client, keys, epoch, 1000, 'n1', [[`o:${'b'.repeat(40)}`, Buffer.from('x')]])).toBe(true);
      expect(await runMerge(client, keys, epoch, 1000, 'n1', [{ name: 'g.txt', head: 'c'.repeat(40), stamp: '0:0' }])).toBe(1);
      expect(await client.hget(keys.heads, 'g.txt')).toBe('c'.repeat(40));
      expect(await client.xlen(keys.stream)).toBe(3);
      expect(await runLeave(client, keys, epoch, 'n1')).toBe(1);
      expect(await client.hgetall(keys.members)).toEqual({});
    } finally {
      client.disconnect();
    }
  });
});
