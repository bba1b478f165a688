import { describe, expect, it } from 'vitest';
import { openStore } from '@gitty/core';
import { resolveCommitHash, resolveObjectHash, resolveVersion } from '../src/resolve-version.js';

// What the resolvers decide without asking the store: a full hash is taken as it is and what is
// no prefix is refused, so neither needs an open store.
describe('resolvers that need no store', () => {
  it('take a full hash as it is and refuse what is no prefix, even with the store closed', async () => {
    const store = await openStore({ driver: 'memory' });
    const { commit } = await store.create('a.txt', 'a', { time: 1 });
    await store.close();
    const full = 'e'.repeat(40);
    expect(await resolveVersion(store, full)).toBe(full);
    expect(await resolveCommitHash(store, full)).toBe(full);
    expect(await resolveObjectHash(store, commit)).toBe(commit);
    for (const fn of [resolveCommitHash, resolveObjectHash]) {
      await expect(fn(store, 'xyz')).rejects.toMatchObject({ code: 'INVALID_HASH', message: 'Invalid object hash "xyz": expected 40 lower-case hex digits' });
    }
    // A prefix does need the store.
    await expect(resolveCommitHash(store, commit.slice(0, 8))).rejects.toMatchObject({ code: 'CLOSED' });
  });
});
