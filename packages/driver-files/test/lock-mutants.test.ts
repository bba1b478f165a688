// FileLock edges the fa-lockloose mutation run found untested: reading the owner file leaves no
// descriptor open, and a short owner file is read with one read (s6-fhl: readFileSync forced).
import { afterEach, describe, expect, it } from 'vitest';
import fs, { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tempDir } from '@gitty/driver-test/harness';
import { FileLock } from '@gitty/driver-files';
import { patch, undoPatches } from './support/patch-fs.js';

afterEach(() => undoPatches());

const openFds = () => readdirSync('/proc/self/fd').length;

describe('FileLock descriptors', () => {
  it('taking and releasing the lock (the release reads the owner file back) leaves no descriptor open', async () => {
    const { dir, remove } = await tempDir('gitty-lock-mutants-');
    try {
      const lock = new FileLock(path.join(dir, 'head'));
      await lock.withLock(async () => undefined);
      const base = openFds();
      for (let i = 0; i < 5; i++) await lock.withLock(async () => undefined);
      expect(openFds()).toBe(base);
    } finally {
      await remove();
    }
  });
});

describe('FileLock owner reads', () => {
  it('a release reads its own short owner file in one read, never with readFileSync; an owner file of 1024 bytes or more is read whole', async () => {
    const { dir, remove } = await tempDir('gitty-lock-mutants-');
    try {
      const file = path.join(dir, 'head');
      const owner = path.join(`${file}.lock`, 'owner');
      const wholeReads: string[] = [];
      patch('readFileSync', (original) => ((target: fs.PathOrFileDescriptor, ...rest: unknown[]) => {
        // A release reads the owner file of the folder it moved aside, so any owner file counts.
        if (path.basename(String(target)) === 'owner') wholeReads.push(String(target));
        return (original as (...a: unknown[]) => unknown)(target, ...rest);
      }) as typeof fs.readFileSync);
      const lock = new FileLock(file);
      expect(await lock.withLock(async () => 'done')).toBe('done');
      expect(wholeReads).toEqual([]);
      // A held lock whose owner file is longer than one read: the waiter reads it whole and
      // sees a live owner (this process), so it times out rather than taking it over.
      mkdirSync(`${file}.lock`);
      fs.writeFileSync(owner, JSON.stringify({ host: os.hostname(), pid: process.pid, token: 'long', pad: 'x'.repeat(1100) }));
      await expect(new FileLock(file, { timeoutMs: 100 }).withLock(async () => 'taken')).rejects.toMatchObject({ code: 'LOCK_TIMEOUT' });
      expect(wholeReads.length).toBeGreaterThan(0);
    } finally {
      await remove();
    }
  });
});

describe('FileLock owner write races', () => {
  it('an owner file still being written by another (EEXIST on ours, not yet JSON) in the folder it made: it leaves that lock alone and waits', async () => {
    const { dir, remove } = await tempDir('gitty-lock-mutants-');
    try {
      const file = path.join(dir, 'head');
      const lock = `${file}.lock`;
      let raced = 0;
      patch('writeFileSync', (original) => ((target: fs.PathOrFileDescriptor, ...rest: unknown[]) => {
        if (target === path.join(lock, 'owner') && raced++ === 0) {
          // A taker moved our new folder away and made its own, whose owner it is writing.
          fs.renameSync(lock, path.join(dir, 'moved'));
          mkdirSync(lock);
          (original as (...a: unknown[]) => unknown)(path.join(lock, 'owner'), '{');
        }
        return (original as (...a: unknown[]) => unknown)(target, ...rest);
      }) as typeof fs.writeFileSync);
      await expect(new FileLock(file, { timeoutMs: 150 }).withLock(async () => 'taken')).rejects.toMatchObject({ code: 'LOCK_TIMEOUT' });
      expect(readFileSync(path.join(lock, 'owner'), 'utf8')).toBe('{');
      expect(readdirSync(dir).sort()).toEqual(['head.lock', 'moved']);
    } finally {
      await remove();
    }
  });
});
