// Exact tests of loose.ts beyond loose-exact.test.ts: the folder flush that goes through
// FileHandle.sync (recorded here by a mock of node:fs/promises, in the same event list as
// recording-fs.ts's calls), the group-commit write path step by step, a copy whose flush is still
// in flight, freshen's error branches, foreign names in object folders, and the read calls'
// errors other than "missing".
import { afterEach, describe, expect, it, vi } from 'vitest';
import fs, { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { encodeObject, hashObject, isGittyError, nodeCompression } from '@gitty/core';
import { tempDir } from '@gitty/driver-test/harness';
import { LooseObjects, TEMP_PREFIX, type Durability } from '@gitty/driver-files';
import { recordFs, type FsEvent, type RecordingFs } from './recording-fs.js';

// Folder flushes through `open(folder, 'r')` + `handle.sync()` (fs-sync.ts's syncFolder), logged
// as an fsync of the folder once done; `failSync` makes the sync of that path fail.
const folderSync = vi.hoisted(() => ({
  events: undefined as { op: 'fsync'; path: string }[] | undefined,
  failSync: undefined as { path: string; code: string } | undefined,
}));

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...real,
    open: async (file: string, flags: string) => {
      const handle = await real.open(file, flags);
      return {
        sync: async () => {
          if (folderSync.failSync?.path === file) {
            throw Object.assign(new Error(`${folderSync.failSync.code}: injected, fsync`), { code: folderSync.failSync.code });
          }
          await handle.sync();
          folderSync.events?.push({ op: 'fsync', path: file });
        },
        close: () => handle.close(),
      };
    },
  };
});

const bytes = (text: string) => new TextEncoder().encode(text);
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  folderSync.events = undefined;
  folderSync.failSync = undefined;
  for (const c of cleanups.splice(0).reverse()) await c();
});

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
  const { dir, remove } = await tempDir('gitty-loose-durable-');
  cleanups.push(remove);
  const root = path.join(dir, 'objects');
  mkdirSync(root);
  return { loose: new LooseObjects({ root, compression: nodeCompression, maxObjectSize, durability, groupCommit }), root };
}

/** recording-fs.ts's events, with the FileHandle folder flushes logged into the same list. */
function recording(): RecordingFs {
  const rec = recordFs();
  folderSync.events = rec.events as { op: 'fsync'; path: string }[];
  cleanups.push(() => rec.restore());
  return rec;
}

const temps = (folder: string) => readdirSync(folder).filter((n) => n.startsWith(TEMP_PREFIX));
const tempLike = expect.stringMatching(new RegExp(`/\\${TEMP_PREFIX}[^/]+$`));
const rawOf = (text: string) => Buffer.from(encodeObject('blob', bytes(text), nodeCompression).raw).toString('latin1');

/** Another object whose file lands in the folder `folder` (two hex digits). */
function inFolder(folder: string, ...not: string[]): { hash: string; data: Uint8Array; text: string } {
  for (let i = 0; ; i++) {
    const text = `x${i}`;
    const hash = hashObject('blob', bytes(text));
    if (hash.startsWith(folder) && !not.includes(hash)) return { hash, data: bytes(text), text };
  }
}

async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    return String(await promise);
  } catch (err) {
    if (isGittyError(err)) return `${err.code}: ${err.message}`;
    return `${(err as NodeJS.ErrnoException).code}`;
  }
}

describe('loose: the folder flush after the link', () => {
  it('fsync without group commit: the object\'s folder is flushed after the link, before store resolves', async () => {
    const { loose: objects, root } = await loose('fsync');
    const data = bytes('one');
    const hash = hashObject('blob', data);
    const file = objects.fileOf(hash);
    const rec = recording();
    expect(await objects.store(hash, 'blob', data)).toBe(true);
    expect(rec.events).toEqual([
      { op: 'fsync', path: root },
      { op: 'write', path: tempLike, text: rawOf('one') },
      { op: 'fsync', path: tempLike },
      { op: 'link', from: tempLike, to: file },
      { op: 'fsync', path: path.dirname(file) },
    ]);
  });

  it('a link that finds a copy placed meanwhile (EEXIST) created nothing: no folder flush, resolves false', async () => {
    const { loose: objects } = await loose('fsync');
    const data = bytes('raced');
    const hash = hashObject('blob', data);
    const file = objects.fileOf(hash);
    patchFs('linkSync', (orig) => ((from: fs.PathLike, to: fs.PathLike) => {
      if (String(to) === file) writeFileSync(file, encodeObject('blob', data, nodeCompression).raw); // another writer was first
      return orig(from, to);
    }) as typeof fs.linkSync);
    const rec = recording();
    expect(await objects.store(hash, 'blob', data)).toBe(false);
    expect(rec.events.filter((e) => e.op === 'fsync' && e.path === path.dirname(file))).toEqual([]);
    expect(temps(path.dirname(file))).toEqual([]);
  });

  it('a failed folder flush fails the store: the errno as it is, no room as STORAGE_FULL naming the folder', async () => {
    const { loose: objects } = await loose('fsync');
    const first = bytes('first');
    const hash = hashObject('blob', first);
    const folder = path.dirname(objects.fileOf(hash));
    folderSync.failSync = { path: folder, code: 'EIO' };
    expect(await outcome(objects.store(hash, 'blob', first))).toBe('EIO');
    const other = inFolder(path.basename(folder), hash);
    folderSync.failSync = { path: folder, code: 'ENOSPC' };
    expect(await outcome(objects.store(other.hash, 'blob', other.data))).toBe(`STORAGE_FULL: No room to write ${folder} (ENOSPC)`);
    // A folder flush the platform cannot do (EINVAL) only weakens durability.
    const third = inFolder(path.basename(folder), hash, other.hash);
    folderSync.failSync = { path: folder, code: 'EINVAL' };
    expect(await outcome(objects.store(third.hash, 'blob', third.data))).toBe('true');
  });
});

describe('loose: group commit', () => {
  it('writes the temp file, then the flush syncs it, links it, and syncs its folder and the parent of the new folder', async () => {
    const { loose: objects, root } = await loose('fsync', true);
    const data = bytes('grouped');
    const hash = hashObject('blob', data);
    const file = objects.fileOf(hash);
    const rec = recording();
    expect(await objects.store(hash, 'blob', data)).toBe(true);
    const events = rec.events as FsEvent[];
    expect(events.slice(0, 3)).toEqual([
      { op: 'write', path: tempLike, text: rawOf('grouped') },
      { op: 'fsync', path: tempLike },
      { op: 'link', from: tempLike, to: file },
    ]);
    expect(events.slice(3).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual([
      { op: 'fsync', path: root },
      { op: 'fsync', path: path.dirname(file) },
    ]);
    expect(readFileSync(file).toString('latin1')).toBe(rawOf('grouped'));
    expect(temps(path.dirname(file))).toEqual([]);
    // The folder is known now: the next object in it syncs only its folder.
    rec.events.length = 0;
    const other = inFolder(path.basename(path.dirname(file)), hash);
    expect(await objects.store(other.hash, 'blob', other.data)).toBe(true);
    expect(rec.events).toEqual([
      { op: 'write', path: tempLike, text: rawOf(other.text) },
      { op: 'fsync', path: tempLike },
      { op: 'link', from: tempLike, to: objects.fileOf(other.hash) },
      { op: 'fsync', path: path.dirname(file) },
    ]);
  });

  it('concurrent stores share one flush: every data sync before any link, each folder synced once', async () => {
    const { loose: objects } = await loose('fsync', true);
    const texts = ['g1', 'g2', 'g3'];
    const hashes = texts.map((t) => hashObject('blob', bytes(t)));
    for (const h of hashes) mkdirSync(path.dirname(objects.fileOf(h)), { recursive: true });
    const rec = recording();
    expect(await Promise.all(texts.map((t, i) => objects.store(hashes[i]!, 'blob', bytes(t))))).toEqual([true, true, true]);
    const ops = rec.events.map((e) => e.op);
    expect(ops.slice(0, 3)).toEqual(['write', 'write', 'write']);
    expect(ops.slice(3, 6)).toEqual(['fsync', 'fsync', 'fsync']);
    expect(ops.slice(6, 9)).toEqual(['link', 'link', 'link']);
    const folders = new Set(hashes.map((h) => path.dirname(objects.fileOf(h))));
    expect(rec.events.slice(9).map((e) => (e as { path: string }).path).sort()).toEqual([...folders].sort());
  });

  it('a store of content whose first copy still waits for its flush resolves only after that flush', async () => {
    const { loose: objects } = await loose('fsync', true);
    const data = bytes('in flight');
    const hash = hashObject('blob', data);
    const folder = path.dirname(objects.fileOf(hash));
    mkdirSync(folder);
    // Hold the folder sync of the first flush (fs.open of the folder, callback style).
    let releaseFolder!: () => void;
    const folderReached = new Promise<void>((resolve) => {
      patchFs('open', (orig) => ((...args: unknown[]) => {
        const callback = args[args.length - 1] as (...a: unknown[]) => void;
        if (args[0] === folder) {
          releaseFolder = () => (orig as (...a: unknown[]) => void)(...args.slice(0, -1), callback);
          resolve();
          return;
        }
        (orig as (...a: unknown[]) => void)(...args);
      }) as typeof fs.open);
    });
    let firstDone = false;
    const first = objects.store(hash, 'blob', data).then((v) => ((firstDone = true), v));
    await folderReached;
    // The file is in place (linked) but its folder is not flushed yet.
    expect(statSync(objects.fileOf(hash)).isFile()).toBe(true);
    let secondDone = false;
    const second = objects.store(hash, 'blob', data).then((v) => ((secondDone = true), v));
    for (let i = 0; i < 5; i++) await nextTurn();
    expect([firstDone, secondDone]).toEqual([false, false]);
    releaseFolder();
    expect(await Promise.all([first, second])).toEqual([true, false]);
  });

  it('a failed data sync fails every store of the flush with STORAGE_FULL naming its temp file, and places nothing', async () => {
    const { loose: objects } = await loose('fsync', true);
    const texts = ['f1', 'f2'];
    const hashes = texts.map((t) => hashObject('blob', bytes(t)));
    const rec = recording();
    rec.fault = (p, sync) => (!sync && path.basename(p).startsWith(TEMP_PREFIX) ? Object.assign(new Error('ENOSPC'), { code: 'ENOSPC' }) : undefined);
    const results = await Promise.all(texts.map((t, i) => outcome(objects.store(hashes[i]!, 'blob', bytes(t)))));
    expect(results[0]).toMatch(new RegExp(`^STORAGE_FULL: No room to write .*/\\${TEMP_PREFIX}[^/]+ \\(ENOSPC\\)$`));
    expect(results[1]).toBe(results[0]);
    for (const h of hashes) {
      expect(await objects.has(h)).toBe(false);
      expect(temps(path.dirname(objects.fileOf(h)))).toEqual([]);
    }
  });
});

describe('loose: freshen (an existing copy)', () => {
  it('a copy removed between the look and the read, or the touch, is written again', async () => {
    const { loose: objects } = await loose('fsync');
    const data = bytes('vanishing');
    const hash = hashObject('blob', data);
    const file = objects.fileOf(hash);
    const raw = encodeObject('blob', data, nodeCompression).raw;
    mkdirSync(path.dirname(file));
    writeFileSync(file, raw);
    let reads = 0;
    patchFs('readFileSync', (orig) => ((target: fs.PathOrFileDescriptor, ...rest: unknown[]) => {
      if (target === file && reads++ === 0) fs.unlinkSync(file); // gc removed it after our stat
      return (orig as (...a: unknown[]) => unknown)(target, ...rest);
    }) as typeof fs.readFileSync);
    expect(await objects.store(hash, 'blob', data)).toBe(true);
    expect(readFileSync(file)).toEqual(Buffer.from(raw));
    let touches = 0;
    patchFs('utimesSync', (orig) => ((target: fs.PathLike, ...rest: unknown[]) => {
      if (String(target) === file && touches++ === 0) fs.unlinkSync(file);
      return (orig as (...a: unknown[]) => unknown)(target, ...rest);
    }) as typeof fs.utimesSync);
    expect(await objects.store(hash, 'blob', data)).toBe(true);
    expect(readFileSync(file)).toEqual(Buffer.from(raw));
  });

  it('a copy it may not touch (EPERM, EACCES) is replaced by a fresh one; another touch error fails the store', async () => {
    const { loose: objects } = await loose('fsync');
    const data = bytes('not mine');
    const hash = hashObject('blob', data);
    const file = objects.fileOf(hash);
    const raw = encodeObject('blob', data, nodeCompression).raw;
    mkdirSync(path.dirname(file));
    writeFileSync(file, raw);
    const old = new Date(Date.now() - 86_400_000);
    let code = 'EPERM';
    patchFs('utimesSync', (orig) => ((target: fs.PathLike, ...rest: unknown[]) => {
      if (String(target) === file) throw Object.assign(new Error(`${code}: touch`), { code });
      return (orig as (...a: unknown[]) => unknown)(target, ...rest);
    }) as typeof fs.utimesSync);
    for (code of ['EPERM', 'EACCES']) {
      const inode = statSync(file).ino;
      utimesSyncReal(file, old);
      expect(await objects.store(hash, 'blob', data)).toBe(true);
      expect(statSync(file).ino).not.toBe(inode);
      expect(statSync(file).mtimeMs).toBeGreaterThan(old.getTime() + 60_000);
      expect(temps(path.dirname(file))).toEqual([]);
    }
    code = 'EROFS';
    expect(await outcome(objects.store(hash, 'blob', data))).toBe('EROFS');
    expect(await outcome(objects.storeRaw(hash, raw))).toBe('EROFS');
  });

  it('an object path that is a folder cannot be read: the store fails with the errno, and reads fail too', async () => {
    const { loose: objects } = await loose('fsync');
    const data = bytes('a folder in the way');
    const hash = hashObject('blob', data);
    const file = objects.fileOf(hash);
    mkdirSync(file, { recursive: true });
    expect(await outcome(objects.store(hash, 'blob', data))).toBe('EISDIR');
    expect(await outcome(objects.load(hash))).toBe('EISDIR');
    expect(await outcome(objects.loadRaw(hash))).toBe('EISDIR');
    expect(await objects.has(hash)).toBe(false);
    expect(['EISDIR', 'EPERM']).toContain(await outcome(objects.delete(hash)));
  });

  it('without flushes: a link that finds a name gc removed right after (EEXIST, then missing) writes the object again', async () => {
    const { loose: objects } = await loose('none');
    const data = bytes('write then look');
    const hash = hashObject('blob', data);
    const file = objects.fileOf(hash);
    let links = 0;
    patchFs('linkSync', (orig) => ((from: fs.PathLike, to: fs.PathLike) => {
      if (String(to) === file && links++ === 0) throw Object.assign(new Error('EEXIST: file already exists, link'), { code: 'EEXIST' });
      return orig(from, to);
    }) as typeof fs.linkSync);
    expect(await objects.store(hash, 'blob', data)).toBe(true);
    expect(links).toBe(2);
    expect(await objects.load(hash)).toEqual({ type: 'blob', data });
    expect(temps(path.dirname(file))).toEqual([]);
  });
});

describe('loose: foreign names', () => {
  it('a foreign file in an object folder is neither listed, counted nor pruned; a foreign folder is not walked or removed', async () => {
    const { loose: objects, root } = await loose('none');
    const data = bytes('real');
    const hash = hashObject('blob', data);
    await objects.store(hash, 'blob', data);
    const folder = path.dirname(objects.fileOf(hash));
    writeFileSync(path.join(folder, 'README'), 'a foreign file, 34 bytes long.....');
    writeFileSync(path.join(folder, 'abc'), 'short name');
    mkdirSync(path.join(root, 'info'));
    mkdirSync(path.join(root, 'zz'));
    mkdirSync(path.join(root, 'ab', 'cd'), { recursive: true });
    writeFileSync(path.join(root, 'info', 'b'.repeat(38)), 'not an object');
    const listed: string[] = [];
    for await (const h of objects.list()) listed.push(h);
    expect(listed).toEqual([hash]);
    const stats = await objects.stats();
    expect(stats.objects).toBe(1);
    expect(stats.bytes).toBe(statSync(objects.fileOf(hash)).size);
    const report = await objects.prune();
    expect(report).toEqual({ folders: 0, tempFiles: 0 });
    expect(readdirSync(root).sort()).toEqual(['ab', path.basename(folder), 'info', 'zz'].sort().filter((n, i, a) => a.indexOf(n) === i));
    expect(readdirSync(folder).sort()).toEqual(['README', 'abc', path.basename(objects.fileOf(hash))].sort());
  });
});

function utimesSyncReal(file: string, when: Date): void {
  // The patched utimesSync throws for the object file: set its time through a file descriptor.
  const fd = fs.openSync(file, 'r');
  try {
    fs.futimesSync(fd, when, when);
  } finally {
    fs.closeSync(fd);
  }
}

describe('loose: follow-ups (survivors of fa-journal-loose-after)', () => {
  it('without a durability option it flushes (fsync, group commit); durability none flushes no folder either', async () => {
    const { dir, remove } = await tempDir('gitty-loose-default-');
    cleanups.push(remove);
    const root = path.join(dir, 'objects');
    mkdirSync(root);
    const objects = new LooseObjects({ root, compression: nodeCompression, maxObjectSize: 1 << 20 });
    const data = bytes('default durability');
    const hash = hashObject('blob', data);
    const rec = recording();
    expect(await objects.store(hash, 'blob', data)).toBe(true);
    expect(rec.events.filter((e) => e.op === 'fsync').map((e) => (e as { path: string }).path).sort())
      .toEqual([expect.stringMatching(new RegExp(`/\\${TEMP_PREFIX}[^/]+$`)), path.dirname(objects.fileOf(hash)), root].sort());
    for (const groupCommit of [false, true]) {
      const none = await loose('none', groupCommit);
      rec.events.length = 0;
      const other = bytes(`none ${groupCommit}`);
      expect(await none.loose.store(hashObject('blob', other), 'blob', other)).toBe(true);
      expect(rec.events.filter((e) => e.op === 'fsync')).toEqual([]);
    }
  });

  it('storeRaw replaces a damaged copy (rename over it) and refuses other content with the exact message', async () => {
    const { loose: objects } = await loose('fsync');
    const data = bytes('raw over damage');
    const hash = hashObject('blob', data);
    const file = objects.fileOf(hash);
    const { raw } = encodeObject('blob', data, nodeCompression);
    mkdirSync(path.dirname(file));
    writeFileSync(file, raw.subarray(0, 5));
    const rec = recording();
    expect(await objects.storeRaw(hash, raw)).toBe(true);
    expect(rec.events.filter((e) => e.op === 'rename' || e.op === 'link').map((e) => e.op)).toEqual(['rename']);
    expect(readFileSync(file)).toEqual(Buffer.from(raw));
    const other = encodeObject('blob', bytes('other'), nodeCompression);
    expect(await outcome(objects.storeRaw(hash, other.raw))).toBe('false'); // a sound copy is there: kept
    const fresh = hashObject('blob', bytes('fresh'));
    expect(await outcome(objects.storeRaw(fresh, other.raw))).toBe(`CORRUPT_OBJECT: Corrupt object ${fresh} in raw object: content hashes to ${other.hash}`);
    expect(await outcome(objects.store(fresh, 'blob', bytes('other')))).toBe(`CORRUPT_OBJECT: Corrupt object ${fresh} in storeObject: content hashes to ${other.hash}`);
  });

  it('a read error other than "missing" while looking at a copy fails the store (EIO), it does not rewrite the copy', async () => {
    const { loose: objects } = await loose('fsync');
    const data = bytes('unreadable');
    const hash = hashObject('blob', data);
    await objects.store(hash, 'blob', data);
    const file = objects.fileOf(hash);
    patchFs('readFileSync', (orig) => ((target: fs.PathOrFileDescriptor, ...rest: unknown[]) => {
      if (target === file) throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
      return (orig as (...a: unknown[]) => unknown)(target, ...rest);
    }) as typeof fs.readFileSync);
    const inode = statSync(file).ino;
    expect(await outcome(objects.store(hash, 'blob', data))).toBe('EIO');
    expect(statSync(file).ino).toBe(inode);
  });

  it('a path that cannot be resolved (a symlink loop) fails objectTime and load; a dangling object link is not counted by stats', async () => {
    const { loose: objects } = await loose('none');
    const data = bytes('looped');
    const hash = hashObject('blob', data);
    const file = objects.fileOf(hash);
    mkdirSync(path.dirname(file));
    fs.symlinkSync(file, file);
    expect(await outcome(objects.objectTime(hash))).toBe('ELOOP');
    expect(await outcome(objects.load(hash))).toBe('ELOOP');
    fs.unlinkSync(file);
    fs.symlinkSync(path.join(path.dirname(file), 'nowhere'), file);
    const real = bytes('counted');
    await objects.store(hashObject('blob', real), 'blob', real);
    const stats = await objects.stats();
    expect(stats.objects).toBe(1);
    expect(stats.bytes).toBe(statSync(objects.fileOf(hashObject('blob', real))).size);
  });

  it('a hex-named folder of another length is no object folder: its files are never listed', async () => {
    const { loose: objects, root } = await loose('none');
    mkdirSync(path.join(root, 'abc'));
    writeFileSync(path.join(root, 'abc', 'd'.repeat(37)), 'not an object');
    const listed: string[] = [];
    for await (const h of objects.list()) listed.push(h);
    expect(listed).toEqual([]);
    expect((await objects.stats()).objects).toBe(0);
  });
});
