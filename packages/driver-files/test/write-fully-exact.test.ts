import { afterEach, describe, expect, it, vi } from 'vitest';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NotFoundError, StorageFullError } from '@gitty/core';

// writeSync may store less than asked (a full disk, a signal): writeFullySync must loop at the
// right offsets and never return having written part of the bytes. A scripted writeSync
// stages short writes, zero-byte writes and errno failures deterministically.
const script = vi.hoisted(() => ({
  /** Per call: the most bytes the write stores, or an errno code to throw. Empty: real writes. */
  steps: [] as (number | string)[],
  calls: [] as { offset: number; length: number; position: number | null }[],
}));

vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  return {
    ...real,
    writeSync: (fd: number, buffer: Uint8Array, offset: number, length: number, position: number | null) => {
      script.calls.push({ offset, length, position });
      const step = script.steps.shift();
      if (typeof step === 'string') throw Object.assign(new Error(`${step}: injected`), { code: step });
      return real.writeSync(fd, buffer, offset, step === undefined ? length : Math.min(step, length), position);
    },
  };
});

const { asStorageError, writeFullySync } = await import('../src/write-fully.js');

let dir: string;
afterEach(() => {
  script.steps.length = 0;
  script.calls.length = 0;
  rmSync(dir, { recursive: true, force: true });
});

function withFile(use: (fd: number, file: string) => void): string {
  dir = mkdtempSync(path.join(os.tmpdir(), 'gitty-write-fully-'));
  const file = path.join(dir, 'f');
  const fd = openSync(file, 'w+');
  try {
    use(fd, file);
  } finally {
    closeSync(fd);
  }
  return readFileSync(file, 'latin1');
}

const bytes = Buffer.from('abcdefghij');

describe('writeFullySync', () => {
  it('loops over short writes at a position, each at the next offset', () => {
    const text = withFile((fd, file) => {
      script.steps.push(3, 4, 100);
      writeFullySync(fd, bytes, 5, file);
    });
    expect(text).toBe(`${'\0'.repeat(5)}abcdefghij`);
    expect(script.calls).toEqual([
      { offset: 0, length: 10, position: 5 },
      { offset: 3, length: 7, position: 8 },
      { offset: 7, length: 3, position: 12 },
    ]);
  });

  it('with position null writes at the current position each time', () => {
    const text = withFile((fd, file) => {
      writeFullySync(fd, Buffer.from('12'), null, file);
      script.steps.push(1);
      writeFullySync(fd, Buffer.from('xyz'), null, file);
    });
    expect(text).toBe('12xyz');
    expect(script.calls).toEqual([
      { offset: 0, length: 2, position: null },
      { offset: 0, length: 3, position: null },
      { offset: 1, length: 2, position: null },
    ]);
  });

  it('writes nothing for no bytes', () => {
    expect(withFile((fd, file) => writeFullySync(fd, new Uint8Array(), 0, file))).toBe('');
    expect(script.calls).toEqual([]);
  });

  it('a write that stores nothing is STORAGE_FULL naming the file, without a cause', () => {
    withFile((fd, file) => {
      script.steps.push(2, 0);
      let caught: unknown;
      try {
        writeFullySync(fd, bytes, 0, file);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(StorageFullError);
      expect(caught).toMatchObject({ code: 'STORAGE_FULL', message: `No room to write ${file}`, path: file });
      expect((caught as Error).cause).toBeUndefined();
    });
    expect(script.calls).toHaveLength(2);
  });

  it('ENOSPC, EDQUOT and EFBIG become STORAGE_FULL with the error as cause; others pass unchanged', () => {
    for (const code of ['ENOSPC', 'EDQUOT', 'EFBIG']) {
      withFile((fd, file) => {
        script.steps.push(code);
        expect(() => writeFullySync(fd, bytes, 0, file)).toThrow(expect.objectContaining({
          code: 'STORAGE_FULL', message: `No room to write ${file} (${code})`, cause: expect.objectContaining({ code }),
        }));
      });
    }
    withFile((fd, file) => {
      script.steps.push('EIO');
      expect(() => writeFullySync(fd, bytes, 0, file)).toThrow(expect.objectContaining({ code: 'EIO', message: 'EIO: injected' }));
    });
  });
});

describe('asStorageError', () => {
  it('leaves gitty errors, other errno errors and non-errors as they are', () => {
    const gitty = new NotFoundError('object', 'x');
    expect(asStorageError(gitty, '/f')).toBe(gitty);
    const full = new StorageFullError('/other');
    expect(asStorageError(full, '/f')).toBe(full);
    const io = Object.assign(new Error('io'), { code: 'EIO' });
    expect(asStorageError(io, '/f')).toBe(io);
    expect(asStorageError(null, '/f')).toBe(null);
    expect(asStorageError(undefined, '/f')).toBe(undefined);
    const plain = new Error('no code');
    expect(asStorageError(plain, '/f')).toBe(plain);
  });

  it('turns no-room errors into STORAGE_FULL naming the file', () => {
    const err = Object.assign(new Error('full'), { code: 'ENOSPC' });
    const out = asStorageError(err, '/f');
    expect(out).toBeInstanceOf(StorageFullError);
    expect(out).toMatchObject({ message: 'No room to write /f (ENOSPC)', path: '/f', cause: err });
  });
});
