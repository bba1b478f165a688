import { mkdtemp, readFile, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CorruptObjectError, StorageFullError } from '@gitty/core';
import { asStorageError, syncFolder, writeFully, writeSynced } from '../src/pack-io.js';

// A full disk must surface as STORAGE_FULL naming the file, short writes must be continued
// where they stopped, and nothing else may be disguised as "no room".

const errno = (code: string) => Object.assign(new Error(`${code}: oops`), { code });

/** A handle whose writes store at most `chunk` bytes each, then fail as told. */
function fakeHandle(chunk: number, failAfter = Infinity, failure: unknown = errno('ENOSPC')) {
  const calls: [number, number, number | null][] = [];
  const stored: number[] = [];
  const handle = {
    async write(bytes: Uint8Array, offset: number, length: number, position: number | null) {
      calls.push([offset, length, position]);
      if (calls.length > failAfter) throw failure;
      const n = Math.min(chunk, length);
      stored.push(...bytes.subarray(offset, offset + n));
      return { bytesWritten: n, buffer: bytes };
    },
  };
  return { handle: handle as unknown as FileHandle, calls, stored };
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gitty-packio-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('asStorageError', () => {
  it('turns the three no-room codes into STORAGE_FULL naming the file, with the cause', () => {
    for (const code of ['ENOSPC', 'EDQUOT', 'EFBIG']) {
      const cause = errno(code);
      const err = asStorageError(cause, '/p/pack-1.pack');
      expect(err).toBeInstanceOf(StorageFullError);
      expect(err).toMatchObject({ code: 'STORAGE_FULL', message: `No room to write /p/pack-1.pack (${code})`, cause });
    }
  });

  it('returns every other error as it is', () => {
    const gitty = new CorruptObjectError(undefined, 'w', 'x');
    expect(asStorageError(gitty, 'f')).toBe(gitty);
    const full = new StorageFullError('other');
    expect(asStorageError(full, 'f')).toBe(full);
    const eio = errno('EIO');
    expect(asStorageError(eio, 'f')).toBe(eio);
    const plain = new Error('no code');
    expect(asStorageError(plain, 'f')).toBe(plain);
    expect(asStorageError(null, 'f')).toBe(null);
    expect(asStorageError(undefined, 'f')).toBe(undefined);
  });
});

describe('writeFully', () => {
  it('continues short writes where they stopped, at the position given', async () => {
    const { handle, calls, stored } = fakeHandle(3);
    await writeFully(handle, Uint8Array.from([1, 2, 3, 4, 5, 6, 7]), 100, 'f');
    expect(calls).toEqual([[0, 7, 100], [3, 4, 103], [6, 1, 106]]);
    expect(stored).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('writes at the end (position null) for appends, and nothing for no bytes', async () => {
    const { handle, calls } = fakeHandle(4);
    await writeFully(handle, Uint8Array.from([1, 2, 3, 4, 5]), null, 'f');
    expect(calls).toEqual([[0, 5, null], [4, 1, null]]);
    const empty = fakeHandle(4);
    await writeFully(empty.handle, new Uint8Array(0), 0, 'f');
    expect(empty.calls).toEqual([]);
  });

  it('a write that stores nothing is a full disk', async () => {
    const { handle } = fakeHandle(0);
    await expect(writeFully(handle, Uint8Array.from([1]), 0, '/p/x')).rejects.toMatchObject({ code: 'STORAGE_FULL', message: 'No room to write /p/x' });
  });

  it('ENOSPC from the write is STORAGE_FULL, other errors pass through', async () => {
    const { handle } = fakeHandle(2, 1);
    await expect(writeFully(handle, Uint8Array.from([1, 2, 3]), 0, '/p/y')).rejects.toMatchObject({ code: 'STORAGE_FULL', message: 'No room to write /p/y (ENOSPC)' });
    const eio = errno('EIO');
    await expect(writeFully(fakeHandle(2, 0, eio).handle, Uint8Array.from([1]), 0, 'f')).rejects.toBe(eio);
  });
});

describe('writeSynced and syncFolder', () => {
  it('creates a read-only file with the bytes, and refuses to overwrite one', async () => {
    const file = path.join(dir, 'pack-1.idx');
    await writeSynced(file, Uint8Array.from([9, 8, 7]));
    expect([...(await readFile(file))]).toEqual([9, 8, 7]);
    expect((await stat(file)).mode & 0o777).toBe(0o444 & ~process.umask());
    await expect(writeSynced(file, Uint8Array.from([1]))).rejects.toMatchObject({ code: 'EEXIST' });
    expect([...(await readFile(file))]).toEqual([9, 8, 7]);
  });

  it('syncs an existing folder and fails on a missing one', async () => {
    await writeFile(path.join(dir, 'a'), 'x');
    await expect(syncFolder(dir)).resolves.toBeUndefined();
    await expect(syncFolder(path.join(dir, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
