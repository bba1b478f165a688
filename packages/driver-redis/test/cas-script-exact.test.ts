import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startRedisServer, type RedisServer } from '@gitty/driver-test/harness';
import { defineReplicaCommands, runAnnounce, runCas, runEpochSwap, runJoin, runLeave, runMerge, type CasRequest } from '../src/cas-script.js';
import { StoreKeys } from '../src/keys.js';

// The replication scripts run by a real redis-server: every outcome of the CAS exactly, the
// stream entries it appends, resent requests, the objects announcement, the merge of a node's
// heads and tombstones, the epoch swap and the members' joins.

let redis: RedisServer;
let client: Redis;
let keys: StoreKeys;
let epoch: string;
let counter = 0;

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

beforeAll(async () => {
  redis = await startRedisServer();
  client = new Redis(redis.port, '127.0.0.1');
  defineReplicaCommands(client);
});

afterAll(async () => {
  client.disconnect();
  await redis.stop();
});

beforeEach(async () => {
  keys = new StoreKeys('gitty', `cas-${++counter}`);
  epoch = await runEpochSwap(client, keys, '', 0, 'seed', null);
});

function request(extra: Partial<CasRequest> = {}): CasRequest {
  return {
    epoch, name: 'f.txt', expected: null, next: A, requestId: `r${Math.random()}`, maxLen: 1000, requestTtlMs: 60_000,
    node: 'n1', minSeq: 0, settleMs: 1000, mergeWaitMs: 5000, objects: [], ...extra,
  };
}

async function stream(): Promise<Array<Record<string, string>>> {
  const entries = await client.xrange(keys.stream, '-', '+');
  return entries.map(([, fields]) => Object.fromEntries(fields.reduce<Array<[string, string]>>((pairs, v, i) => (i % 2 ? pairs : [...pairs, [v, fields[i + 1]!]]), [])));
}

describe('runEpochSwap', () => {
  it('starts a generation numbered by Redis\'s clock, recording the server\'s run id', async () => {
    const gen = Number(epoch.split(':')[0]);
    const [seconds] = await client.time();
    expect(epoch).toMatch(/^\d+:seed$/);
    expect(Math.abs(gen - Number(seconds) * 1000)).toBeLessThan(60_000);
    const runId = /run_id:([0-9a-f]+)/.exec(await client.info('server'))![1];
    expect(await client.get(keys.server)).toBe(runId);
    expect(await client.get(keys.epochAt)).toBeNull();
  });

  it('refuses to swap an epoch it did not see, answering the one in force', async () => {
    expect(await runEpochSwap(client, keys, 'other:x', 0, 'late', null)).toBe(epoch);
    expect(await client.get(keys.epoch)).toBe(epoch);
  });

  it('raises the generation to the floor, and empties the stream and counter', async () => {
    await runCas(client, keys, request());
    const floor = Number(epoch.split(':')[0]) + 10_000_000;
    const next = await runEpochSwap(client, keys, epoch, floor, 'next', null);
    expect(next).toBe(`${floor}:next`);
    expect(await client.exists(keys.stream, keys.seq)).toBe(0);
    expect(await client.hget(keys.heads, 'f.txt')).toBe(A);
  });

  it('after a loss, records when and which generation was lost, and drops members older than it', async () => {
    await client.hset(keys.members, 'old', '5', 'recent', '50');
    const next = await runEpochSwap(client, keys, epoch, 0, 'after-loss', 10);
    expect(next).toMatch(/^\d+:after-loss$/);
    expect(await client.get(keys.lostFrom)).toBe('10');
    expect(Number(await client.get(keys.epochAt))).toBeGreaterThan(0);
    expect(await client.hgetall(keys.members)).toEqual({ recent: '50' });
    const again = await runEpochSwap(client, keys, next, 0, 'clean', null);
    expect(await client.exists(keys.lostFrom, keys.epochAt)).toBe(0);
    expect(again).toMatch(/:clean$/);
  });
});

describe('runCas', () => {
  it('applies a create, appends the head event and answers its id and stamp', async () => {
    const outcome = await runCas(client, keys, request());
    const gen = epoch.split(':')[0];
    expect(outcome).toEqual({ kind: 'ok', id: expect.stringMatching(/^\d+-\d+$/), stamp: `${gen}:1` });
    expect(await client.hget(keys.heads, 'f.txt')).toBe(A);
    expect(await client.hget(keys.stamps, 'f.txt')).toBe(`${gen}:1`);
    expect(await stream()).toEqual([{ seq: '1', type: 'head', name: 'f.txt', old: '', new: A, node: 'n1', stamp: `${gen}:1` }]);
  });

  it('announces the objects first, in the same step', async () => {
    await runCas(client, keys, request({ objects: [[`o:${B}`, Buffer.from('bytes')], [`r:${A}`, '']] }));
    const gen = epoch.split(':')[0];
    expect(await stream()).toEqual([
      { seq: '1', type: 'objects', node: 'n1', [`o:${B}`]: 'bytes', [`r:${A}`]: '' },
      { seq: '2', type: 'head', name: 'f.txt', old: '', new: A, node: 'n1', stamp: `${gen}:2` },
    ]);
  });

  it('answers a resent request with its first outcome, applying nothing twice', async () => {
    const first = await runCas(client, keys, request({ requestId: 'same' }));
    const again = await runCas(client, keys, request({ requestId: 'same', expected: A, next: B }));
    expect(again).toEqual(first);
    expect(await client.hget(keys.heads, 'f.txt')).toBe(A);
    expect(await client.xlen(keys.stream)).toBe(1);
    expect(await client.pttl(keys.requestKey('same'))).toBeGreaterThan(50_000);
  });

  it('applies an update and a delete', async () => {
    await runCas(client, keys, request());
    await runCas(client, keys, request({ expected: A, next: B }));
    expect(await client.hget(keys.heads, 'f.txt')).toBe(B);
    const deleted = await runCas(client, keys, request({ expected: B, next: null }));
    expect(deleted.kind).toBe('ok');
    expect(await client.hexists(keys.heads, 'f.txt')).toBe(0);
    expect((await stream()).at(-1)).toMatchObject({ old: B, new: '' });
  });

  it('answers conflict with the head, or null for a missing file', async () => {
    await runCas(client, keys, request());
    expect(await runCas(client, keys, request({ expected: B, next: B }))).toEqual({ kind: 'conflict', head: A });
    expect(await runCas(client, keys, request({ name: 'g.txt', expected: A, next: B }))).toEqual({ kind: 'conflict', head: null });
    expect(await runCas(client, keys, request({ expected: null, next: B }))).toEqual({ kind: 'conflict', head: A });
  });

  it('answers epoch with the one in force, or null when Redis lost it', async () => {
    expect(await runCas(client, keys, request({ epoch: '1:stale' }))).toEqual({ kind: 'epoch', epoch });
    await client.del(keys.epoch);
    expect(await runCas(client, keys, request())).toEqual({ kind: 'epoch', epoch: null });
  });

  it('answers restarted when the generation began on another redis-server process', async () => {
    await client.set(keys.server, 'f'.repeat(40));
    expect(await runCas(client, keys, request())).toEqual({ kind: 'restarted' });
  });

  it('answers regressed when Redis\'s counter is below what the node saw', async () => {
    await runCas(client, keys, request());
    expect(await runCas(client, keys, request({ name: 'g.txt', minSeq: 2 }))).toEqual({ kind: 'regressed', seq: 1 });
    expect((await runCas(client, keys, request({ name: 'g.txt', minSeq: 1 }))).kind).toBe('ok');
  });

  it('answers settling right after a loss, then awaiting a member that has not merged, then ok', async () => {
    const lostEpoch = await runEpochSwap(client, keys, epoch, 0, 'lost', 1);
    const gen = Number(lostEpoch.split(':')[0]);
    const settling = await runCas(client, keys, request({ epoch: lostEpoch, settleMs: 60_000 }));
    expect(settling.kind).toBe('settling');
    expect((settling as { waitMs: number }).waitMs).toBeGreaterThan(50_000);
    await client.hset(keys.members, 'laggard', '5', 'n1', '3', 'joined', String(gen));
    // Settled: the loss is 100 ms old, past a settleMs of 1.
    await client.set(keys.epochAt, String(Number(await client.get(keys.epochAt)) - 100));
    expect(await runCas(client, keys, request({ epoch: lostEpoch, settleMs: 1 }))).toEqual({ kind: 'awaiting', node: 'laggard' });
    // Past mergeWaitMs nobody is waited for any more.
    await client.set(keys.epochAt, String(gen - 10_000));
    expect((await runCas(client, keys, request({ epoch: lostEpoch, settleMs: 1, mergeWaitMs: 5_000 }))).kind).toBe('ok');
  });
});

describe('runAnnounce', () => {
  it('appends an objects entry in the current epoch, and refuses another', async () => {
    expect(await runAnnounce(client, keys, epoch, 1000, 'n2', [[`o:${A}`, 'x']])).toBe(true);
    expect(await stream()).toEqual([{ seq: '1', type: 'objects', node: 'n2', [`o:${A}`]: 'x' }]);
    expect(await runAnnounce(client, keys, '1:old', 1000, 'n2', [[`o:${B}`, 'y']])).toBe(false);
    expect(await client.xlen(keys.stream)).toBe(1);
  });
});

describe('runMerge', () => {
  it('keeps the newer of each name\'s states, tombstones included, and announces changes', async () => {
    const gen = Number(epoch.split(':')[0]);
    await runCas(client, keys, request({ name: 'kept' }));
    await runCas(client, keys, request({ name: 'replaced' }));
    const changed = await runMerge(client, keys, epoch, 1000, 'n9', [
      { name: 'kept', head: B, stamp: `${gen}:0` },
      { name: 'replaced', head: B, stamp: `${gen}:99` },
      { name: 'deleted', head: null, stamp: `${gen}:50` },
      { name: 'new', head: B, stamp: '1:1' },
      { name: 'same', head: null, stamp: `${gen}:60` },
    ]);
    expect(changed).toBe(2);
    expect(await client.hgetall(keys.heads)).toEqual({ kept: A, replaced: B, new: B });
    expect(await client.hgetall(keys.stamps)).toMatchObject({ replaced: `${gen}:99`, deleted: `${gen}:50`, new: '1:1', same: `${gen}:60` });
    expect((await stream()).slice(-2)).toEqual([
      { seq: '3', type: 'head', name: 'replaced', old: A, new: B, node: 'n9', stamp: `${gen}:99` },
      { seq: '4', type: 'head', name: 'new', old: '', new: B, node: 'n9', stamp: '1:1' },
    ]);
    // A tombstone with a newer stamp wins over a create with an older one.
    expect(await runMerge(client, keys, epoch, 1000, 'n9', [{ name: 'deleted', head: A, stamp: `${gen}:49` }])).toBe(0);
    expect(await client.hexists(keys.heads, 'deleted')).toBe(0);
  });

  it('takes a stamp from a later generation as this generation\'s :0', async () => {
    const gen = Number(epoch.split(':')[0]);
    expect(await runMerge(client, keys, epoch, 1000, 'n9', [{ name: 'future', head: A, stamp: `${gen + 5}:3` }])).toBe(1);
    expect(await client.hget(keys.stamps, 'future')).toBe(`${gen}:0`);
  });

  it('answers -1 when the epoch moved on', async () => {
    expect(await runMerge(client, keys, '1:old', 1000, 'n9', [{ name: 'x', head: A, stamp: '1:1' }])).toBe(-1);
    expect(await client.hlen(keys.heads)).toBe(0);
  });
});

describe('runJoin and runLeave', () => {
  it('records the node at this generation and the members it knows from the lost one', async () => {
    const lost = await runEpochSwap(client, keys, epoch, 0, 'lost', 100);
    const gen = Number(lost.split(':')[0]);
    const known = new Map([['n1', 5], ['active', 150], ['ancient', 50], ['future', gen + 1]]);
    expect(await runJoin(client, keys, lost, 'n1', known)).toBe(1);
    expect(await client.hgetall(keys.members)).toEqual({ n1: String(gen), active: '150' });
    // A member already known at a later generation is not set back.
    await client.hset(keys.members, 'active', '160');
    await runJoin(client, keys, lost, 'n2', new Map([['active', 150]]));
    expect(await client.hget(keys.members, 'active')).toBe('160');
    expect(await runLeave(client, keys, lost, 'n1')).toBe(1);
    expect(await client.hexists(keys.members, 'n1')).toBe(0);
  });

  it('answers -1 for another epoch', async () => {
    expect(await runJoin(client, keys, '1:old', 'n1', new Map())).toBe(-1);
    expect(await runLeave(client, keys, '1:old', 'n1')).toBe(-1);
    expect(await client.hlen(keys.members)).toBe(0);
  });
});
