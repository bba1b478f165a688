import { afterEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// A recording layer over the real file system: every open, sync, close and mkdir that
// fs-sync.ts makes is logged in order, and a planned failure can be injected into one of them.
// Durability code has no other observable effect short of a power cut.
const recorder = vi.hoisted(() => ({
  calls: [] as string[],
  fail: undefined as { op: string; code: string } | undefined,
}));

function planned(op: string): void {
  if (recorder.fail?.op === op) throw Object.assign(new Error(`injected ${recorder.fail.code}`), { code: recorder.fail.code });
}

vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  return {
    ...real,
    openSync: (file: string, flags: string) => {
      recorder.calls.push(`openSync ${path.basename(file)} ${flags}`);
      planned('openSync');
      return real.openSync(file, flags);
    },
    fsyncSync: (fd: number) => {
      recorder.calls.push('fsyncSync');
      planned('fsyncSync');
      real.fsyncSync(fd);
    },
    closeSync: (fd: number) => {
      recorder.calls.push('closeSync');
      real.closeSync(fd);
    },
  };
});

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...real,
    open: async (file: string, flags: string) => {
      recorder.calls.push(`open ${path.basename(file)} ${flags}`);
      planned('open');
      const handle = await real.open(file, flags);
      return {
        sync: async () => {
          recorder.calls.push('sync');
          planned('sync');
          await handle.sync();
        },
        close: async () => {
          recorder.calls.push('close');
          await handle.close();
        },
      };
    },
    mkdir: async (folder: string, options: { recursive: boolean }) => {
      const created = await real.mkdir(folder, options);
      recorder.calls.push(`mkdir ${path.basename(folder)} -> ${created === undefined ? 'existed' : 'created'}`);
      return created;
    },
  };
});

const { ensureFolder, fsyncFolderSync, isFolderSyncUnsupported, isMissing, syncFolder } = await import('../src/fs-sync.js');

const UNSUPPORTED = ['EISDIR', 'EPERM', 'EINVAL', 'EBADF', 'EACCES'];
let dir: string;

function scratch(): string {
  dir = mkdtempSync(path.join(os.tmpdir(), 'gitty-fs-sync-'));
  recorder.calls.length = 0;
  recorder.fail = undefined;
  return dir;
}

afterEach(() => {
  recorder.fail = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe('fs-sync (recorded)', () => {
  it('syncFolder opens the folder read-only, syncs it, then closes it', async () => {
    const folder = scratch();
    await syncFolder(folder);
    expect(recorder.calls).toEqual([`open ${path.basename(folder)} r`, 'sync', 'close']);
  });

  it('syncFolder ignores the errors of platforms that cannot sync folders, and still closes what it opened', async () => {
    const folder = scratch();
    for (const code of UNSUPPORTED) {
      recorder.calls.length = 0;
      recorder.fail = { op: 'sync', code };
      await syncFolder(folder);
      expect(recorder.calls, code).toEqual([`open ${path.basename(folder)} r`, 'sync', 'close']);
      recorder.calls.length = 0;
      recorder.fail = { op: 'open', code };
      await syncFolder(folder);
      expect(recorder.calls, code).toEqual([`open ${path.basename(folder)} r`]);
    }
  });

  it('syncFolder passes any other failure on (a sync that failed is not durable), closing the folder', async () => {
    const folder = scratch();
    recorder.fail = { op: 'sync', code: 'EIO' };
    await expect(syncFolder(folder)).rejects.toMatchObject({ code: 'EIO' });
    expect(recorder.calls).toEqual([`open ${path.basename(folder)} r`, 'sync', 'close']);
    recorder.fail = { op: 'open', code: 'ENOSPC' };
    await expect(syncFolder(folder)).rejects.toMatchObject({ code: 'ENOSPC' });
  });

  it('fsyncFolderSync does the same synchronously', () => {
    const folder = scratch();
    fsyncFolderSync(folder);
    expect(recorder.calls).toEqual([`openSync ${path.basename(folder)} r`, 'fsyncSync', 'closeSync']);
    for (const code of UNSUPPORTED) {
      recorder.calls.length = 0;
      recorder.fail = { op: 'fsyncSync', code };
      fsyncFolderSync(folder);
      expect(recorder.calls, code).toEqual([`openSync ${path.basename(folder)} r`, 'fsyncSync', 'closeSync']);
      recorder.calls.length = 0;
      recorder.fail = { op: 'openSync', code };
      fsyncFolderSync(folder);
      expect(recorder.calls, code).toEqual([`openSync ${path.basename(folder)} r`]);
    }
    recorder.calls.length = 0;
    recorder.fail = { op: 'fsyncSync', code: 'EIO' };
    expect(() => fsyncFolderSync(folder)).toThrow(expect.objectContaining({ code: 'EIO' }));
    expect(recorder.calls).toEqual([`openSync ${path.basename(folder)} r`, 'fsyncSync', 'closeSync']);
  });

  it('ensureFolder syncs the parent only after creating a folder, and only with fsync durability', async () => {
    const root = scratch();
    const created = path.join(root, 'new');
    await ensureFolder(created, 'fsync');
    expect(recorder.calls).toEqual(['mkdir new -> created', `open ${path.basename(root)} r`, 'sync', 'close']);
    recorder.calls.length = 0;
    await ensureFolder(created, 'fsync');
    expect(recorder.calls).toEqual(['mkdir new -> existed']);
    recorder.calls.length = 0;
    await ensureFolder(path.join(root, 'other'), 'none');
    expect(recorder.calls).toEqual(['mkdir other -> created']);
  });

  it('classifies error codes', () => {
    scratch();
    for (const code of UNSUPPORTED) expect(isFolderSyncUnsupported({ code }), code).toBe(true);
    for (const value of [{ code: 'EIO' }, { code: 'ENOENT' }, undefined, null, {}]) expect(isFolderSyncUnsupported(value)).toBe(false);
    expect(isMissing({ code: 'ENOENT' })).toBe(true);
    expect(isMissing({ code: 'ENOTDIR' })).toBe(true);
    for (const value of [{ code: 'EEXIST' }, { code: 'EACCES' }, undefined, null, {}]) expect(isMissing(value)).toBe(false);
  });
});
