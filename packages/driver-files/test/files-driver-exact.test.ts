import { afterEach, describe, expect, it, vi } from 'vitest';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { defaultDriverContext, type HeadChange, type Progress } from '@gitty/core';
import { tempDir } from '@gitty/driver-test/harness';
import { FilesDriver, SwishFilesDriver, createDriver, createGitScratchRepo, openFilesDriver, storeLayout } from '@gitty/driver-files';
import { openFiles, withStoreDir } from './support.js';
import { execFileSync } from 'node:child_process';

afterEach(() => {
  vi.useRealTimers();
});

describe('files driver, exactly', () => {
  it('storeLayout names objects, ref/head and objects/journal', () => {
    expect(storeLayout('/s')).toEqual({ objects: path.join('/s', 'objects'), headLog: path.join('/s', 'ref', 'head'), journal: path.join('/s', 'objects', 'journal') });
  });

  it('opens a relative folder as its absolute path and creates objects/ and ref/', async () => {
    const { dir, remove } = await tempDir('gitty-files-exact-');
    try {
      const driver = await openFiles(path.relative(process.cwd(), path.join(dir, 'store')));
      expect(driver.dir).toBe(path.join(dir, 'store'));
      expect(driver.name).toBe('files');
      expect(driver.capabilities).toEqual({ rawObjects: true, watch: true, sharedHeads: true, persistent: true, objectTimes: true, objectBatches: true, headBatches: true });
      expect(driver.headLog.file).toBe(path.join(dir, 'store', 'ref', 'head'));
      expect((await readdir(path.join(dir, 'store'))).sort()).toEqual(['objects', 'ref']);
      expect(await readdir(path.join(dir, 'store', 'ref'))).toEqual(['head']);
      await driver.close();
    } finally {
      await remove();
    }
  });

  it('every call on a closed driver fails with CLOSED naming the files driver', async () => {
    await withStoreDir(async (dir) => {
      const driver = await openFiles(dir);
      await driver.close();
      const hash = 'a'.repeat(40);
      const closed = { code: 'CLOSED', message: 'The files driver is closed' };
      await expect(driver.storeObject(hash, 'blob', new Uint8Array())).rejects.toMatchObject(closed);
      await expect(driver.loadObject(hash)).rejects.toMatchObject(closed);
      await expect(driver.hasObject(hash)).rejects.toMatchObject(closed);
      await expect(driver.objects()[Symbol.asyncIterator]().next()).rejects.toMatchObject(closed);
      await expect(driver.deleteObject(hash)).rejects.toMatchObject(closed);
      await expect(driver.loadRaw(hash)).rejects.toMatchObject(closed);
      await expect(driver.storeRaw(hash, new Uint8Array())).rejects.toMatchObject(closed);
      await expect(driver.objectTime(hash)).rejects.toMatchObject(closed);
      await expect(driver.getHead('a.pl')).rejects.toMatchObject(closed);
      await expect(driver.heads()[Symbol.asyncIterator]().next()).rejects.toMatchObject(closed);
      await expect(driver.updateHead('a.pl', null, hash)).rejects.toMatchObject(closed);
      await expect(driver.updateHeads([{ name: 'a.pl', old: null, new: hash }])).rejects.toMatchObject(closed);
      await expect(driver.openObjectBatch()).rejects.toMatchObject(closed);
      await expect(driver.rescan()).rejects.toMatchObject(closed);
      expect(() => driver.watch(() => undefined)).toThrow(expect.objectContaining(closed));
      await expect(driver.prune()).rejects.toMatchObject(closed);
      await expect(driver.stats()).rejects.toMatchObject(closed);
    });
  });

  it('heads({ ext }) lists only names with that extension; stats counts exactly', async () => {
    await withStoreDir(async (_dir, open) => {
      const store = await open();
      await store.create('a.pl', 'a');
      await store.create('b.txt', 'b');
      await store.create('c.pl', 'c');
      const driver = store.driver as FilesDriver;
      const names = async (ext?: string) => {
        const out: string[] = [];
        for await (const entry of driver.heads(ext === undefined ? {} : { ext })) out.push(entry.name);
        return out.sort();
      };
      expect(await names()).toEqual(['a.pl', 'b.txt', 'c.pl']);
      expect(await names('pl')).toEqual(['a.pl', 'c.pl']);
      expect(await names('md')).toEqual([]);
      const stats = await driver.stats();
      expect(stats).toMatchObject({
        looseObjects: 6, heads: 3, headLogBytes: (await readFile(driver.headLog.file)).length, headLogSkippedLines: 0, headLogNulRereads: 0, headLogCompactions: 0,
      });
      expect(Object.keys(stats).slice(0, 8)).toEqual(['looseObjects', 'looseBytes', 'looseDiskBytes', 'heads', 'headLogBytes', 'headLogSkippedLines', 'headLogNulRereads', 'headLogCompactions']);
      // updateHeads: one outcome per change, refused ones with the actual head.
      const [a] = await store.driver.updateHeads!([{ name: 'a.pl', old: null, new: 'f'.repeat(40) }]);
      expect(a).toEqual({ name: 'a.pl', applied: false, head: await store.head('a.pl') });
    });
  });

  it('lookups are throttled to 1000 ms by default', async () => {
    await withStoreDir(async (dir, open) => {
      const writer = await open();
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(5_000_000);
      const reader = await openFiles(dir, { watchLog: false });
      const a = await writer.create('a.txt', '1');
      vi.setSystemTime(5_000_999);
      expect(await reader.getHead('a.txt')).toBeUndefined();
      vi.setSystemTime(5_001_000);
      expect(await reader.getHead('a.txt')).toBe(a.commit);
      await reader.close();
    });
  });

  it('watches the log folder by default: another writer\'s change arrives while polling waits an hour', async () => {
    await withStoreDir(async (dir, open) => {
      const writer = await open();
      const reader = await openFiles(dir, { pollInterval: 3_600_000 });
      const seen = new Promise<HeadChange>((resolve) => reader.watch(resolve));
      const a = await writer.create('a.txt', '1');
      expect(await seen).toEqual({ name: 'a.txt', old: null, new: a.commit });
      await reader.close();
    });
  });

  it('a small compactAt compacts the log after an update, and after updateHeads', async () => {
    await withStoreDir(async (dir, open) => {
      const store = await open({ compactAt: 1, compactRatio: 1.5 });
      const driver = store.driver as FilesDriver;
      await store.create('a.txt', '1');
      await driver.compaction!.idle();
      expect((await driver.stats()).headLogCompactions).toBe(1);
      const head = (await store.head('a.txt'))!;
      const next = await store.save('2');
      expect(next).toMatch(/^[0-9a-f]{40}$/);
      // Enough lines at once to make the log 1.5 times its compacted size.
      const names = Array.from({ length: 12 }, (_, i) => `b${i}.txt`);
      const results = await store.driver.updateHeads!(names.map((name) => ({ name, old: null, new: head })));
      expect(results.every((r) => r.applied)).toBe(true);
      await driver.compaction!.idle();
      expect((await driver.stats()).headLogCompactions).toBe(2);
      expect((await readdir(path.join(dir, 'ref'))).filter((n) => n.startsWith('head.retired-'))).toHaveLength(2);
    });
  });

  it('opening without a log rebuilds it from the commits, reporting progress to the context', async () => {
    await withStoreDir(async (dir, open) => {
      const store = await open();
      const a = await store.create('a.txt', '1');
      await store.close();
      await rm(path.join(dir, 'ref', 'head'));
      const seen: Progress[] = [];
      const driver = await openFiles(dir, {}, { onProgress: (p) => seen.push(p) });
      expect(await driver.getHead('a.txt')).toBe(a.commit);
      expect(seen[0]).toEqual({ phase: 'rebuild-heads', done: 0, total: 2 });
      expect(seen.at(-1)).toEqual({ phase: 'rebuild-heads', done: 2, total: 2 });
      await driver.close();
    });
  });

  it('opens a SWISH-format folder as the SWISH driver and refuses the journal there', async () => {
    const { dir, remove } = await tempDir('gitty-files-swish-');
    try {
      await mkdir(path.join(dir, 'ref'));
      await writeFile(path.join(dir, 'ref', 'head'), 'epoch(1).\n\n');
      const context = defaultDriverContext();
      await expect(createDriver({ dir, journal: true }, context)).rejects.toMatchObject({
        code: 'INVALID_CONFIG', message: 'The files driver\'s "journal" is not for SWISH-format stores (SWISH reads loose objects only)',
      });
      const driver = await openFilesDriver({ dir, durability: 'none' }, context);
      expect(driver).toBeInstanceOf(SwishFilesDriver);
      await driver.close();
      const gitDir = path.join(dir, 'other');
      const git = await openFilesDriver({ dir: gitDir, durability: 'none', journal: true }, context);
      expect(git).toBeInstanceOf(FilesDriver);
      await git.close();
    } finally {
      await remove();
    }
  });

  it('the scratch git repository reads the store\'s objects through alternates', async () => {
    await withStoreDir(async (dir, open) => {
      const store = await open();
      const a = await store.create('a.txt', 'hello\n');
      const scratch = await createGitScratchRepo(dir);
      try {
        expect(path.basename(scratch.gitDir).startsWith('gitty-git-')).toBe(true);
        expect(await readFile(path.join(scratch.gitDir, 'objects', 'info', 'alternates'), 'utf8')).toBe(`${path.join(dir, 'objects')}\n`);
        expect(await readFile(path.join(scratch.gitDir, 'HEAD'), 'utf8')).toBe('ref: refs/heads/main\n');
        expect(await readFile(path.join(scratch.gitDir, 'config'), 'utf8')).toBe('[core]\n\trepositoryformatversion = 0\n\tbare = true\n[gc]\n\tauto = 0\n');
        expect((await readdir(path.join(scratch.gitDir, 'refs'))).sort()).toEqual(['heads', 'tags']);
        expect(execFileSync('git', [`--git-dir=${scratch.gitDir}`, 'cat-file', '-p', a.data], { encoding: 'utf8' })).toBe('hello\n');
      } finally {
        await scratch.remove();
      }
      await expect(readdir(scratch.gitDir)).rejects.toMatchObject({ code: 'ENOENT' });
      const into = path.join(dir, '..', `${path.basename(dir)}-git`);
      const named = await createGitScratchRepo(path.relative(process.cwd(), dir), into);
      expect(named.gitDir).toBe(path.resolve(into));
      expect(await readFile(path.join(into, 'objects', 'info', 'alternates'), 'utf8')).toBe(`${path.join(dir, 'objects')}\n`);
      await named.remove();
    });
  });
});
