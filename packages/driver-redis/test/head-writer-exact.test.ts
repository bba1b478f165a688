import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { isGittyError } from '@gitty/core';
import { startRedisServer, tempDir, waitFor, type RedisServer } from '@gitty/driver-test/harness';
import { runEpochSwap } from '../src/cas-script.js';
import type { CatchUp } from '../src/catch-up.js';
import { own, rawBlob, rig, scriptClient, streamOf, useScriptServer } from './support/replica-parts.js';

// The write path of a node (HeadWriter) against a real redis-server: what a CAS carries, every
// way it ends (each error exact), announcements without a head change, and the settling of
// changes whose reply was lost.

const redis = useScriptServer();
const { synced } = redis;
const extraClients: Redis[] = [];
const servers: RedisServer[] = [];
const removers: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const c of extraClients.splice(0)) c.disconnect();
  for (const s of servers.splice(0)) await s.stop();
  for (const remove of removers.splice(0)) await remove();
});

async function failure(promise: Promise<unknown>): Promise<Error & { code?: string; cause?: unknown }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected a failure');
}

/** A client that never connects (status 'wait'). */
function neverConnected(): Redis {
  const c = new Redis(redis.port, '127.0.0.1', { lazyConnect: true });
  extraClients.push(c);
  return c;
}

describe('HeadWriter.updateHead', () => {
  it('refuses at once without a connection or before the first sync', async () => {
    const r = await rig(redis.cmd);
    const writer = r.writer();
    const error = await failure(writer.updateHead('f.txt', null, 'a'.repeat(40)));
    expect(error.code).toBe('REDIS_UNAVAILABLE');
    expect(error.message).toBe('Redis is unavailable: cannot change the head of "f.txt": no connection to Redis');
    const s = await synced();
    const closedWriter = s.writer({ cmd: neverConnected() });
    expect((await failure(closedWriter.updateHead('g.txt', null, 'a'.repeat(40)))).message)
      .toBe('Redis is unavailable: cannot change the head of "g.txt": no connection to Redis');
    expect(await redis.cmd.hgetall(s.keys.heads)).toEqual({});
  });

  it('carries the head\'s own objects first, then pending ones, inline, in one objects entry before the head entry', async () => {
    const r = await synced();
    const writer = r.writer({ headObjects: async (head) => [head, blob.hash] });
    const pendingOne = own(r, 'pending one');
    const blob = own(r, 'the blob');
    const commit = own(r, 'the "commit"');
    writer.pending.add(pendingOne.hash);
    writer.pending.add(commit.hash);
    await writer.updateHead('f.txt', null, commit.hash);
    const entries = await streamOf(redis.cmd, r.keys);
    expect(entries).toHaveLength(2);
    expect(Object.keys(entries[0]!)).toEqual(['seq', 'type', 'node', `o:${commit.hash}`, `o:${blob.hash}`, `o:${pendingOne.hash}`]);
    expect(entries[0]).toMatchObject({ seq: '1', type: 'objects', node: 'n1' });
    const bytes = await redis.cmd.xrangeBuffer(r.keys.stream, '-', '+');
    expect(Buffer.from(bytes[0]![1][7]!)).toEqual(Buffer.from(commit.raw));
    const gen = r.state.epoch!.split(':')[0];
    expect(entries[1]).toEqual({ seq: '2', type: 'head', name: 'f.txt', old: '', new: commit.hash, node: 'n1', stamp: `${gen}:2` });
    expect(writer.pending.size).toBe(0);
    expect(r.view.heads.get('f.txt')).toBe(commit.hash);
    expect(r.state.stamps.get('f.txt')).toEqual([commit.hash, `${gen}:2`]);
    expect(r.state.ownSeq).toBe(2);
    expect(r.known.has(commit.hash)).toBe(true);
    expect(r.known.has(blob.hash)).toBe(false);
    expect(await r.inner.getHead('f.txt')).toBe(commit.hash);
  });

  it('numbers its requests with the node, a random prefix and a counter, and remembers each outcome', async () => {
    const r = await synced({ node: 'node-7' });
    const writer = r.writer();
    await writer.updateHead('a.txt', null, 'a'.repeat(40));
    await writer.updateHead('b.txt', null, 'b'.repeat(40));
    const keys = (await redis.cmd.keys(`${r.keys.base}req:*`)).map((k) => k.slice(r.keys.base.length)).sort();
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(/^req:node-7-[0-9a-f]{16}-1$/);
    expect(keys[1]).toBe(`${keys[0]!.slice(0, -1)}2`);
    const ttl = await redis.cmd.pttl(`${r.keys.base}${keys[0]!}`);
    expect(ttl).toBeGreaterThan(590_000);
    expect(ttl).toBeLessThanOrEqual(600_000);
    const another = r.writer();
    await another.updateHead('c.txt', null, 'c'.repeat(40));
    const third = (await redis.cmd.keys(`${r.keys.base}req:*`)).map((k) => k.slice(r.keys.base.length)).filter((k) => !keys.includes(k));
    expect(third).toHaveLength(1);
    expect(third[0]).toMatch(/^req:node-7-[0-9a-f]{16}-1$/);
    expect(third[0]).not.toBe(keys[0]);
  });

  it('tells no listener of its own change, and forgets finished changes', async () => {
    const r = await synced();
    const changes: unknown[] = [];
    r.view.watch((c) => changes.push(c));
    const writer = r.writer();
    await writer.updateHead('f.txt', null, 'a'.repeat(40));
    await writer.updateHead('f.txt', null, 'b'.repeat(40)).catch(() => undefined);
    expect(changes).toEqual([]);
    expect(r.view.heads.get('f.txt')).toBe('a'.repeat(40));
    await writer.settled();
    expect((writer as unknown as { inflight: Set<unknown> }).inflight.size).toBe(0);
  });

  it('deletes a head (next null) with no objects entry', async () => {
    const r = await synced();
    const asked: string[] = [];
    const writer = r.writer({ headObjects: async (head) => (asked.push(head), []) });
    await writer.updateHead('f.txt', null, 'a'.repeat(40));
    await writer.updateHead('f.txt', 'a'.repeat(40), null);
    expect(asked).toEqual(['a'.repeat(40)]);
    const entries = await streamOf(redis.cmd, r.keys);
    expect(entries.map((e) => [e.type, e.new])).toEqual([['head', 'a'.repeat(40)], ['head', '']]);
    expect(r.view.heads.has('f.txt')).toBe(false);
    expect(await redis.cmd.hexists(r.keys.heads, 'f.txt')).toBe(0);
  });

  it('sends large objects through a short-lived key, and skips objects no longer here', async () => {
    const r = await synced({ options: { inlineMax: 40, objectTtlMs: 30_000 } });
    const writer = r.writer({ headObjects: async (head) => [head] });
    const small = rawBlob('x');
    const exact = rawBlob(new Uint8Array(0));
    const big = rawBlob(randomBytes(200));
    expect(small.raw.length).toBeLessThan(40);
    r.local.set(small.hash, small.raw);
    r.local.set(big.hash, big.raw);
    // An object whose compressed bytes are exactly inlineMax long still goes inline.
    const fortyBytes = new Uint8Array(40).fill(7);
    r.local.set(exact.hash, fortyBytes);
    writer.pending.add(big.hash);
    writer.pending.add(exact.hash);
    writer.pending.add('d'.repeat(40)); // gone meanwhile: no field
    await writer.updateHead('f.txt', null, small.hash);
    const entries = await streamOf(redis.cmd, r.keys);
    expect(Object.keys(entries[0]!).slice(3)).toEqual([`o:${small.hash}`, `r:${big.hash}`, `o:${exact.hash}`]);
    expect(entries[0]![`r:${big.hash}`]).toBe('');
    expect(Buffer.from((await redis.cmd.getBuffer(r.keys.objectKey(big.hash)))!)).toEqual(Buffer.from(big.raw));
    const ttl = await redis.cmd.pttl(r.keys.objectKey(big.hash));
    expect(ttl).toBeGreaterThan(25_000);
    expect(ttl).toBeLessThanOrEqual(30_000);
    expect(await redis.cmd.exists(r.keys.objectKey(exact.hash), r.keys.objectKey(small.hash))).toBe(0);
  });

  it('announces more than 200 pending objects first, oldest first, and carries 200 at most with the head', async () => {
    const r = await synced();
    const writer = r.writer({ headObjects: async (head) => [head] });
    const blobs = Array.from({ length: 203 }, (_, i) => own(r, `object ${i}`));
    for (const b of blobs.slice(1)) writer.pending.add(b.hash);
    writer.pending.add(blobs[0]!.hash); // the head's own object is pending too
    await writer.updateHead('f.txt', null, blobs[0]!.hash);
    const entries = await streamOf(redis.cmd, r.keys);
    expect(entries.map((e) => [e.type, Object.keys(e).filter((k) => k.startsWith('o:')).length])).toEqual([['objects', 200], ['objects', 2], ['objects', 1], ['head', 0]]);
    expect(Object.keys(entries[0]!)[3]).toBe(`o:${blobs[1]!.hash}`);
    expect(Object.keys(entries[1]!).slice(3)).toEqual([`o:${blobs[201]!.hash}`, `o:${blobs[202]!.hash}`]);
    expect(Object.keys(entries[2]!).slice(3)).toEqual([`o:${blobs[0]!.hash}`]);
    expect(writer.pending.size).toBe(0);
  });

  it('takes exactly 200 pending objects (less its own) into the CAS, leaving the rest pending', async () => {
    const r = await synced();
    const writer = r.writer({ headObjects: async (head) => [head, second.hash] });
    const head = own(r, 'head');
    const second = own(r, 'second');
    const blobs = Array.from({ length: 200 }, (_, i) => own(r, `pending ${i}`));
    for (const b of blobs) writer.pending.add(b.hash);
    await writer.updateHead('f.txt', null, head.hash);
    const entries = await streamOf(redis.cmd, r.keys);
    expect(entries.map((e) => [e.type, Object.keys(e).filter((k) => k.startsWith('o:')).length])).toEqual([['objects', 200], ['head', 0]]);
    expect([...writer.pending]).toEqual([blobs[198]!.hash, blobs[199]!.hash]);
  });

  it('fails with NOT_AT_HEAD naming the head, and keeps the objects pending', async () => {
    const r = await synced();
    const writer = r.writer({ headObjects: async (head) => [head] });
    const first = own(r, 'first');
    const second = own(r, 'second');
    const extra = own(r, 'extra');
    await writer.updateHead('f.txt', null, first.hash);
    writer.pending.add(extra.hash);
    const error = await failure(writer.updateHead('f.txt', null, second.hash));
    expect(error.code).toBe('NOT_AT_HEAD');
    expect(error.message).toBe(`File "f.txt" is at ${first.hash}, not at nothing`);
    expect((error as unknown as { head: string }).head).toBe(first.hash);
    expect(new Set(writer.pending)).toEqual(new Set([second.hash, extra.hash]));
    expect(writer.unresolved.size).toBe(0);
    expect(r.view.heads.get('f.txt')).toBe(first.hash);
  });

  it('turns Redis refusing the script into REDIS_UNAVAILABLE, outcome known (not unresolved)', async () => {
    const r = await synced();
    const writer = r.writer({ headObjects: async (head) => [head] });
    const head = own(r, 'refused');
    await redis.cmd.set(r.keys.heads, 'not a hash');
    const error = await failure(writer.updateHead('f.txt', null, head.hash));
    expect(error.code).toBe('REDIS_UNAVAILABLE');
    expect(error.message).toMatch(/^Redis is unavailable: Redis refused the head change of "f\.txt": .*WRONGTYPE/);
    expect((error.cause as Error).name).toBe('ReplyError');
    expect(writer.unresolved.size).toBe(0);
    expect([...writer.pending]).toEqual([head.hash]);
  });

  it('a CAS whose reply does not come in time is unresolved, then resolved as applied', async () => {
    const slow = await scriptClient(redis.port, { commandTimeout: 300 });
    extraClients.push(slow);
    const r = await synced({}, slow);
    const writer = r.writer({ headObjects: async (head) => [head] });
    const head = own(r, 'paused');
    const admin = await scriptClient(redis.port);
    extraClients.push(admin);
    await admin.call('CLIENT', 'PAUSE', '5000', 'WRITE');
    let error: Error & { code?: string };
    try {
      error = await failure(writer.updateHead('f.txt', null, head.hash));
    } finally {
      await admin.call('CLIENT', 'UNPAUSE');
    }
    expect(error.code).toBe('REDIS_UNAVAILABLE');
    expect(error.message).toBe('Redis is unavailable: the connection dropped while changing the head of "f.txt"; the outcome is resolved after reconnect');
    expect((error.cause as Error).message).toBe('Command timed out');
    expect([...writer.unresolved.values()]).toEqual([{ name: 'f.txt', next: head.hash }]);
    expect([...writer.pending]).toEqual([head.hash]);
    await writer.resolveUnresolved();
    expect(writer.unresolved.size).toBe(0);
    expect(writer.resolved).toEqual({ applied: 1, notApplied: 0 });
  });

  it('settled() waits for every change under way, failed ones included', async () => {
    const r = await synced();
    const writer = r.writer();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const gated = r.writer({ headObjects: async (head) => { await gate; return [head]; } });
    await writer.settled();
    const order: string[] = [];
    const change = gated.updateHead('f.txt', null, 'a'.repeat(40)).then(() => order.push('changed'));
    const failing = gated.updateHead('g.txt', 'b'.repeat(40), 'a'.repeat(40)).catch(() => order.push('failed'));
    const settled = gated.settled().then(() => order.push('settled'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(order).toEqual([]);
    release();
    await Promise.all([change, failing, settled]);
    expect(order.slice(2)).toEqual(['settled']);
    expect([...order.slice(0, 2)].sort()).toEqual(['changed', 'failed']);
    await gated.settled(); // nothing under way any more
  });
});

describe('HeadWriter after Redis lost the store', () => {
  it('re-seeds through the catch-up when the epoch moved, then applies', async () => {
    const r = await synced();
    const writer = r.writer();
    const before = r.state.epoch!;
    const moved = await runEpochSwap(redis.cmd, r.keys, before, 0, 'elsewhere', null);
    await writer.updateHead('f.txt', null, 'a'.repeat(40));
    expect(r.state.epoch).toBe(moved);
    expect(r.catchUp.counters.merges).toBe(2);
    expect(await redis.cmd.hget(r.keys.heads, 'f.txt')).toBe('a'.repeat(40));
  });

  it('gives up after three epochs in a row, having re-seeded twice', async () => {
    const r = await synced();
    let syncs = 0;
    const stuck = { sync: async () => void syncs++ } as unknown as CatchUp;
    const writer = r.writer({ catchUp: stuck, headObjects: async (head) => [head] });
    const head = own(r, 'stuck');
    r.state.epoch = '1:not-this-one';
    const error = await failure(writer.updateHead('f.txt', null, head.hash));
    expect(error.code).toBe('REDIS_UNAVAILABLE');
    expect(error.message).toBe('Redis is unavailable: the store\'s epoch in Redis keeps changing; the head of "f.txt" was not changed');
    expect(syncs).toBe(2);
    expect([...writer.pending]).toEqual([head.hash]);
  });

  it('fails (not changed) when the re-seeding fails', async () => {
    const r = await synced();
    const cause = new Error('gone again');
    const failing = { sync: async () => { throw cause; } } as unknown as CatchUp;
    const writer = r.writer({ catchUp: failing, headObjects: async (head) => [head] });
    const head = own(r, 'reseed');
    r.state.epoch = '1:not-this-one';
    const error = await failure(writer.updateHead('f.txt', null, head.hash));
    expect(error.message).toBe('Redis is unavailable: the connection dropped while re-seeding the store for the head change of "f.txt" (it was not changed)');
    expect(error.cause).toBe(cause);
    expect([...writer.pending]).toEqual([head.hash]);
  });

  it('says how long writes wait while the store settles', async () => {
    const r = await synced({ options: { settleMs: 60_000 } });
    const writer = r.writer({ headObjects: async (head) => [head] });
    const head = own(r, 'settling');
    const [seconds, micros] = await redis.cmd.time();
    await redis.cmd.set(r.keys.epochAt, String(Number(seconds) * 1000 + Math.floor(Number(micros) / 1000)));
    const error = await failure(writer.updateHead('f.txt', null, head.hash));
    expect(error.code).toBe('REDIS_UNAVAILABLE');
    const match = /^Redis is unavailable: Redis lost the store moments ago; writes resume in (\d+) ms, once every node has merged its heads \(the head of "f\.txt" was not changed\)$/.exec(error.message);
    expect(match).not.toBeNull();
    expect(Number(match![1])).toBeGreaterThan(50_000);
    expect(Number(match![1])).toBeLessThanOrEqual(60_000);
    expect([...writer.pending]).toEqual([head.hash]);
  });

  it('names the member it waits for after a loss', async () => {
    const r = await synced({ options: { settleMs: 1, mergeWaitMs: 600_000 } });
    const writer = r.writer({ headObjects: async (head) => [head] });
    const head = own(r, 'awaiting');
    const [seconds] = await redis.cmd.time();
    await redis.cmd.set(r.keys.epochAt, String(Number(seconds) * 1000 - 10_000));
    await redis.cmd.set(r.keys.lostFrom, '5');
    await redis.cmd.hset(r.keys.members, 'laggard', '7');
    const error = await failure(writer.updateHead('f.txt', null, head.hash));
    expect(error.code).toBe('REDIS_UNAVAILABLE');
    expect(error.message).toBe('Redis is unavailable: Redis lost the store; writes resume once node "laggard", active before the loss, has merged its heads (at most 600000 ms after the loss; the head of "f.txt" was not changed)');
    expect([...writer.pending]).toEqual([head.hash]);
  });
});

describe('HeadWriter with replica acknowledgements', () => {
  it('acknowledges once the replica has the change, and leaves it unresolved when too few replicas confirm', async () => {
    // Its own folder: a replica writes the master's data to dump.rdb in its working directory.
    const folder = await tempDir('gitty-redis-replica-');
    removers.push(folder.remove);
    const replica = await startRedisServer(['--replicaof', '127.0.0.1', String(redis.port), '--dir', folder.dir]);
    servers.push(replica);
    await waitFor(async () => /connected_slaves:1/.test(await redis.cmd.info('replication')) && /master_link_status:up/.test(await (await scriptClient(replica.port).then((c) => (extraClients.push(c), c))).info('replication')), 10_000, 50);
    const r = await synced({ options: { replicaAcks: 1, replicaAckTimeoutMs: 5_000 } });
    await r.writer().updateHead('f.txt', null, 'a'.repeat(40));
    expect(r.view.heads.get('f.txt')).toBe('a'.repeat(40));
    const two = await rig(redis.cmd, { storeId: r.keys.storeId, options: { replicaAcks: 2, replicaAckTimeoutMs: 100 } });
    two.state.epoch = r.state.epoch;
    const writer = two.writer();
    const error = await failure(writer.updateHead('g.txt', null, 'b'.repeat(40)));
    expect(error.code).toBe('REDIS_UNAVAILABLE');
    expect(error.message).toBe('Redis is unavailable: the head change of "g.txt" was not confirmed by 2 replica(s) within 100 ms; the outcome is resolved later');
    expect([...writer.unresolved.values()]).toEqual([{ name: 'g.txt', next: 'b'.repeat(40) }]);
    expect(two.view.heads.has('g.txt')).toBe(false);
    await writer.resolveUnresolved();
    expect(writer.resolved).toEqual({ applied: 1, notApplied: 0 });
  });

  it('a conflict is NOT_AT_HEAD without waiting for replicas', async () => {
    const r = await synced({ options: { replicaAcks: 1, replicaAckTimeoutMs: 50 } });
    await redis.cmd.hset(r.keys.heads, 'f.txt', 'c'.repeat(40));
    const writer = r.writer();
    const error = await failure(writer.updateHead('f.txt', null, 'a'.repeat(40)));
    expect(error.code).toBe('NOT_AT_HEAD');
    expect(writer.unresolved.size).toBe(0);
  });

  it('treats a failed WAIT as not confirmed', async () => {
    const r = await synced();
    const waiting = Object.create(redis.cmd, { wait: { value: async () => { throw new Error('no WAIT here'); } } }) as Redis;
    const writer = r.writer({ cmd: waiting, options: { ...r.options, replicaAcks: 1 } });
    const error = await failure(writer.updateHead('f.txt', null, 'a'.repeat(40)));
    expect(error.message).toBe('Redis is unavailable: the head change of "f.txt" was not confirmed by 1 replica(s) within 1000 ms; the outcome is resolved later');
    expect(writer.unresolved.size).toBe(1);
  });
});

describe('HeadWriter journals its own changes', () => {
  it('records each acknowledged change in the state\'s journal before acknowledging it', async () => {
    const made = await tempDir('gitty-redis-writer-');
    removers.push(made.remove);
    const r = await synced({ stateDir: made.dir, storeId: `journal-${process.pid}-${Date.now()}` });
    await r.writer().updateHead('f.txt', null, 'a'.repeat(40));
    const gen = r.state.epoch!.split(':')[0];
    const file = path.join(made.dir, `redis-replica-${r.keys.storeId}.json.own-0`);
    const text = await readFile(file, 'utf8').catch(async () => readFile(path.join(made.dir, `redis-replica-${r.keys.storeId}.json.own-1`), 'utf8'));
    expect(text).toBe(`${JSON.stringify(['f.txt', 'a'.repeat(40), `${gen}:1`])}\n`);
    await r.state.save();
  });
});

describe('HeadWriter.announcePending', () => {
  it('announces pending objects in batches of 200 without a head change', async () => {
    const r = await synced();
    const writer = r.writer();
    const blobs = Array.from({ length: 201 }, (_, i) => own(r, `loose ${i}`));
    for (const b of blobs) writer.pending.add(b.hash);
    await writer.announcePending();
    const entries = await streamOf(redis.cmd, r.keys);
    expect(entries.map((e) => [e.type, e.node, Object.keys(e).length - 3])).toEqual([['objects', 'n1', 200], ['objects', 'n1', 1]]);
    expect(writer.pending.size).toBe(0);
  });

  it('sends nothing for objects gone meanwhile, and nothing without a connection or an epoch', async () => {
    const r = await rig(redis.cmd);
    const writer = r.writer();
    writer.pending.add('a'.repeat(40));
    await writer.announcePending(); // no epoch yet
    expect([...writer.pending]).toEqual(['a'.repeat(40)]);
    await r.catchUp.sync();
    await writer.announcePending();
    expect(writer.pending.size).toBe(0);
    expect(await streamOf(redis.cmd, r.keys)).toEqual([]);
    const off = r.writer({ cmd: neverConnected() });
    off.pending.add('b'.repeat(40));
    await off.announcePending();
    expect([...off.pending]).toEqual(['b'.repeat(40)]);
  });

  it('keeps the objects pending when the epoch moved on', async () => {
    const r = await synced();
    const writer = r.writer();
    const b = own(r, 'moved');
    writer.pending.add(b.hash);
    await runEpochSwap(redis.cmd, r.keys, r.state.epoch!, 0, 'other', null);
    await writer.announcePending();
    expect([...writer.pending]).toEqual([b.hash]);
    expect(await streamOf(redis.cmd, r.keys)).toEqual([]);
  });

  it('a failing announcement before a CAS fails the change and keeps its own objects pending', async () => {
    const r = await synced();
    const writer = r.writer({ headObjects: async (head) => [head] });
    const head = own(r, 'head of a failed announce');
    for (let i = 0; i < 201; i++) writer.pending.add(own(r, `many ${i}`).hash);
    await redis.cmd.del(r.keys.stream);
    await redis.cmd.set(r.keys.stream, 'not a stream');
    const error = await failure(writer.updateHead('f.txt', null, head.hash));
    expect(error.code).toBe('REDIS_UNAVAILABLE');
    expect(error.message).toMatch(/^Redis is unavailable: cannot change the head of "f\.txt": .*WRONGTYPE/);
    expect((error.cause as Error).name).toBe('ReplyError');
    expect(writer.pending.has(head.hash)).toBe(true);
    expect(isGittyError(error, 'REDIS_UNAVAILABLE')).toBe(true);
  });
});

describe('HeadWriter.resolveUnresolved', () => {
  it('applied when its request key exists or the head is what it wrote; not applied otherwise', async () => {
    const r = await synced();
    const writer = r.writer();
    await redis.cmd.set(r.keys.requestKey('done'), 'x');
    await redis.cmd.hset(r.keys.heads, 'same.txt', 'a'.repeat(40), 'other.txt', 'c'.repeat(40));
    writer.unresolved.set('done', { name: 'nowhere.txt', next: 'b'.repeat(40) });
    writer.unresolved.set('same', { name: 'same.txt', next: 'a'.repeat(40) });
    writer.unresolved.set('other', { name: 'other.txt', next: 'b'.repeat(40) });
    writer.unresolved.set('deleted', { name: 'missing.txt', next: null });
    await writer.resolveUnresolved();
    expect(writer.resolved).toEqual({ applied: 2, notApplied: 2 });
    expect(writer.unresolved.size).toBe(0);
  });

  it('counts a change once when two settle it at the same time', async () => {
    const r = await synced();
    const writer = r.writer();
    writer.unresolved.set('x', { name: 'f.txt', next: 'a'.repeat(40) });
    await Promise.all([writer.resolveUnresolved(), writer.resolveUnresolved()]);
    expect(writer.resolved).toEqual({ applied: 0, notApplied: 1 });
  });
});
