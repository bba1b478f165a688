import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Tombstones } from '../src/tombstones.js';

// The deleted list is a file other processes append to and compact: its exact lines, what a
// refresh makes of odd lines, and that a replaced file of the same size is noticed.

const h = (c: string) => c.repeat(40);
let folder: string;

beforeEach(async () => {
  folder = await mkdtemp(path.join(os.tmpdir(), 'gitty-tomb-'));
});
afterEach(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('Tombstones', () => {
  it('names its file, and reads no file as nothing deleted', async () => {
    const t = new Tombstones(folder);
    expect(t.file).toBe(path.join(folder, 'deleted'));
    await t.refresh();
    expect(t.size).toBe(0);
    expect(t.has(h('a'))).toBe(false);
  });

  it('appends exact lines, fsynced, and knows them without a refresh', async () => {
    const t = new Tombstones(folder);
    await t.markAll([], true);
    await expect(stat(t.file)).rejects.toMatchObject({ code: 'ENOENT' });
    await t.markAll([h('a'), h('b')], true);
    await t.mark(h('a'), false);
    expect(await readFile(t.file, 'latin1')).toBe(`-${h('a')}\n-${h('b')}\n+${h('a')}\n`);
    expect([t.has(h('a')), t.has(h('b')), t.size]).toEqual([false, true, 1]);
    const other = new Tombstones(folder);
    await other.refresh();
    expect([other.has(h('a')), other.has(h('b')), other.size]).toEqual([false, true, 1]);
  });

  it('ignores lines that are not a sign and a hash', async () => {
    await writeFile(path.join(folder, 'deleted'), `-${h('a')}\n*${h('b')}\n-${h('c').slice(1)}\n-${h('C')}\n${h('d')}\n\n-${h('e')}\n+${h('f')}\n-${h('1')}x\n`);
    const t = new Tombstones(folder);
    await t.refresh();
    expect([...['a', 'b', 'c', 'C', 'd', 'e', 'f'].map((c) => t.has(h(c)))]).toEqual([true, false, false, false, false, true, false]);
    expect(t.size).toBe(2);
  });

  it('re-reads the file when another process appended, and not when nothing changed', async () => {
    const t = new Tombstones(folder);
    await t.refresh();
    const other = new Tombstones(folder);
    await other.mark(h('a'), true);
    await t.refresh();
    expect(t.has(h('a'))).toBe(true);
    await other.mark(h('a'), false);
    await t.refresh();
    expect(t.has(h('a'))).toBe(false);
  });

  it('notices a compaction to a file of the very same size', async () => {
    const t = new Tombstones(folder);
    await t.mark(h('a'), true);
    await t.refresh();
    const s = await stat(t.file);
    const temp = path.join(folder, 'replacement');
    await writeFile(temp, `-${h('b')}\n`);
    await rename(temp, t.file);
    expect((await stat(t.file)).size).toBe(s.size);
    await t.refresh();
    expect([t.has(h('a')), t.has(h('b'))]).toEqual([false, true]);
  });

  it('forgets everything when the file is removed', async () => {
    const t = new Tombstones(folder);
    await t.mark(h('a'), true);
    await t.refresh();
    await rm(t.file);
    await t.refresh();
    expect(t.size).toBe(0);
  });

  it('compacts to the deleted hashes the filter keeps, as "-" lines', async () => {
    const t = new Tombstones(folder);
    await t.markAll([h('a'), h('b'), h('c')], true);
    await t.mark(h('b'), false);
    await t.compact((hash) => hash !== h('c'));
    expect(await readFile(t.file, 'latin1')).toBe(`-${h('a')}\n`);
    expect([t.has(h('a')), t.has(h('b')), t.has(h('c')), t.size]).toEqual([true, false, false, 1]);
    await t.compact(() => false);
    expect(await readFile(t.file, 'latin1')).toBe('');
    expect(t.size).toBe(0);
  });

  it('compacts several kept hashes to one line each', async () => {
    const t = new Tombstones(folder);
    await t.markAll([h('a'), h('b'), h('c')], true);
    await t.compact((hash) => hash !== h('b'));
    expect(await readFile(t.file, 'latin1')).toBe(`-${h('a')}\n-${h('c')}\n`);
  });

  it('a compaction that cannot replace the file fails and leaves no temp file', async () => {
    const t = new Tombstones(folder);
    await mkdir(t.file);
    await expect(t.compact(() => true)).rejects.toMatchObject({ code: 'EISDIR' });
    expect(await readdir(folder)).toEqual(['deleted']);
  });

  it('fails an append in a missing folder with the file system error', async () => {
    const t = new Tombstones(path.join(folder, 'missing'));
    await expect(t.mark(h('a'), true)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(t.has(h('a'))).toBe(false);
    await expect(t.compact(() => true)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
