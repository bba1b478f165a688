// Survivors of fb-swish (swish/packs.ts, swish-driver.ts, detect.ts, object-paths.ts,
// replay.ts), each pinned by an exact check on real files: header terms that only look like
// gitty/1, obj/4 or end_of_header, pack names fsck must not trust, dangling symlinks and symlink
// loops where a pack folder or `objects/` is, descriptors closed after every read
// (/proc/self/fd), and the SWISH driver's own options and retries.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createHash } from 'node:crypto';
import fs, { existsSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { defaultDriverContext, encodeObject, type HeadChange } from '@gitty/core';
import { tempDir } from '@gitty/driver-test/harness';
import {
  FileLock, SwishFilesDriver, SwishPack, SwishPackSet, createDriver, detectFormats, gzipCompression, readSwishPackHeader, swishObjectPaths,
} from '@gitty/driver-files';
import { overriddenHeads, swishStartCorrections } from '../../src/swish/replay.js';
import { patch, undoPatches } from '../support/patch-fs.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  vi.useRealTimers();
  undoPatches();
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function folder(): Promise<string> {
  const { dir, remove } = await tempDir('gitty-swish-mutants-');
  cleanups.push(remove);
  return dir;
}

interface Built { hash: string; data: Uint8Array; raw: Uint8Array }
function blob(text: string): Built {
  const data = new TextEncoder().encode(text);
  return { data, ...encodeObject('blob', data, gzipCompression) };
}
const one = blob('hello\n');
const entry = (o: Built) => `obj('${o.hash}',blob,${o.data.length},${o.raw.length}).\n`;

function packOf(header: string, objects: Built[]): Buffer {
  return Buffer.concat([Buffer.from(header, 'latin1'), ...objects.map((o) => Buffer.from(o.raw))]);
}

function writePack(dir: string, bytes: Buffer, name?: string): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name ?? `pack-${createHash('sha1').update(bytes).digest('hex')}.pack`);
  writeFileSync(file, bytes);
  return file;
}

function refusal(file: string): string {
  try {
    readSwishPackHeader(file);
    return 'accepted';
  } catch (err) {
    const e = err as { code?: string; message: string };
    return `${e.code}: ${e.message}`;
  }
}

const openFds = (): number => readdirSync('/proc/self/fd').length;

/** Run `use` while the head log lock of the store at `dir` is held (as by another process), then let it go. */
async function whileHeadLogLocked(dir: string, use: () => Promise<void>): Promise<void> {
  let release!: () => void;
  let entered!: () => void;
  const inside = new Promise<void>((resolve) => (entered = resolve));
  const held = new FileLock(path.join(dir, 'ref', 'head')).withLock(async () => {
    entered();
    await new Promise<void>((resolve) => (release = resolve));
  });
  await inside;
  try {
    await use();
  } finally {
    release();
    await held;
  }
}

describe('readSwishPackHeader: terms that only look like the header\'s', () => {
  it('refuses each with CORRUPT_OBJECT and the exact reason', async () => {
    const dir = await folder();
    const cases: [string, string, string][] = [
      // A compound end_of_header/1 is no end of the header.
      ['end-compound', `gitty(1).\nend_of_header(1).\n${entry(one)}end_of_header.\n`, 'unexpected term in the SWISH pack header at offset 27'],
      // Another atom is no end of the header either.
      ['other-atom', `gitty(1).\nfoo.\n${entry(one)}end_of_header.\n`, 'unexpected term in the SWISH pack header at offset 14'],
      // gitty/1 must be named gitty, have one argument, and be a compound.
      ['foo-version', `foo(1).\n${entry(one)}end_of_header.\n`, 'unexpected term in the SWISH pack header at offset 7'],
      ['gitty-2-args', `gitty(1,2).\n${entry(one)}end_of_header.\n`, 'unexpected term in the SWISH pack header at offset 11'],
      ['gitty-atom', `gitty.\n${entry(one)}end_of_header.\n`, 'unexpected term in the SWISH pack header at offset 6'],
      // obj/4 must be named obj and be a compound.
      ['foo-4', `gitty(1).\nfoo('${one.hash}',blob,6,${one.raw.length}).\nend_of_header.\n`, 'unexpected term in the SWISH pack header at offset '],
      ['obj-atom', `gitty(1).\nobj.\nend_of_header.\n`, 'unexpected term in the SWISH pack header at offset 14'],
      // The hash must be an atom (a compound named by a hash is not), the sizes integers (6.0 is a float).
      ['hash-compound', `gitty(1).\nobj('${one.hash}'(1),blob,6,${one.raw.length}).\nend_of_header.\n`, 'malformed obj/4 entry in the SWISH pack header at offset '],
      // The header ends at the first end_of_header line, even one in a comment: what follows is not read.
      ['comment', `gitty(1).\n% end_of_header.\n${entry(one)}end_of_header.\n`, 'SWISH pack header does not parse (unexpected end of text at offset 27)'],
      ['float-size', `gitty(1).\nobj('${one.hash}',blob,6.0,${one.raw.length}).\nend_of_header.\n`, 'malformed obj/4 entry in the SWISH pack header at offset '],
    ];
    for (const [label, header, reason] of cases) {
      const file = writePack(dir, packOf(header, [one]), `${label}.pack`);
      const got = refusal(file);
      expect(got.startsWith(`CORRUPT_OBJECT: Corrupt object in ${file}: ${reason}`), `${label}: ${got}`).toBe(true);
    }
  });

  it('a header that does not parse keeps the syntax error as its cause', async () => {
    const dir = await folder();
    const file = writePack(dir, Buffer.from('gitty(1).\nobj(,.\nend_of_header.\n'), 'syntax.pack');
    let caught: unknown;
    try {
      readSwishPackHeader(file);
    } catch (err) {
      caught = err;
    }
    expect((caught as { cause?: unknown }).cause).toBeInstanceOf(Error);
    expect((caught as { cause: Error }).cause.constructor.name).toBe('PrologSyntaxError');
  });
});

describe('SwishPack: fsck trusts only a name that is exactly pack-<sha1>.pack', () => {
  it('a prefix or a suffix around the right sha1 is no name', async () => {
    const dir = await folder();
    const bytes = packOf(`gitty(1).\n${entry(one)}end_of_header.\n`, [one]);
    const sha = createHash('sha1').update(bytes).digest('hex');
    for (const name of [`old-pack-${sha}.pack`, `pack-${sha}.pack.pack`]) {
      const file = writePack(dir, bytes, name);
      expect(SwishPack.attach(file, 1 << 20).fsck(), name).toEqual([
        { code: 'CORRUPT_PACK', message: `${file}: the file's sha1 is ${sha}, its name says (no hash)` },
      ]);
    }
  });
});

describe('no descriptor left open', () => {
  it('after a header read (good or refused), an object read (whole or cut), fsck and format detection', async () => {
    const dir = await folder();
    const bytes = packOf(`gitty(1).\n${entry(one)}end_of_header.\n`, [one]);
    const good = writePack(path.join(dir, 'pack'), bytes);
    const cut = writePack(dir, bytes.subarray(0, bytes.length - 1), 'cut.pack');
    const bad = writePack(dir, Buffer.from('garbage'), 'bad.pack');
    mkdirSync(path.join(dir, 'ref'));
    writeFileSync(path.join(dir, 'ref', 'head'), 'epoch(1).\n');
    const pack = SwishPack.attach(good, 1 << 20);
    const cutPack = SwishPack.attach(cut, 1 << 20);
    const before = openFds();
    for (let i = 0; i < 5; i++) {
      readSwishPackHeader(good);
      expect(refusal(bad).startsWith('CORRUPT_OBJECT')).toBe(true);
      pack.readRaw(one.hash);
      expect(() => cutPack.readRaw(one.hash)).toThrow('the SWISH pack ends inside this object');
      pack.fsck();
      expect(detectFormats(dir)).toEqual(new Set(['swish']));
    }
    expect(openFds()).toBe(before);
  });
});

describe('SwishPackSet.scan', () => {
  it('a dangling symlink named .pack (a pack removed meanwhile) is skipped, not reported', async () => {
    const dir = await folder();
    const packs = path.join(dir, 'pack');
    mkdirSync(packs);
    symlinkSync(path.join(dir, 'nowhere.pack'), path.join(packs, 'gone.pack'));
    const set = new SwishPackSet(packs, 1 << 20);
    set.scan();
    expect(set.all).toEqual([]);
    expect(set.problems()).toEqual([]);
  });

  it('a pack folder that cannot be listed for another reason than missing (a symlink loop) fails with that error', async () => {
    const dir = await folder();
    const packs = path.join(dir, 'pack');
    symlinkSync(packs, packs);
    expect(() => new SwishPackSet(packs, 1 << 20).scan()).toThrow(expect.objectContaining({ code: 'ELOOP' }));
    // detectFormats meets the same loop: it fails too, rather than seeing no packs.
    expect(() => detectFormats(dir)).toThrow(expect.objectContaining({ code: 'ELOOP' }));
  });
});

describe('detectFormats', () => {
  it('a dangling objects symlink is no git store', async () => {
    const dir = await folder();
    symlinkSync(path.join(dir, 'nowhere'), path.join(dir, 'objects'));
    expect(detectFormats(dir)).toEqual(new Set());
  });
});

describe('swishObjectPaths.hashOf', () => {
  it('wants exactly three segments, the last 36 long', () => {
    const hash = one.hash;
    expect(swishObjectPaths.hashOf([hash.slice(0, 2), hash.slice(2, 4), hash.slice(4)])).toBe(hash);
    expect(swishObjectPaths.hashOf([hash.slice(0, 2), hash.slice(2)])).toBeUndefined();
    expect(swishObjectPaths.hashOf([hash.slice(0, 2), hash.slice(2, 6), hash.slice(6)])).toBeUndefined();
  });
});

describe('replay', () => {
  const [A, B, C] = ['a'.repeat(40), 'b'.repeat(40), 'c'.repeat(40)];
  it('swishStartCorrections: a deletion line (new null) is no head', () => {
    const events: HeadChange[] = [{ name: 'x', old: null, new: A }, { name: 'x', old: A, new: null }];
    expect(swishStartCorrections(events)).toEqual([]);
  });

  it('overriddenHeads: deletion lines are skipped', () => {
    const lines = [
      { line: 1, change: { name: 'x', old: null, new: A } },
      { line: 2, change: { name: 'x', old: A, new: null } },
      { line: 3, change: { name: 'x', old: B, new: C } },
    ];
    expect(overriddenHeads(lines)).toEqual([{ line: 3, name: 'x', overridden: A, old: B, by: C }]);
  });
});

async function openSwish(dir: string, options: Record<string, unknown> = {}): Promise<SwishFilesDriver> {
  const driver = (await createDriver({ dir, durability: 'none', format: 'swish', ...options }, defaultDriverContext())) as SwishFilesDriver;
  cleanups.push(() => driver.close());
  return driver;
}

describe('SwishFilesDriver', () => {
  it('storeRaw names the raw object in a refusal; deletion names the swish format', async () => {
    const dir = await folder();
    const driver = await openSwish(dir);
    const zlib = encodeObject('blob', new TextEncoder().encode('x'), (await import('@gitty/core')).nodeCompression);
    await expect(driver.storeRaw('1'.repeat(40), zlib.raw)).rejects.toThrow(`Corrupt object ${'1'.repeat(40)} in raw object: `);
    await expect(driver.updateHead('a.pl', null, null)).rejects.toThrow(/^The files \(swish format\) driver does not support deleting a file /);
  });

  it('rescan attaches a pack written meanwhile (stats count it)', async () => {
    const dir = await folder();
    const driver = await openSwish(dir);
    expect((await driver.stats()).packs).toBe(0);
    writePack(path.join(dir, 'pack'), packOf(`gitty(1).\n${entry(one)}end_of_header.\n`, [one]));
    await driver.rescan();
    expect((await driver.stats()).packs).toBe(1);
  });

  it('a pack removed after it was attached (repacked away) is looked up again: the loose copy reads', async () => {
    const dir = await folder();
    const file = writePack(path.join(dir, 'pack'), packOf(`gitty(1).\n${entry(one)}end_of_header.\n`, [one]));
    const driver = await openSwish(dir);
    rmSync(file);
    const loose = path.join(dir, ...swishObjectPaths.segments(one.hash));
    mkdirSync(path.dirname(loose), { recursive: true });
    writeFileSync(loose, one.raw);
    expect(await driver.loadObject(one.hash)).toEqual({ type: 'blob', data: one.data });
  });

  it('lockTimeout reaches the head log lock: a held lock fails a CAS with LOCK_TIMEOUT', async () => {
    const dir = await folder();
    const driver = await openSwish(dir, { lockTimeout: 50 });
    await whileHeadLogLocked(dir, async () => {
      await expect(driver.updateHead('a.pl', null, 'a'.repeat(40))).rejects.toMatchObject({ code: 'LOCK_TIMEOUT' });
    });
  });

  it('durability none: storing a loose object flushes nothing; the default (fsync) flushes', async () => {
    let flushes = 0;
    const count = <K extends 'fsyncSync' | 'fdatasyncSync'>(name: K) => patch(name, (original) => ((fd: number) => {
      flushes++;
      (original as (fd: number) => void)(fd);
    }) as (typeof fs)[K]);
    count('fsyncSync');
    count('fdatasyncSync');
    patch('fsync', (original) => ((fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => {
      flushes++;
      original(fd, cb);
    }) as typeof fs.fsync);
    patch('fdatasync', (original) => ((fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => {
      flushes++;
      original(fd, cb);
    }) as typeof fs.fdatasync);
    const none = await openSwish(await folder());
    flushes = 0;
    expect(await none.storeObject(one.hash, 'blob', one.data)).toBe(true);
    expect(flushes).toBe(0);
    const dir = await folder();
    const synced = (await createDriver({ dir, format: 'swish' }, defaultDriverContext())) as SwishFilesDriver;
    cleanups.push(() => synced.close());
    flushes = 0;
    expect(await synced.storeObject(one.hash, 'blob', one.data)).toBe(true);
    expect(flushes).toBeGreaterThan(0);
    expect(existsSync(path.join(dir, ...swishObjectPaths.segments(one.hash)))).toBe(true);
  });

  it('pollInterval reaches the heads: a lookup within it does not read the log again, even 5 s later', async () => {
    const dir = await folder();
    const reader = await openSwish(dir, { pollInterval: 1e9, watchLog: false });
    const writer = await openSwish(dir, { watchLog: false });
    await writer.updateHead('a.pl', null, 'a'.repeat(40));
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 5000);
    expect(await reader.getHead('a.pl')).toBeUndefined();
    await reader.rescan();
    expect(await reader.getHead('a.pl')).toBe('a'.repeat(40));
  });

  it('a miss looks three times (packs, then loose) and rescans the packs between looks, not after the last', async () => {
    const dir = await folder();
    const driver = await openSwish(dir);
    const absent = blob('absent');
    const looseFile = path.join(dir, ...swishObjectPaths.segments(absent.hash));
    let probes = 0;
    patch('statSync', (original) => ((target: fs.PathLike, ...rest: unknown[]) => {
      if (String(target) === looseFile && ++probes === 3) {
        // A pack lands during the last look: only a rescan after it would attach it.
        writePack(path.join(dir, 'pack'), packOf(`gitty(1).\n${entry(one)}end_of_header.\n`, [one]));
      }
      return (original as (...a: unknown[]) => unknown)(target, ...rest);
    }) as typeof fs.statSync);
    expect(await driver.hasObject(absent.hash)).toBe(false);
    expect(probes).toBe(3);
    expect((await driver.stats()).packs).toBe(0);
  });

  it('opening a store with a log takes no lock (a held one does not stop it)', async () => {
    const dir = await folder();
    await (await openSwish(dir)).close();
    await whileHeadLogLocked(dir, async () => {
      const driver = await openSwish(dir, { lockTimeout: 50 });
      expect(await driver.getHead('a.pl')).toBeUndefined();
    });
  });

  it('an empty log filled by another writer while the opener waited for the lock is not rebuilt over', async () => {
    const dir = await folder();
    await (await openSwish(dir)).close();
    const log = path.join(dir, 'ref', 'head');
    writeFileSync(log, '');
    const lock = new FileLock(log);
    let release!: () => void;
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const held = lock.withLock(async () => {
      entered();
      await new Promise<void>((resolve) => (release = resolve));
    });
    await inside;
    const A = 'a'.repeat(40);
    patch('openSync', (original) => ((target: fs.PathLike, ...rest: unknown[]) => {
      if (String(target) === lock.waitingPath && release) {
        // The opener waits for the lock: another writer fills the log and lets go.
        writeFileSync(log, `epoch(7).\n\nhead('a.pl',-,'${A}').\n`);
        const letGo = release;
        release = undefined as unknown as () => void;
        letGo();
      }
      return (original as (...a: unknown[]) => number)(target, ...rest);
    }) as typeof fs.openSync);
    const driver = await openSwish(dir);
    await held;
    expect(await driver.getHead('a.pl')).toBe(A);
  });
});
