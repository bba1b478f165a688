import { afterEach, describe, expect, it } from 'vitest';
import fs, { mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import path from 'node:path';
import { encodeObject, hashObject, nodeCompression } from '@gitty/core';
import { tempDir } from '@gitty/driver-test/harness';
import { LooseObjects, TEMP_PREFIX, type Durability } from '@gitty/driver-files';
import { recordFs, type RecordingFs } from './recording-fs.js';

// The exact file-system steps of a loose write (temp file, flush, link, folder flush) and every
// answer of the small read calls: a reordered flush, a rename where a link belongs or a
// swallowed error loses an object only at a power cut or on an odd file system, which no
// end-to-end test sees.
const bytes = (text: string) => new TextEncoder().encode(text);
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Replace one node:fs function (named ESM imports too) until the test ends. */
function patchFs<K extends keyof typeof fs>(name: K, make: (orig: (typeof fs)[K]) => (typeof fs)[K]): void {
  const mutable = fs as unknown as Record<string, unknown>;
  const orig = fs[name];
  mutable[name] = make(orig);
  syncBuiltinESMExports();
  cleanups.push(() => {
    mutable[name] = orig;
    syncBuiltinESMExports();
  });
}

async function loose(durability: Durability, groupCommit = false, maxObjectSize = 1 << 20): Promise<{ loose: LooseObjects; root: string }> {
  const { dir, remove } = await tempDir('gitty-loose-exact-');
  cleanups.push(remove);
  const root = path.join(dir, 'objects');
  mkdirSync(root);
  return { loose: new LooseObjects({ root, compression: nodeCompression, maxObjectSize, durability, groupCommit }), root };
}

function recording(): RecordingFs {
  const rec = recordFs();
  cleanups.push(() => rec.restore());
  return rec;
}

const temps = (folder: string) => readdirSync(folder).filter((n) => n.startsWith(TEMP_PREFIX));
const tempLike = expect.stringMatching(new RegExp(`/\\${TEMP_PREFIX}[^/]+$`));

describe('loose writes, step by step', () => {
  it('fsync without group commit: parent flushed for a new folder, temp written, flushed, then linked', async () => {
    const { loose: objects, root } = await loose('fsync');
    const data = bytes('one');
    const hash = hashObject('blob', data);
    const file = objects.fileOf(hash);
    const rec = recording();
    expect(await objects.store(hash, 'blob', data)).toBe(true);
    const raw = encodeObject('blob', data, nodeCompression).raw;
    expect(rec.events).toEqual([
      { op: 'fsync', path: root },
      { op: 'write', path: tempLike, text: Buffer.from(raw).toString('latin1') },
      { op: 'fsync', path: tempLike },
      { op: 'link', from: tempLike, to: file },
    ]);
    const [, write, sync, link] = rec.events as { path?: string; from?: string }[];
    expect(sync!.path).toBe(write!.path);
    expect(link!.from).toBe(write!.path);
    expect(path.dirname(write!.path!)).toBe(path.dirname(file));
    expect(temps(path.dirname(file))).toEqual([]);
    // A second object in the same (known) folder does not flush the parent again.
    rec.events.length = 0;
    const other = await findHashInFolder(path.basename(path.dirname(file)));
    expect(await objects.store(other.hash, 'blob', other.data)).toBe(true);
    expect(rec.events.map((e) => e.op)).toEqual(['write', 'fsync', 'link']);
  });

  it('durability none flushes nothing', async () => {
    const { loose: objects } = await loose('none');
    const data = bytes('two');
    const hash = hashObject('blob', data);
    const rec = recording();
    expect(await objects.store(hash, 'blob', data)).toBe(true);
    expect(rec.events.map((e) => e.op)).toEqual(['write', 'link']);
  });

  it('a sound copy is kept and touched: with fsync nothing is written, without it the link finds the copy', async () => {
    for (const durability of ['fsync', 'none'] as const) {
      const { loose: objects } = await loose(durability);
      const data = bytes(`kept ${durability}`);
      const hash = hashObject('blob', data);
      await objects.store(hash, 'blob', data);
      const file = objects.fileOf(hash);
      const old = new Date(Date.now() - 3600_000);
      utimesSync(file, old, old);
      const ino = statSync(file).ino;
      const rec = recording();
      expect(await objects.store(hash, 'blob', data), durability).toBe(false);
      expect(rec.events.map((e) => e.op), durability).toEqual(durability === 'fsync' ? [] : ['write']);
      expect(statSync(file).ino).toBe(ino);
      expect(statSync(file).mtimeMs).toBeGreaterThan(Date.now() - 60_000);
      expect(temps(path.dirname(file))).toEqual([]);
      // storeRaw likewise.
      utimesSync(file, old, old);
      expect(await objects.storeRaw(hash, readFileSync(file))).toBe(false);
      expect(statSync(file).mtimeMs).toBeGreaterThan(Date.now() - 60_000);
      rec.restore();
    }
  });

  // Without fsync the write comes first and the link finds the damaged copy: written again, renamed over it.
  it('a damaged copy is replaced by a rename, in both durabilities', async () => {
    for (const durability of ['fsync', 'none'] as const) {
      const { loose: objects } = await loose(durability);
      const data = bytes(`damaged ${durability}`);
      const hash = hashObject('blob', data);
      await objects.store(hash, 'blob', data);
      const file = objects.fileOf(hash);
      writeFileSync(file, 'garbage');
      const rec = recording();
      expect(await objects.store(hash, 'blob', data), durability).toBe(true);
      expect(rec.events.map((e) => e.op), durability).toEqual(durability === 'fsync' ? ['write', 'fsync', 'rename'] : ['write', 'write', 'rename']);
      expect(rec.events.at(-1)).toEqual({ op: 'rename', from: tempLike, to: file });
      expect(await objects.load(hash)).toEqual({ type: 'blob', data });
      rec.restore();
    }
  });

  it('without hard links (EPERM, ENOTSUP, EOPNOTSUPP, EXDEV) the temp file is renamed into place', async () => {
    for (const code of ['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV']) {
      const { loose: objects } = await loose('none');
      patchFs('linkSync', () => () => {
        throw Object.assign(new Error(code), { code });
      });
      const data = bytes(`no links ${code}`);
      const hash = hashObject('blob', data);
      expect(await objects.store(hash, 'blob', data), code).toBe(true);
      expect(await objects.load(hash)).toEqual({ type: 'blob', data });
      expect(temps(path.dirname(objects.fileOf(hash)))).toEqual([]);
    }
  });

  it('another link failure removes the temp file and fails, ENOSPC as STORAGE_FULL naming the object file', async () => {
    const { loose: objects } = await loose('none');
    let code = 'EIO';
    patchFs('linkSync', () => () => {
      throw Object.assign(new Error(`${code}: injected`), { code });
    });
    const data = bytes('link fails');
    const hash = hashObject('blob', data);
    const file = objects.fileOf(hash);
    await expect(objects.store(hash, 'blob', data)).rejects.toMatchObject({ code: 'EIO', message: 'EIO: injected' });
    expect(temps(path.dirname(file))).toEqual([]);
    code = 'ENOSPC';
    await expect(objects.store(hash, 'blob', data)).rejects.toMatchObject({ code: 'STORAGE_FULL', message: `No room to write ${file} (ENOSPC)` });
    expect(temps(path.dirname(file))).toEqual([]);
    expect(await objects.has(hash)).toBe(false);
  });

  it('a temp file shorter than written is never linked: STORAGE_FULL naming the temp file, which is removed', async () => {
    const { loose: objects } = await loose('fsync');
    const data = bytes('short file');
    const hash = hashObject('blob', data);
    patchFs('fstatSync', (orig) => ((fd: number) => ({ ...orig(fd), size: 1 })) as typeof orig);
    const rec = recording();
    const err = await objects.store(hash, 'blob', data).then(() => undefined, (e: unknown) => e);
    expect(err).toMatchObject({ code: 'STORAGE_FULL', message: expect.stringMatching(new RegExp(`^No room to write ${path.dirname(objects.fileOf(hash))}/\\${TEMP_PREFIX}[^ ]+$`)) });
    expect(rec.events.map((e) => e.op)).toEqual(['fsync', 'write']);
    expect(temps(path.dirname(objects.fileOf(hash)))).toEqual([]);
    expect(await objects.has(hash)).toBe(false);
  });

  it('a folder pruned after it was known is made again; an open that keeps failing gives up after 11 tries', async () => {
    const { loose: objects, root } = await loose('fsync');
    const first = await findHashInFolder('ab');
    await objects.store(first.hash, 'blob', first.data);
    await objects.delete(first.hash);
    rmdirSync(path.join(root, 'ab'));
    const rec = recording();
    const second = await findHashInFolder('ab', 1);
    expect(await objects.store(second.hash, 'blob', second.data)).toBe(true);
    expect(rec.events.map((e) => e.op)).toEqual(['fsync', 'write', 'fsync', 'link']);
    expect(rec.events[0]).toEqual({ op: 'fsync', path: root });
    rec.restore();
    let opens = 0;
    patchFs('openSync', (orig) => ((file: fs.PathLike, ...rest: never[]) => {
      if (String(file).includes(TEMP_PREFIX)) {
        opens++;
        throw Object.assign(new Error('ENOENT: injected'), { code: 'ENOENT' });
      }
      return (orig as (...a: unknown[]) => number)(file, ...rest);
    }) as typeof orig);
    const third = await findHashInFolder('ab', 2);
    await expect(objects.store(third.hash, 'blob', third.data)).rejects.toMatchObject({ code: 'ENOENT', message: 'ENOENT: injected' });
    expect(opens).toBe(11);
  });

  it('an open failing otherwise fails at once (no room: STORAGE_FULL naming the temp file)', async () => {
    const { loose: objects } = await loose('none');
    let opens = 0;
    patchFs('openSync', (orig) => ((file: fs.PathLike, ...rest: never[]) => {
      if (String(file).includes(TEMP_PREFIX)) {
        opens++;
        throw Object.assign(new Error('ENOSPC: injected'), { code: 'ENOSPC' });
      }
      return (orig as (...a: unknown[]) => number)(file, ...rest);
    }) as typeof orig);
    const data = bytes('no room');
    const hash = hashObject('blob', data);
    await expect(objects.store(hash, 'blob', data)).rejects.toMatchObject({
      code: 'STORAGE_FULL', message: expect.stringMatching(new RegExp(`^No room to write .*/\\${TEMP_PREFIX}.* \\(ENOSPC\\)$`)),
    });
    expect(opens).toBe(1);
  });
});

describe('loose reads', () => {
  it('refuses content that does not hash to the hash, and objects over the size limit', async () => {
    const { loose: objects } = await loose('none', false, 4);
    const hash = hashObject('blob', bytes('abc'));
    await expect(objects.store(hash, 'blob', bytes('abd'))).rejects.toMatchObject({
      code: 'CORRUPT_OBJECT', message: expect.stringContaining(`content hashes to ${hashObject('blob', bytes('abd'))}`),
    });
    await expect(objects.store(hashObject('blob', bytes('abcde')), 'blob', bytes('abcde'))).rejects.toMatchObject({ code: 'OBJECT_TOO_LARGE' });
    expect(await objects.store(hashObject('blob', bytes('abcd')), 'blob', bytes('abcd'))).toBe(true);
    await expect(objects.storeRaw(hash, bytes('not zlib'))).rejects.toMatchObject({ code: 'CORRUPT_OBJECT' });
    expect(await objects.has(hash)).toBe(false);
  });

  it('load, loadRaw, has, delete and objectTime answer exactly', async () => {
    const { loose: objects } = await loose('none');
    const data = bytes('read me');
    const hash = hashObject('blob', data);
    expect(await objects.load(hash)).toBeUndefined();
    expect(await objects.loadRaw(hash)).toBeUndefined();
    expect(await objects.has(hash)).toBe(false);
    expect(await objects.objectTime(hash)).toBeUndefined();
    expect(await objects.delete(hash)).toBe(false);
    await objects.store(hash, 'blob', data);
    const file = objects.fileOf(hash);
    const raw = await objects.loadRaw(hash);
    expect(raw?.constructor).toBe(Uint8Array);
    expect(raw).toEqual(new Uint8Array(readFileSync(file)));
    expect(await objects.load(hash)).toEqual({ type: 'blob', data });
    expect(await objects.has(hash)).toBe(true);
    const when = new Date(1_600_000_000_000);
    utimesSync(file, when, when);
    expect(await objects.objectTime(hash)).toBe(1_600_000_000_000);
    writeFileSync(file, 'garbage');
    await expect(objects.loadRaw(hash)).rejects.toMatchObject({ code: 'CORRUPT_OBJECT', message: expect.stringContaining(file) });
    await expect(objects.load(hash)).rejects.toMatchObject({ code: 'CORRUPT_OBJECT', message: expect.stringContaining(file) });
    expect(await objects.delete(hash)).toBe(true);
    expect(await objects.has(hash)).toBe(false);
    // A folder where the object file belongs: not an object, and not removable as one.
    mkdirSync(file);
    expect(await objects.has(hash)).toBe(false);
    await expect(objects.delete(hash)).rejects.toMatchObject({ code: 'EISDIR' });
    await expect(objects.load(hash)).rejects.toMatchObject({ code: 'EISDIR' });
  });

  it('stats counts object files only, with their sizes and allocated blocks', async () => {
    const { loose: objects, root } = await loose('none');
    const files: string[] = [];
    for (const text of ['a', 'bb', 'ccc']) {
      const data = bytes(text.repeat(500));
      const hash = hashObject('blob', data);
      await objects.store(hash, 'blob', data);
      files.push(objects.fileOf(hash));
    }
    writeFileSync(path.join(path.dirname(files[0]!), `${TEMP_PREFIX}x-1-ab`), 'temp');
    mkdirSync(path.join(root, 'pack'));
    writeFileSync(path.join(root, 'pack', 'x'), 'pack');
    const sizes = files.map((f) => statSync(f));
    expect(await objects.stats()).toEqual({
      objects: 3,
      bytes: sizes.reduce((s, st) => s + st.size, 0),
      diskBytes: sizes.reduce((s, st) => s + st.blocks * 512, 0),
    });
  });
});

/** Content whose hash falls in folder `prefix` (the `skip`-th such). */
async function findHashInFolder(prefix: string, skip = 0): Promise<{ hash: string; data: Uint8Array }> {
  let seen = 0;
  for (let i = 0; ; i++) {
    const data = bytes(`content ${i}`);
    const hash = hashObject('blob', data);
    if (hash.startsWith(prefix) && seen++ === skip) return { hash, data };
  }
}
