import { symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ReplicaState } from '../src/replica-state.js';
import { useTestResources } from './support/test-resources.js';

// ReplicaState: a journal append that finds no room (its file a link to /dev/full, which
// answers every write with ENOSPC) fails with STORAGE_FULL carrying the system's error, and a
// saved cursor that is no string is not taken even when it reads as one.

const { dir: folder } = useTestResources('gitty-replica-state-');

const A = 'a'.repeat(40);

describe('ReplicaState on a full disk and a strange file', () => {
  it('an own change it cannot journal for want of room fails with STORAGE_FULL, its cause the ENOSPC', async () => {
    const dir = await folder();
    await symlink('/dev/full', path.join(dir, 'redis-replica.json.own-0'));
    const state = await ReplicaState.open(dir, 'default');
    const err = (await state.journalOwn('f', A, '1:1').then(() => undefined, (e: unknown) => e)) as { code?: string; cause?: { code?: string } };
    expect(err.code).toBe('STORAGE_FULL');
    expect(err.cause?.code).toBe('ENOSPC');
  });

  it('takes no cursor that is not a string, even one that reads as a stream id', async () => {
    const dir = await folder();
    await writeFile(path.join(dir, 'redis-replica.json'), JSON.stringify({ epoch: '5:x', cursor: ['7-1'], seq: 3, stamps: {} }));
    const state = await ReplicaState.open(dir, 'default');
    expect(state.epoch).toBe('5:x');
    expect(state.cursor).toBe('0-0');
    expect(state.seq).toBe(3);
  });
});
