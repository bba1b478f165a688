import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ReplicaState } from '../src/replica-state.js';
import { useTestResources } from './support/test-resources.js';

// A node's replication state on real files: the file names, what a save writes, what an open
// takes back (and what it refuses from a damaged file), the own-change journals and their
// turns, and the sequence numbers.

// Registered first, so (vitest runs after-hooks last-registered first) the real timers are back
// before the folders are removed.
const { dir: folder } = useTestResources('gitty-replica-state-');
afterEach(() => {
  vi.useRealTimers();
});

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

describe('ReplicaState files', () => {
  it('saves the default store to redis-replica.json, others to a name of their own', async () => {
    const dir = await folder();
    const state = await ReplicaState.open(dir, 'default');
    state.epoch = '3:xyz';
    state.cursor = '17-2';
    state.seq = 9;
    state.stamps.set('f', [A, '3:9']);
    state.stamps.set('gone', [null, '3:4']);
    state.members.set('node-1', 3);
    await state.save();
    expect(JSON.parse(await readFile(path.join(dir, 'redis-replica.json'), 'utf8'))).toEqual({
      epoch: '3:xyz',
      cursor: '17-2',
      seq: 9,
      stamps: { f: [A, '3:9'], gone: [null, '3:4'] },
      members: { 'node-1': 3 },
    });
    const other = await ReplicaState.open(dir, 'team/a b');
    other.epoch = '1:q';
    await other.save();
    expect((await readdir(dir)).sort()).toEqual(['redis-replica-team_a_b.json', 'redis-replica.json']);
  });

  it('takes everything back on open', async () => {
    const dir = await folder();
    const state = await ReplicaState.open(dir, 'notes');
    state.epoch = '3:xyz';
    state.cursor = '17-2';
    state.seq = 9;
    state.stamps.set('f', [A, '3:9']);
    state.stamps.set('gone', [null, '3:4']);
    state.members.set('node-1', 3);
    state.pendingWrites = () => ['f'];
    await state.save();
    const again = await ReplicaState.open(dir, 'notes');
    expect({ epoch: again.epoch, cursor: again.cursor, seq: again.seq }).toEqual({ epoch: '3:xyz', cursor: '17-2', seq: 9 });
    expect(Object.fromEntries(again.stamps)).toEqual({ f: [A, '3:9'], gone: [null, '3:4'] });
    expect(Object.fromEntries(again.members)).toEqual({ 'node-1': 3 });
    expect([...again.unwritten]).toEqual(['f']);
  });

  it('starts fresh from a missing, unreadable or empty file, and keeps only valid fields', async () => {
    const dir = await folder();
    const fresh = await ReplicaState.open(dir, 'default');
    expect({ epoch: fresh.epoch, cursor: fresh.cursor, seq: fresh.seq, stamps: fresh.stamps.size }).toEqual({ epoch: null, cursor: '0-0', seq: 0, stamps: 0 });
    await writeFile(path.join(dir, 'redis-replica.json'), '{"epoch":');
    expect((await ReplicaState.open(dir, 'default')).cursor).toBe('0-0');
    await writeFile(
      path.join(dir, 'redis-replica.json'),
      JSON.stringify({
        epoch: 5,
        cursor: '17-x',
        seq: 1.5,
        stamps: { ok: [A, '1:1'], noStamp: [A, 7], deleted: [5, '1:2'], notArray: 'x' },
        unwritten: ['ok', 7],
        members: { n1: 2, n2: 'x', n3: 2.5 },
      }),
    );
    const odd = await ReplicaState.open(dir, 'default');
    expect({ epoch: odd.epoch, cursor: odd.cursor, seq: odd.seq }).toEqual({ epoch: null, cursor: '0-0', seq: 0 });
    expect(Object.fromEntries(odd.stamps)).toEqual({ ok: [A, '1:1'], deleted: [null, '1:2'] });
    expect([...odd.unwritten]).toEqual(['ok']);
    expect(Object.fromEntries(odd.members)).toEqual({ n1: 2 });
    await writeFile(path.join(dir, 'redis-replica.json'), JSON.stringify({ unwritten: 'f', cursor: '1-1' }));
    const partial = await ReplicaState.open(dir, 'default');
    expect(partial.cursor).toBe('1-1');
    expect(partial.unwritten.size).toBe(0);
    for (const [cursor, kept] of [['17-25', '17-25'], ['x17-2', '0-0'], ['17-2x', '0-0'], ['17', '0-0']] as const) {
      await writeFile(path.join(dir, 'redis-replica.json'), JSON.stringify({ cursor }));
      expect((await ReplicaState.open(dir, 'default')).cursor).toBe(kept);
    }
  });

  it('keeps nothing on disk without a folder', async () => {
    const state = await ReplicaState.open(undefined, 'default');
    state.scheduleSave();
    await state.save();
    await state.journalOwn('f', A, '1:1');
    expect(state.stamps.size).toBe(0);
    // Not even a file named after an undefined path in the working directory.
    expect(existsSync(path.join(process.cwd(), 'undefined.own-0'))).toBe(false);
  });

  it('saves into a folder that does not exist yet', async () => {
    const dir = path.join(await folder(), 'later', 'state');
    const state = await ReplicaState.open(dir, 'default');
    state.cursor = '5-5';
    await state.save();
    expect((await ReplicaState.open(dir, 'default')).cursor).toBe('5-5');
  });
});

describe('ReplicaState journals of own changes', () => {
  it('adopts journaled changes newer than the saved stamps, as unwritten', async () => {
    const dir = await folder();
    const state = await ReplicaState.open(dir, 'default');
    state.stamps.set('f', [A, '2:5']);
    state.stamps.set('g', [A, '2:5']);
    await state.save();
    await state.journalOwn('f', B, '2:6');
    await state.journalOwn('g', B, '2:5');
    await state.journalOwn('h', null, '2:7');
    const again = await ReplicaState.open(dir, 'default');
    expect(Object.fromEntries(again.stamps)).toEqual({ f: [B, '2:6'], g: [A, '2:5'], h: [null, '2:7'] });
    expect([...again.unwritten].sort()).toEqual(['f', 'h']);
  });

  it('skips a torn last line and malformed lines', async () => {
    const dir = await folder();
    const state = await ReplicaState.open(dir, 'default');
    await state.journalOwn('f', A, '1:1');
    const journal = path.join(dir, 'redis-replica.json.own-0');
    const good = await readFile(journal, 'utf8');
    expect(good).toBe(`${JSON.stringify(['f', A, '1:1'])}\n`);
    await writeFile(journal, `${good}[1,null,"1:2"]\n["g",5,"1:3"]\n["h",null,4]\n{"x":1}\n["i",null,"1:5"]\n["j","${B}","1:`);
    const again = await ReplicaState.open(dir, 'default');
    expect(Object.fromEntries(again.stamps)).toEqual({ f: [A, '1:1'], i: [null, '1:5'] });
  });

  it('a save moves new lines to the other journal and empties the one its snapshot covers', async () => {
    const dir = await folder();
    const state = await ReplicaState.open(dir, 'default');
    await state.journalOwn('f', A, '1:1');
    state.stamps.set('f', [A, '1:1']);
    await state.save();
    expect(await readFile(path.join(dir, 'redis-replica.json.own-0'), 'utf8')).toBe('');
    await state.journalOwn('g', B, '1:2');
    expect(await readFile(path.join(dir, 'redis-replica.json.own-1'), 'utf8')).toBe(`${JSON.stringify(['g', B, '1:2'])}\n`);
    await state.save();
    expect(await readFile(path.join(dir, 'redis-replica.json.own-1'), 'utf8')).toBe('');
    await state.journalOwn('h', B, '1:3');
    expect(await readFile(path.join(dir, 'redis-replica.json.own-0'), 'utf8')).toBe(`${JSON.stringify(['h', B, '1:3'])}\n`);
  });

  it('journals into a folder that does not exist yet, and throws when it cannot write', async () => {
    const base = await folder();
    const dir = path.join(base, 'new', 'deeper');
    const state = await ReplicaState.open(dir, 'default');
    await state.journalOwn('f', A, '1:1');
    expect(await readFile(path.join(dir, 'redis-replica.json.own-0'), 'utf8')).toBe(`${JSON.stringify(['f', A, '1:1'])}\n`);
    // A folder where the journal file should be: the append fails with EISDIR, passed on as is.
    const blocked = await ReplicaState.open(path.join(base, 'blocked'), 'default');
    await mkdir(path.join(base, 'blocked', 'redis-replica.json.own-0'), { recursive: true });
    await expect(blocked.journalOwn('f', A, '1:1')).rejects.toMatchObject({ code: 'EISDIR' });
    // A failed append does not jam the queue of appends: the next one is tried (and fails the same way).
    await expect(blocked.journalOwn('g', A, '1:2')).rejects.toMatchObject({ code: 'EISDIR' });
  });

  it('waits for the inner writes before a save and records the names that failed', async () => {
    const dir = await folder();
    const state = await ReplicaState.open(dir, 'default');
    const order: string[] = [];
    state.beforeSave = async () => {
      order.push('before');
    };
    state.pendingWrites = () => {
      order.push('pending');
      return ['x', 'y'];
    };
    await state.save();
    expect(order).toEqual(['before', 'pending']);
    expect(JSON.parse(await readFile(path.join(dir, 'redis-replica.json'), 'utf8')).unwritten).toEqual(['x', 'y']);
  });
});

describe('ReplicaState scheduling and sequence numbers', () => {
  it('coalesces scheduled saves into one, 100 ms later', async () => {
    vi.useFakeTimers();
    const dir = await folder();
    const state = await ReplicaState.open(dir, 'default');
    let saves = 0;
    state.beforeSave = async () => {
      saves++;
    };
    state.scheduleSave();
    state.scheduleSave();
    await vi.advanceTimersByTimeAsync(99);
    expect(saves).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(saves).toBe(1);
    state.scheduleSave();
    await state.save();
    await vi.advanceTimersByTimeAsync(1000);
    expect(saves).toBe(2);
  });

  it('restarts in a new epoch from the stream\'s start', async () => {
    const state = await ReplicaState.open(undefined, 'default');
    state.cursor = '9-9';
    state.seq = 9;
    state.noteOwnStamp('1:12');
    state.restart('2:new');
    expect({ epoch: state.epoch, cursor: state.cursor, seq: state.seq, own: state.ownSeq }).toEqual({ epoch: '2:new', cursor: '0-0', seq: 0, own: 0 });
  });

  it('keeps the highest own sequence number, and the higher of it and the applied one', async () => {
    const state = await ReplicaState.open(undefined, 'default');
    state.noteOwnStamp('1:5');
    state.noteOwnStamp('1:3');
    state.noteOwnStamp('1:x');
    state.noteOwnStamp('1');
    expect(state.ownSeq).toBe(5);
    state.seq = 4;
    expect(state.highestSeq()).toBe(5);
    state.seq = 7;
    expect(state.highestSeq()).toBe(7);
  });
});
