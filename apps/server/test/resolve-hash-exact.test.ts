import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openStore, type Store } from '@gitty/core';
import { resolveCommit, resolveNameOrCommit, resolveObject } from '../src/resolve-hash.js';

// Abbreviated hashes on read routes, against a real memory store: a name first, a full hash
// as it is, a prefix of 4 to 40 lower-case hex digits resolved to the one commit it names.

let store: Store;
let commit: string;
let blob: string;

beforeEach(async () => {
  store = await openStore({ driver: 'memory' });
  const made = await store.create('notes.txt', 'hello');
  commit = made.commit;
  blob = made.data;
});

afterEach(async () => {
  await store.close();
});

async function refusal(run: () => Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await run();
  } catch (err) {
    const { code, message, what, key } = err as Record<string, unknown>;
    return { code, message, what, key };
  }
  throw new Error('accepted');
}

describe('resolveNameOrCommit', () => {
  it('gives a name or a full hash back as it is, without resolving', async () => {
    expect(await resolveNameOrCommit(store, 'notes.txt')).toBe('notes.txt');
    expect(await resolveNameOrCommit(store, commit)).toBe(commit);
    // A full hash of nothing stays as it is too: the Store answers NOT_FOUND for it later.
    expect(await resolveNameOrCommit(store, 'f'.repeat(40))).toBe('f'.repeat(40));
  });

  it('resolves a prefix of 4 or more digits to the full commit hash', async () => {
    expect(await resolveNameOrCommit(store, commit.slice(0, 4))).toBe(commit);
    expect(await resolveNameOrCommit(store, commit.slice(0, 10))).toBe(commit);
    expect(await resolveNameOrCommit(store, commit.slice(0, 39))).toBe(commit);
  });

  it('leaves what is not a lower-case hex prefix of 4 to 40 digits alone', async () => {
    for (const arg of [commit.slice(0, 3), commit.slice(0, 10).toUpperCase(), `${commit.slice(0, 6)}g`, 'x.txt', `${commit}0`]) {
      expect(await resolveNameOrCommit(store, arg)).toBe(arg);
    }
  });

  it('takes a hex name of an existing file as the name', async () => {
    await store.create('cafe', 'a file whose name is hex');
    expect(await resolveNameOrCommit(store, 'cafe')).toBe('cafe');
  });

  it('answers NOT_FOUND naming a file or commit when the prefix matches no commit', async () => {
    const missing = commit.startsWith('0000') ? 'ffff' : '0000';
    expect(await refusal(() => resolveNameOrCommit(store, missing))).toEqual({
      code: 'NOT_FOUND',
      message: `No file or commit "${missing}"`,
      what: 'file',
      key: missing,
    });
  });

  it('does not take a blob for a commit', async () => {
    const prefix = blob.slice(0, 8);
    expect(await refusal(() => resolveNameOrCommit(store, prefix))).toMatchObject({ code: 'NOT_FOUND', message: `No file or commit "${prefix}"` });
  });

  it('passes on an error of the resolution other than NOT_FOUND', async () => {
    const ambiguous = Object.assign(new Error('several'), { code: 'AMBIGUOUS' });
    vi.spyOn(store, 'resolveHash').mockRejectedValue(ambiguous);
    await expect(resolveNameOrCommit(store, commit.slice(0, 6))).rejects.toBe(ambiguous);
  });

  it('passes other errors on (a closed store)', async () => {
    await store.close();
    expect(await refusal(() => resolveNameOrCommit(store, commit.slice(0, 6)))).toMatchObject({ code: 'CLOSED' });
  });
});

describe('resolveCommit and resolveObject', () => {
  it('resolve prefixes to commits only, and to objects of any type', async () => {
    expect(await resolveCommit(store, commit.slice(0, 6))).toBe(commit);
    expect(await resolveObject(store, blob.slice(0, 6))).toBe(blob);
    expect(await resolveObject(store, commit.slice(0, 6))).toBe(commit);
    expect(await refusal(() => resolveCommit(store, blob.slice(0, 6)))).toMatchObject({ code: 'NOT_FOUND' });
  });
});
