import { describe, expect, it } from 'vitest';
import { runEpochSwap } from '../src/cas-script.js';
import { useScriptServer } from './support/replica-parts.js';

// CatchUp against a real redis-server: a replay fails with Redis's own error object (not a
// stand-in), and a node whose re-seed fails (its stamps key of the wrong type makes the merge
// fail, or its members key the adoption after it) after it found Redis rolled back or moved on
// is left not synced.

const redis = useScriptServer();
const { synced } = redis;

const failure = (promise: Promise<unknown>) => promise.then(() => new Error('resolved'), (err: unknown) => err);

describe('CatchUp failures', () => {
  it('a replay whose stream read fails throws Redis\'s error itself', async () => {
    const r = await synced();
    await redis.cmd.del(r.keys.stream);
    await redis.cmd.set(r.keys.stream, 'wrong type');
    const err = await failure(r.catchUp.catchUp());
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/^WRONGTYPE/);
  });

  it('a copy below its sequence after a rollback whose re-seed fails leaves the node not synced', async () => {
    const r = await synced();
    // A tombstone with a stamp: the merge after the rollback has something to send.
    r.state.stamps.set('gone.txt', [null, '1:1']);
    await redis.cmd.set(r.keys.server, 'beef');
    await redis.cmd.set(r.keys.stamps, 'wrong type');
    const id = await redis.cmd.xadd(r.keys.stream, '*', 'seq', '1', 'type', 'objects', 'node', 'n9');
    r.state.seq = 1;
    const err = await failure(r.catchUp.onEntries([{ id: id!, fields: new Map([['seq', Buffer.from('1')], ['type', Buffer.from('objects')]]) }]));
    expect((err as Error).message).toMatch(/WRONGTYPE/);
    expect(r.catchUp.synced).toBe(false);
  });

  it('a reconcile that finds a new epoch and fails to re-seed leaves the node not synced', async () => {
    const r = await synced();
    r.state.stamps.set('gone.txt', [null, '1:1']);
    const id = await redis.cmd.xadd(r.keys.stream, '*', 'seq', '3', 'type', 'objects', 'node', 'n9');
    await runEpochSwap(redis.cmd, r.keys, r.state.epoch!, 0, 'swapped', null);
    // Read by the adoption after the merge, not by the reconcile.
    await redis.cmd.del(r.keys.members);
    await redis.cmd.set(r.keys.members, 'wrong type');
    const err = await failure(r.catchUp.onEntries([{ id: id!, fields: new Map([['seq', Buffer.from('3')], ['type', Buffer.from('objects')]]) }]));
    expect((err as Error).message).toMatch(/WRONGTYPE/);
    expect(r.catchUp.synced).toBe(false);
  });

  it('adopts Redis\'s head after a merge when only its view differs, its recorded stamp matching Redis\'s', async () => {
    const r = await synced();
    const A = 'a'.repeat(40);
    const B = 'b'.repeat(40);
    await redis.cmd.hset(r.keys.heads, 'f.txt', A);
    await redis.cmd.hset(r.keys.stamps, 'f.txt', '1:5');
    r.state.stamps.set('f.txt', [A, '1:5']);
    // The view shows another head than the one its stamp records (e.g. an older inner head).
    r.view.set('f.txt', B, false);
    await redis.cmd.del(r.keys.epoch);
    await r.catchUp.sync();
    expect(await redis.cmd.hget(r.keys.heads, 'f.txt')).toBe(A);
    expect(r.view.heads.get('f.txt')).toBe(A);
    expect(r.state.stamps.get('f.txt')).toEqual([A, '1:5']);
  });
});
