import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import * as fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as packIo from '../src/pack-io.js';
import { Tombstones } from '../src/tombstones.js';

// The deleted list's version check, field by field, on stats the test chooses (a coarse clock can
// give two writes one mtime and ctime; a compaction renames another inode over the file): a
// change of any one of size, mtime, ctime or inode re-reads the file, no change reads nothing.
// And the folder is fsynced after the append that created the file, and only then.

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  return { ...real, stat: vi.fn(real.stat), readFile: vi.fn(real.readFile) };
});
vi.mock('../src/pack-io.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/pack-io.js')>();
  return { ...real, syncFolder: vi.fn(real.syncFolder) };
});

const h = (c: string) => c.repeat(40);
let folder: string;

beforeEach(async () => {
  folder = await mkdtemp(path.join(os.tmpdir(), 'gitty-tomb-version-'));
  vi.mocked(fsp.stat).mockClear();
  vi.mocked(fsp.readFile).mockClear();
  vi.mocked(packIo.syncFolder).mockClear();
});
afterEach(async () => {
  vi.mocked(fsp.stat).mockReset();
  await rm(folder, { recursive: true, force: true });
});

type Version = { size: number; mtimeMs: number; ctimeMs: number; ino: number };

/** The deleted list's stat answers `version` (its content is whatever the file holds). */
function statAnswers(version: Version): void {
  vi.mocked(fsp.stat).mockImplementation(async () => version as unknown as Stats);
}

const readsOfList = () => vi.mocked(fsp.readFile).mock.calls.filter(([file]) => file === path.join(folder, 'deleted')).length;

describe('Tombstones version check', () => {
  const base: Version = { size: 42, mtimeMs: 1000.5, ctimeMs: 1000.5, ino: 7 };

  it.each([
    ['size', { ...base, size: 84 }],
    ['mtime', { ...base, mtimeMs: 1000.75 }],
    ['ctime', { ...base, ctimeMs: 1000.75 }],
    ['inode', { ...base, ino: 8 }],
  ] as const)('re-reads the file when only its %s changed, and reads nothing when nothing did', async (_field, changed) => {
    const file = path.join(folder, 'deleted');
    await writeFile(file, `-${h('a')}\n`);
    const t = new Tombstones(folder);
    statAnswers(base);
    await t.refresh();
    expect([t.has(h('a')), readsOfList()]).toEqual([true, 1]);
    await t.refresh();
    expect(readsOfList()).toBe(1);
    await writeFile(file, `-${h('a')}\n+${h('a')}\n`);
    statAnswers(changed);
    await t.refresh();
    expect([t.has(h('a')), readsOfList()]).toEqual([false, 2]);
    await t.refresh();
    expect(readsOfList()).toBe(2);
  });

  it('fsyncs the folder after the append that created the file, and not after later appends', async () => {
    const t = new Tombstones(folder);
    await t.mark(h('a'), true);
    expect(vi.mocked(packIo.syncFolder).mock.calls).toEqual([[folder]]);
    await t.markAll([h('b'), h('c')], true);
    await t.mark(h('a'), false);
    expect(vi.mocked(packIo.syncFolder).mock.calls).toEqual([[folder]]);
  });
});
