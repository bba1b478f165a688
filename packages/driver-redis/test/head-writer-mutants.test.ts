import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { KnownObjects } from '../src/driver-support.js';
import { own, scriptClient, streamOf, useScriptServer } from './support/replica-parts.js';

// Survivors of the s5-rd mutation run in head-writer.ts, each pinned by what a caller (or Redis)
// can see: what a head deletion carries and leaves pending, whether a WAIT is sent at all with
// replicaAcks 0, what a deletion does to the known hashes, and each way a lost reply settles.

const redis = useScriptServer();
const { synced } = redis;
const extraClients: Redis[] = [];

// Registered after useScriptServer's, so it runs first: these go before the script client.
afterAll(() => {
  for (const c of extraClients.splice(0)) c.disconnect();
});

describe('HeadWriter deleting a head (next null)', () => {
  it('carries all 200 pending objects with the deletion and reads only those', async () => {
    const r = await synced();
    const read: string[] = [];
    const writer = r.writer({ localRaw: async (hash) => (read.push(hash), r.local.get(hash)) });
    await writer.updateHead('f.txt', null, 'a'.repeat(40));
    const blobs = Array.from({ length: 200 }, (_, i) => own(r, `pending ${i}`));
    for (const b of blobs) writer.pending.add(b.hash);
    read.length = 0;
    await writer.updateHead('f.txt', 'a'.repeat(40), null);
    // No own objects for a deletion: the whole allowance of 200 goes to pending ones.
    const entries = await streamOf(redis.cmd, r.keys);
    expect(entries.slice(1).map((e) => [e.type, Object.keys(e).filter((k) => k.startsWith('o:')).length])).toEqual([['objects', 200], ['head', 0]]);
    expect(writer.pending.size).toBe(0);
    expect(read).toEqual(blobs.map((b) => b.hash));
  });

  it('a refused deletion gives back exactly the pending objects it took', async () => {
    const r = await synced();
    const writer = r.writer();
    const extra = own(r, 'extra');
    await redis.cmd.hset(r.keys.heads, 'f.txt', 'c'.repeat(40));
    writer.pending.add(extra.hash);
    await expect(writer.updateHead('f.txt', 'a'.repeat(40), null)).rejects.toMatchObject({ code: 'NOT_AT_HEAD' });
    expect([...writer.pending]).toEqual([extra.hash]);
  });

  it('does not spend a slot of the known hashes on the deletion', async () => {
    const r = await synced();
    // A ring of one: anything added pushes the remembered hash out.
    const known = new KnownObjects(1);
    const writer = r.writer({ known });
    await writer.updateHead('f.txt', null, 'a'.repeat(40));
    expect(known.has('a'.repeat(40))).toBe(true);
    await writer.updateHead('f.txt', 'a'.repeat(40), null);
    expect(known.has('a'.repeat(40))).toBe(true);
  });
});

describe('HeadWriter with replicaAcks 0', () => {
  it('sends no WAIT: a Redis user not allowed to run WAIT still changes heads', async () => {
    const user = `nowait-${process.pid}`;
    await redis.cmd.call('ACL', 'SETUSER', user, 'on', '>secret', '~*', '&*', '+@all', '-wait');
    const limited = await scriptClient(redis.port, { username: user, password: 'secret' });
    extraClients.push(limited);
    await expect(limited.wait(0, 10)).rejects.toThrow(/NOPERM/);
    const r = await synced({ options: { replicaAcks: 0 } }, limited);
    const writer = r.writer();
    await writer.updateHead('f.txt', null, 'a'.repeat(40));
    expect(writer.unresolved.size).toBe(0);
    expect(r.view.heads.get('f.txt')).toBe('a'.repeat(40));
  });

  it('sends no WAIT at all (counted on the client)', async () => {
    const r = await synced();
    let waits = 0;
    const counting = Object.create(redis.cmd, { wait: { value: async () => (waits++, 0) } }) as Redis;
    await r.writer({ cmd: counting }).updateHead('f.txt', null, 'a'.repeat(40));
    expect(waits).toBe(0);
  });
});

describe('HeadWriter.resolveUnresolved, each case alone', () => {
  it('a change whose request key is gone is applied when the head is what it wrote', async () => {
    const r = await synced();
    const writer = r.writer();
    await redis.cmd.hset(r.keys.heads, 'same.txt', 'a'.repeat(40));
    writer.unresolved.set('same', { name: 'same.txt', next: 'a'.repeat(40) });
    await writer.resolveUnresolved();
    expect(writer.resolved).toEqual({ applied: 1, notApplied: 0 });
  });

  it('a deletion whose request key is gone is not applied, even with the head absent', async () => {
    const r = await synced();
    const writer = r.writer();
    writer.unresolved.set('deleted', { name: 'missing.txt', next: null });
    await writer.resolveUnresolved();
    expect(writer.resolved).toEqual({ applied: 0, notApplied: 1 });
  });
});
