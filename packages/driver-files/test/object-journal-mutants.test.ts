// Survivors of fb-journal (object-journal.ts): a seal's marker batched with a real append, the
// journal folder flushed only with fsync (on open and after a seal), and no descriptor left
// open once a journal is retired. Real journal files in temp dirs; node:fs calls counted.
import { afterEach, describe, expect, it } from 'vitest';
import fs, { readdirSync } from 'node:fs';
import fsp from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import path from 'node:path';
import { encodeObject, nodeCompression } from '@gitty/core';
import { tempDir } from '@gitty/driver-test/harness';
import { LooseObjects } from '../src/loose.js';
import { ObjectJournal } from '../src/object-journal.js';
import { patch, undoPatches } from './support/patch-fs.js';

const MAX = 1000;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  undoPatches();
  while (cleanups.length > 0) await cleanups.pop()!();
});

function blob(text: string): { hash: string; data: Uint8Array } {
  const data = new TextEncoder().encode(text);
  return { hash: encodeObject('blob', data, nodeCompression).hash, data };
}

async function setup(durability: 'fsync' | 'none') {
  const { dir, remove } = await tempDir('gitty-journal-mutants-');
  const root = path.join(dir, 'objects');
  const folder = path.join(root, 'journal');
  const loose = new LooseObjects({ root, compression: nodeCompression, maxObjectSize: MAX, durability });
  const unflushed = new LooseObjects({ root, compression: nodeCompression, maxObjectSize: MAX, durability: 'none' });
  const journal = new ObjectJournal({ folder, loose, unflushed, durability, compression: nodeCompression, maxObjectSize: MAX, write: true });
  cleanups.push(async () => {
    await journal.close().catch(() => undefined);
    await remove();
  });
  return { root, folder, loose, journal };
}

/** Count folder flushes: fsyncSync on a descriptor opened on `folder`, and FileHandle.sync of a handle opened on it. */
function countFolderFlushes(folder: string): { sync: number; async: number } {
  const counts = { sync: 0, async: 0 };
  const folderFds = new Set<number>();
  patch('openSync', (original) => ((target: fs.PathLike, ...rest: unknown[]) => {
    const fd = (original as (...a: unknown[]) => number)(target, ...rest);
    if (String(target) === folder) folderFds.add(fd);
    return fd;
  }) as typeof fs.openSync);
  patch('fsyncSync', (original) => ((fd: number) => {
    if (folderFds.has(fd)) counts.sync++;
    original(fd);
  }) as typeof fs.fsyncSync);
  const realOpen = fsp.open;
  (fsp as { open: typeof fsp.open }).open = (async (target: fs.PathLike, ...rest: unknown[]) => {
    const handle = await (realOpen as (...a: unknown[]) => Promise<fsp.FileHandle>)(target, ...rest);
    if (String(target) === folder) {
      const sync = handle.sync.bind(handle);
      handle.sync = async () => {
        counts.async++;
        await sync();
      };
    }
    return handle;
  }) as typeof fsp.open;
  syncBuiltinESMExports();
  cleanups.push(async () => {
    (fsp as { open: typeof fsp.open }).open = realOpen;
    syncBuiltinESMExports();
  });
  return counts;
}

describe('ObjectJournal (fb-journal survivors)', () => {
  it('a seal requested in the same turn as an append: the append is stored (the seal\'s marker is no record)', async () => {
    const { journal } = await setup('none');
    const a = blob('first');
    const b = blob('second');
    expect(await journal.store(a.hash, 'blob', a.data)).toBe(true);
    const stored = journal.store(b.hash, 'blob', b.data);
    const sealed = journal.sealOwn();
    expect(await stored).toBe(true);
    await sealed;
    expect(journal.load(b.hash) ?? (await journal.sealOwn(), undefined)).toEqual({ type: 'blob', data: b.data });
  });

  it('durability none flushes no folder, neither on opening a journal nor after a seal', async () => {
    const { folder, journal } = await setup('none');
    const counts = countFolderFlushes(folder);
    const a = blob('no flush');
    await journal.store(a.hash, 'blob', a.data);
    await journal.sealOwn();
    expect(readdirSync(folder)).toEqual([]);
    expect(counts).toEqual({ sync: 0, async: 0 });
  });

  it('durability fsync flushes the journal folder on opening a journal and once after its seal', async () => {
    const { folder, journal } = await setup('fsync');
    const counts = countFolderFlushes(folder);
    const a = blob('flushed');
    await journal.store(a.hash, 'blob', a.data);
    expect(counts).toEqual({ sync: 1, async: 0 });
    await journal.sealOwn();
    expect(readdirSync(folder)).toEqual([]);
    expect(counts).toEqual({ sync: 1, async: 1 });
  });

  it('no descriptor stays open once the journal is sealed and closed', async () => {
    const { journal } = await setup('none');
    const before = readdirSync('/proc/self/fd').length;
    for (let i = 0; i < 3; i++) {
      const a = blob(`round ${i}`);
      await journal.store(a.hash, 'blob', a.data);
      await journal.sealOwn();
    }
    await journal.close();
    expect(readdirSync('/proc/self/fd').length).toBe(before);
  });
});
