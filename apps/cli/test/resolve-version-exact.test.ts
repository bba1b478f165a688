import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '@gitty/core';
import { resolveCommitHash, resolveObjectHash, resolveVersion } from '../src/resolve-version.js';

// What `<name|hash>` arguments resolve to, on a memory store with fixed times (fixed hashes).
async function rejection(promise: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await promise;
  } catch (err) {
    return err as Record<string, unknown>;
  }
  throw new Error('resolved');
}

describe('resolveVersion, resolveCommitHash, resolveObjectHash', () => {
  let store: Store;
  let commit: string;
  let blob: string;
  let cafe: string;
  /** Two commits whose hashes share their first four digits. */
  let shared: string;
  let pair: [string, string];

  beforeAll(async () => {
    store = await openStore({ driver: 'memory' });
    const a = await store.create('a.txt', 'hello\n', { time: 1 });
    commit = a.commit;
    blob = a.data;
    cafe = (await store.create('cafe', 'named like hex\n', { time: 2 })).commit;
    const byPrefix = new Map<string, string>();
    for (let i = 0; ; i++) {
      const hash = (await store.create(`f${i}`, '', { time: 3 })).commit;
      const prefix = hash.slice(0, 4);
      const other = byPrefix.get(prefix);
      if (other !== undefined) {
        shared = prefix;
        pair = [other, hash].sort() as [string, string];
        break;
      }
      byPrefix.set(prefix, hash);
    }
  });
  afterAll(async () => store.close());

  it('a name that is not hex is a name, whether or not such a file exists', async () => {
    expect(await resolveVersion(store, 'a.txt')).toBe('a.txt');
    expect(await resolveVersion(store, 'missing.txt')).toBe('missing.txt');
    expect(await resolveVersion(store, 'abc')).toBe('abc');
  });

  it('a full hash is taken as it is, even one the store lacks', async () => {
    expect(await resolveVersion(store, commit)).toBe(commit);
    expect(await resolveVersion(store, 'f'.repeat(40))).toBe('f'.repeat(40));
    expect(await resolveCommitHash(store, 'e'.repeat(40))).toBe('e'.repeat(40));
    expect(await resolveObjectHash(store, 'd'.repeat(40))).toBe('d'.repeat(40));
  });

  it('a unique prefix of a commit gives its full hash, in either case', async () => {
    expect(await resolveVersion(store, commit.slice(0, 7))).toBe(commit);
    expect(await resolveVersion(store, commit.slice(0, 10).toUpperCase())).toBe(commit);
    expect(await resolveCommitHash(store, commit.slice(0, 6))).toBe(commit);
  });

  it('a file named like a prefix wins over the commit of that prefix', async () => {
    expect(await resolveVersion(store, 'cafe')).toBe('cafe');
    expect(cafe).toMatch(/^[0-9a-f]{40}$/);
  });

  it('a prefix of no commit is NOT_FOUND naming a file or commit; a blob does not count', async () => {
    const err = await rejection(resolveVersion(store, blob.slice(0, 8)));
    expect(err).toMatchObject({ code: 'NOT_FOUND', message: `No file or commit "${blob.slice(0, 8)}"`, what: 'file', key: blob.slice(0, 8) });
  });

  it('an ambiguous prefix stays AMBIGUOUS, listing both commits', async () => {
    const message = `Hash prefix "${shared}" is ambiguous: ${pair[0]} (commit), ${pair[1]} (commit)`;
    expect(await rejection(resolveVersion(store, shared))).toMatchObject({ code: 'AMBIGUOUS', message });
    expect(await rejection(resolveCommitHash(store, shared))).toMatchObject({ code: 'AMBIGUOUS', message });
  });

  it('resolveCommitHash wants a commit, resolveObjectHash takes any object', async () => {
    expect(await rejection(resolveCommitHash(store, blob.slice(0, 8)))).toMatchObject({ code: 'NOT_FOUND', message: `No commit "${blob.slice(0, 8)}"` });
    expect(await resolveObjectHash(store, blob.slice(0, 8))).toBe(blob);
    expect(await resolveObjectHash(store, commit.slice(0, 8))).toBe(commit);
  });

  it('resolveCommitHash and resolveObjectHash refuse what is no prefix', async () => {
    for (const fn of [resolveCommitHash, resolveObjectHash]) {
      expect(await rejection(fn(store, 'xyz'))).toMatchObject({ code: 'INVALID_HASH', message: 'Invalid object hash "xyz": expected 40 lower-case hex digits' });
      expect(await rejection(fn(store, 'abc'))).toMatchObject({ code: 'INVALID_HASH', message: 'Invalid object hash "abc": expected 40 lower-case hex digits' });
      expect(await rejection(fn(store, 'a.txt'))).toMatchObject({ code: 'INVALID_HASH' });
    }
  });
});
