import { describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import type { HeadChange } from '@gitty/core';
import { runEpochSwap } from '../src/cas-script.js';
import { generationOf } from '../src/keys.js';
import { corrupt, rawBlob, rig, useScriptServer, type Rig } from './support/replica-parts.js';

// Catching a node up with Redis (CatchUp) against a real redis-server, with a memory inner
// store and a hand-written stream: the first sync, merges and adoption after a loss, each way
// Redis is found rolled back, every kind of entry (and every malformed one) applied exactly,
// gaps answered with a reconcile, and the backfill of adopted heads.

const redis = useScriptServer();
const { synced } = redis;

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);

/** Append an entry numbered by the store's counter (or `seq` as given); resolves its id. */
async function entry(r: Rig, fields: Record<string, string | Buffer>, seq?: string): Promise<string> {
  const n = seq ?? String(await redis.cmd.incr(r.keys.seq));
  const flat = Object.entries({ seq: n, ...fields }).flat();
  return (await redis.cmd.xadd(r.keys.stream, '*', ...flat))!;
}

const gen = (r: Rig) => generationOf(r.state.epoch);

describe('CatchUp.sync', () => {
  it('seeds a Redis that has no store: a generation from Redis\'s clock, joined, nothing lost', async () => {
    const r = await rig(redis.cmd);
    const [seconds] = await redis.cmd.time();
    await r.catchUp.sync();
    const epoch = r.state.epoch!;
    expect(epoch).toMatch(/^\d+:[0-9a-f]{12}$/);
    expect(Math.abs(generationOf(epoch) - Number(seconds) * 1000)).toBeLessThan(5_000);
    expect(await redis.cmd.get(r.keys.epoch)).toBe(epoch);
    expect(r.catchUp.synced).toBe(true);
    expect(r.catchUp.joined).toBe(epoch);
    expect(r.catchUp.counters).toEqual({ replicated: 0, duplicates: 0, rejected: 0, malformed: 0, reconciles: 0, merges: 1, rollbacks: 0 });
    expect(await redis.cmd.hgetall(r.keys.members)).toEqual({ n1: String(generationOf(epoch)) });
    expect(await redis.cmd.exists(r.keys.epochAt, r.keys.lostFrom)).toBe(0);
    expect(r.state.cursor).toBe('0-0');
    expect(r.state.seq).toBe(0);
  });

  it('merges its heads and tombstones into a new generation; a head of unknown origin as 0:0', async () => {
    const r = await rig(redis.cmd);
    r.view.set('known.txt', A, false);
    r.state.stamps.set('known.txt', [A, '3:4']);
    r.view.set('unknown.txt', B, false);
    r.view.set('moved.txt', C, false);
    r.state.stamps.set('moved.txt', [A, '3:5']); // the stamp of another head: unknown
    r.state.stamps.set('gone.txt', [null, '3:6']);
    r.state.stamps.set('never.txt', [null, '0:0']); // deleted, origin unknown: nothing to bring
    await r.catchUp.sync();
    expect(await redis.cmd.hgetall(r.keys.heads)).toEqual({ 'known.txt': A, 'unknown.txt': B, 'moved.txt': C });
    expect(await redis.cmd.hgetall(r.keys.stamps)).toEqual({ 'known.txt': '3:4', 'unknown.txt': '0:0', 'moved.txt': '0:0', 'gone.txt': '3:6' });
    expect(r.state.stamps.get('gone.txt')).toEqual([null, '3:6']);
    expect(r.state.seq).toBe(3);
    expect(r.calls.ensured).toEqual([B, C]); // adopted with Redis's stamps; not here
  });

  it('merges more names than one script call takes', async () => {
    const r = await rig(redis.cmd);
    for (let i = 0; i < 650; i++) r.view.set(`f${i}.txt`, A, false);
    await r.catchUp.sync();
    expect(await redis.cmd.hlen(r.keys.heads)).toBe(650);
    expect(r.view.heads.size).toBe(650);
  });

  it('adopts the heads and stamps Redis has after the merge, fetching those it lacks', async () => {
    const first = await synced();
    const local = rawBlob('already here');
    await redis.cmd.hset(first.keys.heads, 'a.txt', A, 'b.txt', local.hash);
    const future = `${gen(first) + 1000}:9`;
    await redis.cmd.hset(first.keys.stamps, 'a.txt', `${gen(first)}:1`, 'b.txt', future, 'gone.txt', `${gen(first)}:2`);
    await redis.cmd.hset(first.keys.members, 'other', '17', 'bogus', 'x');
    const r = await rig(redis.cmd, { storeId: first.keys.storeId, node: 'n2' });
    r.local.set(local.hash, local.raw);
    r.state.members.set('known', 9);
    r.state.members.set('other', 20);
    const changes: HeadChange[] = [];
    r.view.watch((c) => changes.push(c));
    await r.catchUp.sync();
    await r.catchUp.backfilled();
    expect(Object.fromEntries(r.view.heads)).toEqual({ 'a.txt': A, 'b.txt': local.hash });
    expect(r.state.stamps.get('a.txt')).toEqual([A, `${gen(first)}:1`]);
    expect(r.state.stamps.get('b.txt')).toEqual([local.hash, `${gen(first)}:0`]);
    expect(r.state.stamps.get('gone.txt')).toEqual([null, `${gen(first)}:2`]);
    expect(r.calls.remembered).toEqual([A, local.hash]);
    expect(r.calls.ensured).toEqual([A]);
    expect(changes).toEqual([{ name: 'a.txt', old: null, new: A }, { name: 'b.txt', old: null, new: local.hash }]);
    expect(r.state.epoch).toBe(first.state.epoch);
    expect(r.catchUp.counters.merges).toBe(1);
    // Members: Redis's added to those it knew, the higher generation kept; then Redis's after the join.
    expect(await redis.cmd.hgetall(r.keys.members)).toEqual({ n1: String(gen(first)), n2: String(gen(first)), other: '20', bogus: 'x', known: '9' });
  });

  it('adopts nothing it already has with the same stamp', async () => {
    const first = await synced();
    await redis.cmd.hset(first.keys.heads, 'a.txt', A);
    await redis.cmd.hset(first.keys.stamps, 'a.txt', `${gen(first)}:1`);
    const r = await rig(redis.cmd, { storeId: first.keys.storeId, node: 'n2' });
    r.view.set('a.txt', A, false);
    r.state.stamps.set('a.txt', [A, `${gen(first)}:1`]);
    r.local.set(A, new Uint8Array(1));
    await r.catchUp.sync();
    expect(r.calls.remembered).toEqual([]);
  });

  it('a node restarted in the epoch it followed neither merges nor starts a generation', async () => {
    const first = await synced();
    const r = await rig(redis.cmd, { storeId: first.keys.storeId, node: 'n2' });
    r.state.epoch = first.state.epoch;
    await r.catchUp.sync();
    expect(r.state.epoch).toBe(first.state.epoch);
    expect(r.catchUp.counters.merges).toBe(0);
    expect(r.catchUp.joined).toBe(first.state.epoch);
    expect(await redis.cmd.hget(first.keys.members, 'n2')).toBe(String(gen(first)));
  });

  it('joins an epoch once: a later sync in it does not join again', async () => {
    const r = await synced();
    await redis.cmd.hdel(r.keys.members, 'n1');
    await r.catchUp.sync();
    expect(await redis.cmd.hgetall(r.keys.members)).toEqual({});
  });

  it('adopts Redis\'s newer stamp of a head it already has', async () => {
    const first = await synced();
    await redis.cmd.hset(first.keys.heads, 'f.txt', A);
    await redis.cmd.hset(first.keys.stamps, 'f.txt', `${gen(first)}:9`);
    const r = await rig(redis.cmd, { storeId: first.keys.storeId, node: 'n2' });
    r.view.set('f.txt', A, false);
    r.state.stamps.set('f.txt', [A, '3:4']);
    r.local.set(A, new Uint8Array(1));
    await r.catchUp.sync();
    expect(r.state.stamps.get('f.txt')).toEqual([A, `${gen(first)}:9`]);
  });

  it('starts a generation above its own when Redis has an older one', async () => {
    const r = await synced();
    const old = r.state.epoch!;
    const mine = generationOf(old) + 10_000_000;
    r.state.epoch = `${mine}:mine`;
    await r.catchUp.sync();
    expect(r.state.epoch).toMatch(new RegExp(`^${mine + 1}:[0-9a-f]{12}$`));
    expect(await redis.cmd.get(r.keys.lostFrom)).toBe(String(mine));
    expect(Number(await redis.cmd.get(r.keys.epochAt))).toBeGreaterThan(0);
    expect(r.catchUp.counters.merges).toBe(2);
    expect(r.catchUp.counters.rollbacks).toBe(0);
  });

  it('joins a newer generation without starting one', async () => {
    const r = await synced();
    const next = await runEpochSwap(redis.cmd, r.keys, r.state.epoch!, 0, 'newer', null);
    await r.catchUp.sync();
    expect(r.state.epoch).toBe(next);
    expect(r.catchUp.joined).toBe(next);
    expect(r.catchUp.counters.merges).toBe(2);
  });

  it('gives up when the epoch keeps changing', async () => {
    const r = await synced();
    let reads = 0;
    const wrapped = Object.create(redis.cmd, {
      get: { value: async (key: string) => (key === r.keys.epoch ? (reads++, `${gen(r) + 5}:phantom`) : redis.cmd.get(key)) },
    }) as Redis;
    const s = await rig(wrapped, { storeId: r.keys.storeId, node: 'n2' });
    s.state.epoch = r.state.epoch;
    await expect(s.catchUp.sync()).rejects.toThrow(/^the Redis epoch kept changing during sync$/);
    expect(reads).toBe(5);
    expect(s.catchUp.synced).toBe(false);
  });
});

describe('CatchUp.verify (the idle check)', () => {
  it('does nothing while Redis is the one it followed', async () => {
    const r = await synced();
    const epoch = r.state.epoch;
    await entry(r, { type: 'objects', node: 'n9' });
    await r.catchUp.catchUp();
    await r.catchUp.verify();
    expect(r.state.epoch).toBe(epoch);
    expect(r.catchUp.counters.merges).toBe(1);
  });

  it('syncs when it has not synced yet', async () => {
    const r = await rig(redis.cmd);
    await r.catchUp.verify();
    expect(r.catchUp.synced).toBe(true);
    expect(r.state.epoch).not.toBeNull();
  });

  it('re-seeds when the epoch changed', async () => {
    const r = await synced();
    const next = await runEpochSwap(redis.cmd, r.keys, r.state.epoch!, 0, 'flushed', null);
    await r.catchUp.verify();
    expect(r.state.epoch).toBe(next);
  });

  it('takes another redis-server process (run id) as a rollback', async () => {
    const r = await synced();
    const epoch = r.state.epoch;
    await redis.cmd.set(r.keys.server, 'f00d');
    await r.catchUp.verify();
    expect(r.state.epoch).not.toBe(epoch);
    expect(generationOf(r.state.epoch)).toBeGreaterThan(generationOf(epoch));
    expect(r.catchUp.counters).toMatchObject({ merges: 2, rollbacks: 1 });
    expect(await redis.cmd.get(r.keys.lostFrom)).toBe(String(generationOf(epoch)));
  });

  it('takes a counter below what it saw as a rollback', async () => {
    const r = await synced();
    const epoch = r.state.epoch;
    r.state.ownSeq = 3;
    await redis.cmd.set(r.keys.seq, '2');
    await r.catchUp.verify();
    expect(r.state.epoch).not.toBe(epoch);
    expect(r.catchUp.counters.rollbacks).toBe(1);
  });

  it('a counter at what it saw is no rollback', async () => {
    const r = await synced();
    r.state.ownSeq = 2;
    await redis.cmd.set(r.keys.seq, '2');
    await r.catchUp.verify();
    expect(r.catchUp.counters.rollbacks).toBe(0);
  });

  it('takes the entry at its cursor vanishing from an untrimmed stream as a rollback', async () => {
    const r = await synced();
    const epoch = r.state.epoch;
    const first = await entry(r, { type: 'objects', node: 'n9' });
    const second = await entry(r, { type: 'objects', node: 'n9' });
    await r.catchUp.catchUp();
    expect(r.state.cursor).toBe(second);
    await redis.cmd.xdel(r.keys.stream, second);
    await r.catchUp.verify();
    expect(r.state.epoch).not.toBe(epoch);
    expect(r.catchUp.counters.rollbacks).toBe(1);
    expect(first).not.toBe(second);
  });

  it('a stream emptied entirely behind its cursor is no rollback', async () => {
    const r = await synced();
    await entry(r, { type: 'objects', node: 'n9' });
    await r.catchUp.catchUp();
    await redis.cmd.xtrim(r.keys.stream, 'MAXLEN', 0);
    await r.catchUp.verify();
    expect(r.catchUp.counters).toMatchObject({ rollbacks: 0, merges: 1 });
  });

  it('a stream trimmed past its cursor, or one at its start, is no rollback', async () => {
    const r = await synced();
    const first = await entry(r, { type: 'objects', node: 'n9' });
    await r.catchUp.catchUp();
    await entry(r, { type: 'objects', node: 'n9' });
    await redis.cmd.xdel(r.keys.stream, first);
    await r.catchUp.verify();
    expect(r.catchUp.counters.rollbacks).toBe(0);
    const fresh = await synced();
    await redis.cmd.xadd(fresh.keys.stream, '*', 'seq', '0', 'type', 'x');
    await fresh.catchUp.verify();
    expect(fresh.catchUp.counters.rollbacks).toBe(0);
    expect(fresh.state.cursor).toBe('0-0');
  });
});

describe('CatchUp applying entries', () => {
  it('holds the objects of an entry, counts them, and moves the cursor and sequence', async () => {
    const r = await synced();
    const inline = rawBlob('inline');
    const keyed = rawBlob('through a key');
    const expired = rawBlob('expired');
    await redis.cmd.set(r.keys.objectKey(keyed.hash), Buffer.from(keyed.raw));
    const id = await entry(r, {
      type: 'objects', node: 'n9', [`o:${inline.hash}`]: Buffer.from(inline.raw), [`r:${keyed.hash}`]: '', [`r:${expired.hash}`]: '', 'x:ignored': 'y', 'o:nothex': 'z',
    });
    await r.catchUp.catchUp();
    expect(r.calls.held.sort()).toEqual([inline.hash, keyed.hash].sort());
    expect(r.calls.remembered).toEqual([inline.hash, keyed.hash, expired.hash]);
    expect(r.catchUp.counters).toMatchObject({ replicated: 2, malformed: 1, duplicates: 0, rejected: 0 });
    expect(r.calls.rejected).toEqual([]);
    expect(r.state.cursor).toBe(id);
    expect(r.state.seq).toBe(1);
    expect(r.calls.rooms).toBe(1);
  });

  it('counts objects it already has as duplicates, unless they are its own', async () => {
    const r = await synced();
    const b = rawBlob('have it');
    r.local.set(b.hash, b.raw);
    await entry(r, { type: 'objects', node: 'n9', [`o:${b.hash}`]: Buffer.from(b.raw) });
    await entry(r, { type: 'objects', node: 'n1', [`o:${b.hash}`]: Buffer.from(b.raw) });
    await r.catchUp.catchUp();
    expect(r.catchUp.counters).toMatchObject({ duplicates: 1, replicated: 0 });
    expect(r.calls.held).toEqual([]);
  });

  it('its own announcement of an object it has is no duplicate; one without a node is', async () => {
    const r = await synced();
    const b = rawBlob('own');
    r.local.set(b.hash, b.raw);
    await entry(r, { type: 'objects', node: 'n1', [`o:${b.hash}`]: Buffer.from(b.raw) });
    await r.catchUp.catchUp();
    expect(r.catchUp.counters.duplicates).toBe(0);
    await entry(r, { type: 'objects', [`o:${b.hash}`]: Buffer.from(b.raw) });
    await r.catchUp.catchUp();
    expect(r.catchUp.counters.duplicates).toBe(1);
    expect(r.state.seq).toBe(2);
  });

  it('rejects a damaged object and tells the fetcher; other failures stop the apply', async () => {
    const r = await synced();
    const b = rawBlob('damaged');
    await entry(r, { type: 'objects', node: 'n9', [`o:${b.hash}`]: Buffer.from(rawBlob('other').raw) });
    await r.catchUp.catchUp();
    expect(r.catchUp.counters).toMatchObject({ rejected: 1, replicated: 0 });
    expect(r.calls.rejected).toEqual([b.hash]);
    expect(r.state.seq).toBe(1);

    const failing = await rig(redis.cmd, { storeId: r.keys.storeId, node: 'n3', deps: { holdVerified: () => { throw new Error('disk on fire'); } } });
    failing.state.epoch = r.state.epoch;
    failing.catchUp.joined = r.state.epoch;
    await expect(failing.catchUp.onEntries((await redis.cmd.xrangeBuffer(r.keys.stream, '-', '+')).map(([id, f]) => ({ id: id.toString(), fields: new Map([[f[0]!.toString(), f[1]!], [f[2]!.toString(), f[3]!], [f[4]!.toString(), f[5]!], [f[6]!.toString(), f[7]!]]) }))))
      .rejects.toThrow('disk on fire');
    expect(failing.state.seq).toBe(0);
    const rejectedOnce = await rig(redis.cmd, { storeId: r.keys.storeId, node: 'n4', deps: { holdVerified: (hash) => { throw corrupt(hash); } } });
    rejectedOnce.state.epoch = r.state.epoch;
    await rejectedOnce.catchUp.catchUp();
    expect(rejectedOnce.catchUp.counters.rejected).toBe(1);
  });

  it('applies head entries, telling listeners of other nodes\' changes only', async () => {
    const r = await synced();
    const changes: HeadChange[] = [];
    r.view.watch((c) => changes.push(c));
    await entry(r, { type: 'head', name: 'a.txt', old: '', new: A, node: 'n9', stamp: `${gen(r)}:1` });
    await entry(r, { type: 'head', name: 'b.txt', old: '', new: B, node: 'n1', stamp: `${gen(r)}:2` });
    await entry(r, { type: 'head', name: 'a.txt', old: A, new: '', node: 'n9', stamp: `${gen(r)}:3` });
    await r.catchUp.catchUp();
    expect(Object.fromEntries(r.view.heads)).toEqual({ 'b.txt': B });
    expect(changes).toEqual([{ name: 'a.txt', old: null, new: A }, { name: 'a.txt', old: A, new: null }]);
    expect(r.calls.remembered).toEqual([A, B]);
    expect(r.state.stamps.get('a.txt')).toEqual([null, `${gen(r)}:3`]);
    expect(r.state.seq).toBe(3);
  });

  it('counts malformed entries and moves past them, the sequence unchanged', async () => {
    const r = await synced();
    await entry(r, { type: 'objects', node: 'n9' }, 'x');
    await entry(r, { type: 'objects', node: 'n9' }, '0');
    await entry(r, { type: 'objects', node: 'n9' }, '1.5');
    await entry(r, { type: 'unknown', node: 'n9' }, '1');
    await redis.cmd.xadd(r.keys.stream, '*', 'seq', '1', 'node', 'n9'); // no type
    const last = await redis.cmd.xadd(r.keys.stream, '*', 'type', 'head');
    await r.catchUp.catchUp();
    expect(r.catchUp.counters.malformed).toBe(6);
    expect(r.state.cursor).toBe(last);
    expect(r.state.seq).toBe(0);
  });

  it('counts malformed head entries (name, stamp, head) without applying them', async () => {
    const r = await synced();
    const g = gen(r);
    await entry(r, { type: 'head', name: '', new: A, node: 'n9', stamp: `${g}:1` });
    await entry(r, { type: 'head', name: 'a.txt', new: A, node: 'n9', stamp: `${g}:9` }); // beyond its own number
    await entry(r, { type: 'head', name: 'b.txt', new: A, node: 'n9', stamp: `${g + 1}:1` }); // a later generation
    await entry(r, { type: 'head', name: 'c.txt', new: 'not-a-hash', node: 'n9', stamp: `${g}:4` });
    await entry(r, { type: 'head', name: 'd.txt', new: A, node: 'n9', stamp: 'nonsense' });
    await entry(r, { type: 'head', name: 'e.txt', new: A, node: 'n9', stamp: `${g}:6x` });
    await entry(r, { type: 'head', name: 'ok.txt', new: A, node: 'n9', stamp: `${g}:7` }); // at its own number
    await entry(r, { type: 'head', name: 'old.txt', new: B, node: 'n9', stamp: `${g - 1}:99` }); // an older generation
    await entry(r, { type: 'head', name: 'x.txt', new: A, node: 'n9', stamp: `x${g}:9` }); // not anchored at the start
    await entry(r, { type: 'head', new: A, node: 'n9', stamp: `${g}:10` }); // no name
    await entry(r, { type: 'head', name: 'ok.txt', node: 'n9', stamp: `${g}:11` }); // no new head: a deletion
    await r.catchUp.catchUp();
    expect(r.catchUp.counters.malformed).toBe(8);
    expect(Object.fromEntries(r.view.heads)).toEqual({ 'old.txt': B });
    expect(r.state.stamps.get('ok.txt')).toEqual([null, `${g}:11`]);
    expect(r.state.seq).toBe(11);
  });

  it('skips entries at or before its cursor, and counts copies of applied entries once probed', async () => {
    const r = await synced();
    const first = await entry(r, { type: 'head', name: 'a.txt', new: A, node: 'n9', stamp: `${gen(r)}:1` });
    await r.catchUp.catchUp();
    const copy = await redis.cmd.xadd(r.keys.stream, '*', 'seq', '1', 'type', 'head', 'name', 'a.txt', 'new', B, 'node', 'n9', 'stamp', `${gen(r)}:1`);
    const copy2 = await redis.cmd.xadd(r.keys.stream, '*', 'seq', '1', 'type', 'objects', 'node', 'n9');
    const entries = (await redis.cmd.xrangeBuffer(r.keys.stream, '-', '+')).map(([id, f]) => {
      const fields = new Map<string, Buffer>();
      for (let i = 0; i + 1 < f.length; i += 2) fields.set(f[i]!.toString(), f[i + 1]!);
      return { id: id.toString(), fields };
    });
    await r.catchUp.onEntries(entries);
    expect(entries[0]!.id).toBe(first);
    expect(r.catchUp.counters.duplicates).toBe(2);
    expect(r.state.cursor).toBe(copy2);
    expect(copy).not.toBe(copy2);
    expect(r.view.heads.get('a.txt')).toBe(A);
    expect(r.catchUp.counters.rollbacks).toBe(0);
  });

  it('a copy numbered below its sequence after a rollback re-seeds instead', async () => {
    const r = await synced();
    await entry(r, { type: 'objects', node: 'n9' });
    await r.catchUp.catchUp();
    const epoch = r.state.epoch;
    await redis.cmd.set(r.keys.server, 'beef');
    const id = await redis.cmd.xadd(r.keys.stream, '*', 'seq', '1', 'type', 'objects', 'node', 'n9');
    await r.catchUp.onEntries([{ id: id!, fields: new Map([['seq', Buffer.from('1')], ['type', Buffer.from('objects')]]) }]);
    expect(r.state.epoch).not.toBe(epoch);
    expect(r.catchUp.counters).toMatchObject({ duplicates: 0, rollbacks: 1 });
    expect(r.catchUp.synced).toBe(true);
  });

  it('answers a gap in the numbers with a reconcile: Redis\'s heads, stamps, cursor and counter', async () => {
    const r = await synced();
    r.view.set('local-only.txt', C, false);
    r.state.stamps.set('stale.txt', [A, '1:1']);
    await redis.cmd.hset(r.keys.heads, 'a.txt', A, 'b.txt', B);
    await redis.cmd.hset(r.keys.stamps, 'a.txt', `${gen(r)}:1`, 'b.txt', `${gen(r) + 7}:3`, 'gone.txt', `${gen(r)}:2`);
    r.local.set(B, new Uint8Array(1));
    await redis.cmd.set(r.keys.seq, '4');
    const last = await redis.cmd.xadd(r.keys.stream, '*', 'seq', '5', 'type', 'objects', 'node', 'n9');
    const changes: HeadChange[] = [];
    r.view.watch((c) => changes.push(c));
    await r.catchUp.catchUp();
    await r.catchUp.backfilled();
    expect(Object.fromEntries(r.view.heads)).toEqual({ 'a.txt': A, 'b.txt': B });
    expect(Object.fromEntries(r.state.stamps)).toEqual({ 'a.txt': [A, `${gen(r)}:1`], 'b.txt': [B, `${gen(r)}:0`], 'gone.txt': [null, `${gen(r)}:2`] });
    expect(r.state.cursor).toBe(last);
    expect(r.state.seq).toBe(4);
    expect(r.catchUp.counters.reconciles).toBe(1);
    expect(r.calls.ensured).toEqual([A]);
    expect(r.calls.remembered).toEqual([A, B]);
    expect(changes).toEqual([{ name: 'a.txt', old: null, new: A }, { name: 'b.txt', old: null, new: B }, { name: 'local-only.txt', old: C, new: null }]);
  });

  it('reconciles a stream trimmed (or deleted) behind a counter that is ahead', async () => {
    const r = await synced();
    await redis.cmd.hset(r.keys.heads, 'a.txt', A);
    await redis.cmd.set(r.keys.seq, '3');
    await r.catchUp.catchUp();
    expect(r.catchUp.counters.reconciles).toBe(1);
    expect(r.state.cursor).toBe('0-0');
    expect(r.state.seq).toBe(3);
    expect(r.view.heads.get('a.txt')).toBe(A);
    await r.catchUp.catchUp();
    expect(r.catchUp.counters.reconciles).toBe(1);
  });

  it('a reconcile that finds a new epoch re-seeds', async () => {
    const r = await synced();
    const id = await redis.cmd.xadd(r.keys.stream, '*', 'seq', '3', 'type', 'objects', 'node', 'n9');
    const next = await runEpochSwap(redis.cmd, r.keys, r.state.epoch!, 0, 'swapped', null);
    await r.catchUp.onEntries([{ id: id!, fields: new Map([['seq', Buffer.from('3')], ['type', Buffer.from('objects')]]) }]);
    expect(r.state.epoch).toBe(next);
    expect(r.catchUp.counters.reconciles).toBe(0);
    expect(r.catchUp.synced).toBe(true);
  });

  it('entries read before the first sync sync first', async () => {
    const r = await rig(redis.cmd);
    await r.catchUp.onEntries([{ id: '1-1', fields: new Map([['seq', Buffer.from('1')], ['type', Buffer.from('objects')]]) }]);
    expect(r.state.epoch).not.toBeNull();
    expect(r.catchUp.synced).toBe(true);
    expect(r.catchUp.joined).toBe(r.state.epoch);
  });

  it('replays more entries than one page', async () => {
    const r = await synced();
    for (let i = 0; i < 1_100; i++) await entry(r, { type: 'objects', node: 'n9' });
    await r.catchUp.catchUp();
    expect(r.state.seq).toBe(1_100);
    expect(r.catchUp.counters.reconciles).toBe(0);
  });
});

describe('CatchUp members', () => {
  it('learns Redis\'s members once joined, skipping values that are no generations', async () => {
    const r = await synced();
    r.state.members.set('forgotten', 5);
    await redis.cmd.hset(r.keys.members, 'other', '12', 'bad', 'twelve');
    await r.catchUp.catchUp();
    expect(Object.fromEntries(r.state.members)).toEqual({ n1: gen(r), other: 12 });
    const notJoined = await rig(redis.cmd, { storeId: r.keys.storeId, node: 'n5' });
    notJoined.state.epoch = r.state.epoch;
    notJoined.catchUp.synced = true;
    notJoined.state.members.set('mine', 1);
    await notJoined.catchUp.catchUp();
    expect(Object.fromEntries(notJoined.state.members)).toEqual({ mine: 1 });
  });
});

describe('CatchUp backfill and locking', () => {
  it('fetches adopted heads 32 at a time, and stops between batches once stopped', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const ensured: string[] = [];
    const first = await synced();
    const heads: string[] = [];
    for (let i = 0; i < 40; i++) heads.push(i.toString(16).padStart(40, 'e'));
    for (const [i, h] of heads.entries()) await redis.cmd.hset(first.keys.heads, `f${i}.txt`, h);
    const r = await rig(redis.cmd, { storeId: first.keys.storeId, node: 'n2', deps: { ensureHead: async (h) => { ensured.push(h); await gate; } } });
    await r.catchUp.sync();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(ensured).toHaveLength(32);
    r.catchUp.stop();
    release();
    await r.catchUp.backfilled();
    expect(ensured).toHaveLength(32);
    const again = await rig(redis.cmd, { storeId: first.keys.storeId, node: 'n3', deps: { ensureHead: async (h) => void ensured.push(h) } });
    await again.catchUp.sync();
    await again.catchUp.backfilled();
    expect(ensured).toHaveLength(72);
  });

  it('backfilled() resolves only once the adopted heads\' objects were fetched', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const first = await synced();
    await redis.cmd.hset(first.keys.heads, 'f.txt', A);
    const r = await rig(redis.cmd, { storeId: first.keys.storeId, node: 'n2', deps: { ensureHead: async () => gate } });
    await r.catchUp.sync();
    let done = false;
    const waiting = r.catchUp.backfilled().then(() => (done = true));
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(done).toBe(false);
    release();
    await waiting;
    expect(done).toBe(true);
  });

  it('runs tasks one at a time, a failed one not blocking the next', async () => {
    const r = await rig(redis.cmd);
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const one = r.catchUp.exclusive(async () => { await gate; order.push('one'); throw new Error('failed'); });
    const two = r.catchUp.exclusive(async () => { order.push('two'); return 2; });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(order).toEqual([]);
    release();
    await expect(one).rejects.toThrow('failed');
    expect(await two).toBe(2);
    expect(order).toEqual(['one', 'two']);
  });
});

describe('CatchUp when Redis answers with an error', () => {
  // Each read of a transaction fails alone (a key of the wrong type): the error is Redis's own.
  for (const key of ['stream', 'seq', 'epoch', 'members'] as const) {
    it(`a replay fails with Redis's error when the ${key} key is of the wrong type`, async () => {
      const r = await synced();
      const name = r.keys[key];
      await redis.cmd.del(name);
      if (key === 'stream' || key === 'members') await redis.cmd.set(name, 'wrong type');
      else await redis.cmd.hset(name, 'wrong', 'type');
      await expect(r.catchUp.catchUp()).rejects.toThrow(/^WRONGTYPE/);
    });
  }

  it('the idle check fails with Redis\'s error', async () => {
    const r = await synced();
    await redis.cmd.del(r.keys.members);
    await redis.cmd.set(r.keys.members, 'wrong type');
    await expect(r.catchUp.verify()).rejects.toThrow(/^WRONGTYPE/);
  });

  it('a reconcile fails with Redis\'s error', async () => {
    const r = await synced();
    await redis.cmd.set(r.keys.stamps, 'wrong type');
    await redis.cmd.set(r.keys.seq, '5');
    await expect(r.catchUp.catchUp()).rejects.toThrow(/^WRONGTYPE/);
    expect(r.catchUp.counters.reconciles).toBe(0);
  });

  it('the adoption after a merge fails with Redis\'s error', async () => {
    const r = await rig(redis.cmd);
    await redis.cmd.set(r.keys.members, 'wrong type');
    await expect(r.catchUp.sync()).rejects.toThrow(/^WRONGTYPE/);
    expect(r.state.epoch).toBeNull();
  });
});
