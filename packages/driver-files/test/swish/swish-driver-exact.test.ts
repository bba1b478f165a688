import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, utimesSync, writeFileSync } from 'node:fs';
import { readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Store, decodeObject, defaultDriverContext, encodeObject, nodeCompression, type Progress } from '@gitty/core';
import { tempDir } from '@gitty/driver-test/harness';
import { SwishFilesDriver, TEMP_PREFIX, createDriver, gzipCompression, swishLayout, swishObjectPaths } from '@gitty/driver-files';

const H = (d: string) => d.repeat(40);

async function openSwish(dir: string, options: Record<string, unknown> = {}, onProgress?: (p: Progress) => void): Promise<SwishFilesDriver> {
  return (await createDriver({ dir, durability: 'none', format: 'swish', ...options }, defaultDriverContext(onProgress ? { onProgress } : {}))) as SwishFilesDriver;
}

async function withDir(use: (dir: string) => Promise<void>): Promise<void> {
  const { dir, remove } = await tempDir('gitty-swish-driver-');
  try {
    await use(dir);
  } finally {
    await remove();
  }
}

function packWith(dir: string, texts: string[]): { file: string; hashes: string[] } {
  const objects = texts.map((t) => {
    const data = new TextEncoder().encode(t);
    return { data, ...encodeObject('blob', data, gzipCompression) };
  });
  const header = `gitty(1).\n${objects.map((o) => `obj('${o.hash}',blob,${o.data.length},${o.raw.length}).\n`).join('')}end_of_header.\n`;
  const bytes = Buffer.concat([Buffer.from(header), ...objects.map((o) => Buffer.from(o.raw))]);
  mkdirSync(path.join(dir, 'pack'), { recursive: true });
  const file = path.join(dir, 'pack', `pack-${createHash('sha1').update(bytes).digest('hex')}.pack`);
  writeFileSync(file, bytes);
  return { file, hashes: objects.map((o) => o.hash) };
}

describe('SWISH files driver, exactly', () => {
  it('swishLayout: everything directly in the store folder', () => {
    expect(swishLayout('/s')).toEqual({ root: '/s', headLog: path.join('/s', 'ref', 'head'), packs: path.join('/s', 'pack') });
  });

  it('a new store: capabilities, an epoch log, and deletion refused as UNSUPPORTED', async () => {
    await withDir(async (dir) => {
      const driver = await openSwish(dir);
      expect(driver.name).toBe('files');
      expect(driver.commitFormat).toBe('swish');
      expect(driver.dir).toBe(dir);
      expect(driver.capabilities).toEqual({ rawObjects: true, watch: true, sharedHeads: true, persistent: true, objectTimes: true });
      expect(readFileSync(path.join(dir, 'ref', 'head'), 'utf8')).toMatch(/^epoch\(\d+\)\.\n\n$/);
      await expect(driver.updateHead('a.pl', H('1'), null)).rejects.toMatchObject({
        code: 'UNSUPPORTED',
        message: expect.stringContaining('deleting a file (SWISH has no deletion: its head log has no record for one, and SWISH\'s own delete saves an empty version — update the file to empty text instead)'),
      });
      await driver.close();
      await driver.close();
    });
  });

  it('every call on a closed driver fails with CLOSED', async () => {
    await withDir(async (dir) => {
      const driver = await openSwish(dir);
      await driver.close();
      const closed = { code: 'CLOSED', message: 'The files driver is closed' };
      const hash = H('a');
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
      await expect(driver.rescan()).rejects.toMatchObject(closed);
      expect(() => driver.watch(() => undefined)).toThrow(expect.objectContaining(closed));
      await expect(driver.prune()).rejects.toMatchObject(closed);
      await expect(driver.fsck()).rejects.toMatchObject(closed);
      await expect(driver.stats()).rejects.toMatchObject(closed);
    });
  });

  it('objects: packed and loose, each listed once; a packed object is not stored again loose; raw objects are zlib', async () => {
    await withDir(async (dir) => {
      const { hashes: [p1, p2] } = packWith(dir, ['packed one\n', 'packed two\n']);
      const driver = await openSwish(dir);
      const loose = encodeObject('blob', new TextEncoder().encode('loose\n'), gzipCompression);
      expect(await driver.storeObject(loose.hash, 'blob', new TextEncoder().encode('loose\n'))).toBe(true);
      expect(existsSync(path.join(dir, ...swishObjectPaths.segments(loose.hash)))).toBe(true);
      expect(await driver.storeObject(p1!, 'blob', new TextEncoder().encode('packed one\n'))).toBe(false);
      expect(existsSync(path.join(dir, ...swishObjectPaths.segments(p1!)))).toBe(false);
      // The same object loose and packed is listed once.
      const dup = encodeObject('blob', new TextEncoder().encode('packed two\n'), gzipCompression);
      mkdirSync(path.dirname(path.join(dir, ...swishObjectPaths.segments(p2!))), { recursive: true });
      writeFileSync(path.join(dir, ...swishObjectPaths.segments(p2!)), dup.raw);
      const listed: string[] = [];
      for await (const hash of driver.objects()) listed.push(hash);
      expect(listed.sort()).toEqual([loose.hash, p1!, p2!].sort());
      expect(await driver.hasObject(p1!)).toBe(true);
      expect(await driver.hasObject(loose.hash)).toBe(true);
      expect(await driver.hasObject(H('e'))).toBe(false);
      expect(await driver.loadObject(H('e'))).toBeUndefined();
      expect(await driver.loadRaw(H('e'))).toBeUndefined();
      expect(await driver.loadObject(p1!)).toEqual({ type: 'blob', data: new TextEncoder().encode('packed one\n') });
      const raw = (await driver.loadRaw(p1!))!;
      expect(decodeObject(raw, p1!, 'raw', nodeCompression, 1 << 20)).toEqual({ type: 'blob', data: new TextEncoder().encode('packed one\n') });
      const stats = await driver.stats();
      expect(stats).toEqual({
        looseObjects: 2, looseBytes: stats.looseBytes, looseDiskBytes: stats.looseDiskBytes, packs: 1, packedObjects: 2, heads: 0,
        headLogBytes: readFileSync(path.join(dir, 'ref', 'head')).length, headLogSkippedLines: 0,
      });
      expect(await driver.deleteObject(p1!)).toBe(false);
      expect(await driver.deleteObject(loose.hash)).toBe(true);
      expect(await driver.objectTime(loose.hash)).toBeUndefined();
      await driver.close();
    });
  });

  it('storeRaw takes a zlib stream and stores it as gzip; a wrong hash is refused', async () => {
    await withDir(async (dir) => {
      const driver = await openSwish(dir);
      const data = new TextEncoder().encode('raw text\n');
      const zlib = encodeObject('blob', data, nodeCompression);
      expect(await driver.storeRaw(zlib.hash, zlib.raw)).toBe(true);
      const file = path.join(dir, ...swishObjectPaths.segments(zlib.hash));
      expect(readFileSync(file).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
      expect(await driver.loadObject(zlib.hash)).toEqual({ type: 'blob', data });
      await expect(driver.storeRaw(H('1'), zlib.raw)).rejects.toMatchObject({ code: 'CORRUPT_OBJECT' });
      await driver.close();
    });
  });

  it('a pack written by another process after opening is found on a miss, and listed after the loose walk', async () => {
    await withDir(async (dir) => {
      const driver = await openSwish(dir);
      const { file, hashes: [p1] } = packWith(path.join(dir, 'later'), ['later\n']);
      mkdirSync(path.join(dir, 'pack'), { recursive: true });
      renameSync(file, path.join(dir, 'pack', path.basename(file)));
      expect(await driver.loadObject(p1!)).toEqual({ type: 'blob', data: new TextEncoder().encode('later\n') });
      await rm(path.join(dir, 'later'), { recursive: true });
      const { file: file2, hashes: [p2] } = packWith(path.join(dir, 'later2'), ['later two\n']);
      renameSync(file2, path.join(dir, 'pack', path.basename(file2)));
      const listed: string[] = [];
      for await (const hash of driver.objects()) listed.push(hash);
      expect(listed.sort()).toEqual([p1!, p2!].sort());
      await driver.close();
    });
  });

  it('an empty log is rebuilt from the commits on opening, as SWISH does; heads filter by extension', async () => {
    await withDir(async (dir) => {
      const first = await openSwish(dir);
      const store = new Store(first, defaultDriverContext());
      const a = await store.create('a.pl', 'x');
      await store.create('b.txt', 'y');
      await store.close();
      writeFileSync(path.join(dir, 'ref', 'head'), '');
      const seen: Progress[] = [];
      const driver = await openSwish(dir, {}, (p) => seen.push(p));
      expect(await driver.getHead('a.pl')).toBe(a.commit);
      const names: string[] = [];
      for await (const entry of driver.heads({ ext: 'pl' })) names.push(entry.name);
      expect(names).toEqual(['a.pl']);
      const all: string[] = [];
      for await (const entry of driver.heads()) all.push(entry.name);
      expect(all.sort()).toEqual(['a.pl', 'b.txt']);
      expect(seen[0]).toEqual({ phase: 'rebuild-heads', done: 0, total: 4 });
      expect(readFileSync(path.join(dir, 'ref', 'head'), 'utf8')).toMatch(/^epoch\(\d+\)\.\n\nhead\('a\.pl',-,/);
      await driver.close();
      // No log at all: the same.
      await rm(path.join(dir, 'ref', 'head'));
      const again = await openSwish(dir);
      expect(await again.getHead('a.pl')).toBe(a.commit);
      await again.close();
    });
  });

  it('fsck names unreadable log lines, overridden heads and packs that did not attach, with exact messages', async () => {
    await withDir(async (dir) => {
      const driver = await openSwish(dir);
      const log = path.join(dir, 'ref', 'head');
      const [A, B, C] = [H('1'), H('2'), H('3')];
      writeFileSync(log, `epoch(1).\n\nhead('a.pl',-,'${A}').\nnonsense.\nhead('a.pl','${A}','${B}').\nhead('a.pl','${A}','${C}').\nhead('b.pl',-,'${A}').\nhead('b.pl',-,'${B}').\n`);
      mkdirSync(path.join(dir, 'pack'));
      writeFileSync(path.join(dir, 'pack', 'bad.pack'), 'garbage');
      const issues = await driver.fsck();
      expect(issues).toEqual([
        { code: 'CORRUPT_PACK', message: `${path.join(dir, 'pack', 'bad.pack')}: Corrupt object in ${path.join(dir, 'pack', 'bad.pack')}: SWISH pack header has no end_of_header` },
        { code: 'HEAD_LOG_LINE', message: `${log}: line 4 skipped: not a head/3 term` },
        {
          code: 'HEAD_LOG_OVERRIDE', name: 'a.pl', hash: B,
          message: `${log}: line 6 (${A} -> ${C}) overrode head ${B} of a.pl: its Old was not the head, so ${B} and the versions between it and ${A} are no longer in the history (their objects remain)`,
        },
        {
          code: 'HEAD_LOG_OVERRIDE', name: 'b.pl', hash: A,
          message: `${log}: line 8 (- -> ${B}) overrode head ${A} of b.pl: its Old was not the head, so ${A} and the versions between it and the start are no longer in the history (their objects remain)`,
        },
      ]);
      await driver.rescan();
      expect(await driver.getHead('a.pl')).toBe(C);
      await driver.close();
    });
  });

  it('prune removes stale temp files from ref/ and empty object folders', async () => {
    await withDir(async (dir) => {
      const driver = await openSwish(dir);
      const stale = path.join(dir, 'ref', `${TEMP_PREFIX}otherhost-12-abcd`);
      await writeFile(stale, 'epoch(');
      const old = new Date(Date.now() - 2 * 3600_000);
      utimesSync(stale, old, old);
      mkdirSync(path.join(dir, 'ab', 'cd'), { recursive: true });
      await driver.prune();
      expect(await readdir(path.join(dir, 'ref'))).toEqual(['head']);
      expect(existsSync(path.join(dir, 'ab'))).toBe(false);
      await driver.close();
    });
  });
});
