import { afterEach, describe, expect, it } from 'vitest';
import { mkdir, readFile, readdir, utimes, writeFile } from 'node:fs/promises';
import { MemoryDriver, nodeCompression, openStore } from '@gitty/core';
import path from 'node:path';
import { git, tempDir } from '@gitty/driver-test/harness';
import { PacksDriver } from '../src/packs-driver.js';
import { versionText } from './fixtures.js';
import { gitCatFileBatch, memoryPacks, writeHistory } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function packsIn(dir: string): Promise<string[]> {
  return (await readdir(path.join(dir, 'objects', 'pack'))).filter((n) => n.endsWith('.pack')).map((n) => path.join(dir, 'objects', 'pack', n));
}

describe('repack', () => {
  it('packs every version, newest whole and older ones as deltas, readable before and after', async () => {
    const t = await memoryPacks();
    cleanups.push(t.done);
    const history = await writeHistory(t.store, 12, 10);
    const report = await t.store.repack({ minFiles: 1 });
    expect(report.packed).toBe(12 * 10 * 2);
    expect(report.looseRemoved).toBe(240);
    expect(report.deltas).toBeGreaterThanOrEqual(12 * 9); // every older blob at least
    const [pack] = await packsIn(t.dir);
    expect(report.pack).toBe(pack);
    for (const [f, commits] of history.entries()) {
      for (const [v, c] of commits.entries()) {
        expect((await t.store.get(c)).text).toBe(versionText(f, v));
      }
    }
    // git agrees: the pack verifies, its idx is git's, and each newest blob is stored whole.
    const verify = (await git(['verify-pack', '-v', pack!])).toString();
    const gitIdx = path.join(t.dir, 'git.idx');
    await git(['index-pack', '-o', gitIdx, pack!]);
    expect(Buffer.compare(await readFile(gitIdx), await readFile(pack!.replace(/\.pack$/, '.idx')))).toBe(0);
    for (const commits of history) {
      const head = (await t.store.commit(commits.at(-1)!)).data;
      const line = verify.split('\n').find((l) => l.startsWith(head))!;
      expect(line.trim().split(/\s+/)).toHaveLength(5); // hash type size packed offset: no base
      const oldest = (await t.store.commit(commits[0]!)).data;
      expect(verify.split('\n').find((l) => l.startsWith(oldest))!.trim().split(/\s+/)).toHaveLength(7);
    }
    expect((await t.store.fsck()).ok).toBe(true);
    expect(await t.store.driverStats()).toMatchObject({ packs: 1, packedObjects: 240 });
  });

  it('git reads our packed objects through alternates, and we read the pack git pack-objects makes of them', async () => {
    const t = await memoryPacks();
    cleanups.push(t.done);
    const history = await writeHistory(t.store, 6, 6);
    await t.store.repack({ minFiles: 1 });
    const repo = path.join(t.dir, 'scratch.git');
    await git(['init', '-q', '--bare', repo]);
    await writeFile(path.join(repo, 'objects', 'info', 'alternates'), `${path.join(t.dir, 'objects')}\n`);
    const listed = (await git(['--git-dir', repo, 'cat-file', '--batch-all-objects', '--batch-check'], { stdio: ['ignore', 'pipe', 'pipe'] })).toString().trim().split('\n');
    expect(listed).toHaveLength(72);
    const hashes: string[] = [];
    const commits = new Map<string, { blob: string; text: string; body: Uint8Array }>();
    for (const [f, chain] of history.entries()) {
      for (const [v, c] of chain.entries()) {
        commits.set(c, { blob: (await t.store.commit(c)).data, text: versionText(f, v), body: (await t.driver.loadObject(c))!.data });
      }
    }
    const read = await gitCatFileBatch(repo, [...commits].flatMap(([c, { blob }]) => [c, blob]));
    for (const [f, chain] of history.entries()) {
      for (const c of chain) {
        const { blob, text, body } = commits.get(c)!;
        expect(read.get(blob)?.type).toBe('blob');
        expect(read.get(blob)!.data.toString()).toBe(text);
        expect(read.get(c)?.type).toBe('commit');
        expect(Buffer.compare(read.get(c)!.data, Buffer.from(body))).toBe(0);
        hashes.push(`${c} file-${f}.txt`, `${blob} file-${f}.txt`);
      }
    }
    // git repacks our objects its own way; a fresh store holding only git's pack reads them all.
    const { dir: other, remove } = await tempDir('gitty-packs-git-');
    cleanups.push(remove);
    const base = path.join(other, 'objects', 'pack', 'pack');
    await mkdir(path.dirname(base), { recursive: true });
    await git(['--git-dir', repo, 'pack-objects', '-q', '--window=250', '--depth=50', base], { input: hashes.join('\n') + '\n' });
    const reader = await new PacksDriver(new MemoryDriver(), { dir: other, compression: nodeCompression, maxObjectSize: 1 << 24 }).open();
    const store = await openStore(reader);
    try {
      for (const [f, commits] of history.entries()) {
        for (const [v, c] of commits.entries()) expect((await store.get(c)).text).toBe(versionText(f, v));
      }
      expect(await reader.fsck()).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('bounds delta chains by depth, and window tries more newer versions as bases', async () => {
    for (const [depth, window] of [[3, 1], [2, 4]] as const) {
      const t = await memoryPacks();
      cleanups.push(t.done);
      const history = await writeHistory(t.store, 2, 12);
      const { pack } = await t.store.repack({ minFiles: 1, depth, window });
      const verify = (await git(['verify-pack', '-v', pack!])).toString();
      const chains = [...verify.matchAll(/^chain length = (\d+)/gm)].map((m) => Number(m[1]));
      expect(Math.max(...chains)).toBe(depth);
      for (const [f, commits] of history.entries()) expect((await t.store.get(commits[0]!)).text).toBe(versionText(f, 0));
    }
  });

  it('prune removes temp packs a killed repack left over an hour ago, and never a fresh one', async () => {
    const t = await memoryPacks();
    cleanups.push(t.done);
    await writeHistory(t.store, 1, 2);
    await t.store.repack({ minFiles: 1 });
    const folder = path.join(t.dir, 'objects', 'pack');
    await writeFile(path.join(folder, 'tmp-1-old.pack'), 'PACK');
    await writeFile(path.join(folder, 'tmp-1-new.pack'), 'PACK');
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    await utimes(path.join(folder, 'tmp-1-old.pack'), twoHoursAgo, twoHoursAgo);
    await t.driver.prune();
    const names = await readdir(folder);
    expect(names).toContain('tmp-1-new.pack');
    expect(names).not.toContain('tmp-1-old.pack');
    expect(names.filter((n) => n.startsWith('pack-'))).toHaveLength(2);
  });

  it('does nothing below minFiles, and merges small packs with new loose objects', async () => {
    const t = await memoryPacks();
    cleanups.push(t.done);
    await writeHistory(t.store, 3, 2);
    expect((await t.store.repack({ minFiles: 100 })).packed).toBe(0);
    expect(await packsIn(t.dir).catch(() => [])).toEqual([]);
    await t.store.repack({ minFiles: 1 });
    await writeHistory(t.store, 2, 2, 'md');
    const second = await t.store.repack({ minFiles: 1 });
    expect(second.packsRemoved).toBe(1);
    expect(second.packed).toBe(12 + 4); // 4 new commits; their blobs equal the .txt ones
    expect(await packsIn(t.dir)).toEqual([second.pack]);
    const third = await t.store.repack({ minFiles: 1, smallPack: 0 });
    expect(third.packed).toBe(0);
    expect((await t.store.fsck()).ok).toBe(true);
  });

  it('with no loose object, minFiles 1 leaves two packs as they are (SWISH\'s rule) and minFiles 0 merges them', async () => {
    const t = await memoryPacks();
    cleanups.push(t.done);
    await writeHistory(t.store, 2, 2);
    await t.store.repack({ minFiles: 1 });
    await writeHistory(t.store, 2, 2, 'md');
    await t.store.repack({ minFiles: 1, smallPack: 0 }); // a second pack beside the first
    expect(await packsIn(t.dir)).toHaveLength(2);
    expect((await t.store.repack({ minFiles: 1, smallPack: Number.MAX_SAFE_INTEGER })).packed).toBe(0);
    expect(await packsIn(t.dir)).toHaveLength(2);
    const merged = await t.store.repack({ minFiles: 0, smallPack: Number.MAX_SAFE_INTEGER });
    expect(merged.packsRemoved).toBe(2);
    expect(await packsIn(t.dir)).toEqual([merged.pack]);
    expect((await t.store.fsck()).ok).toBe(true);
  });

  it('unpack turns packs back into loose objects', async () => {
    const t = await memoryPacks();
    cleanups.push(t.done);
    const history = await writeHistory(t.store, 4, 5);
    await t.store.repack({ minFiles: 1 });
    const loose = t.driver.packStore.loose;
    expect(await loose.hasObject(history[0]![0]!)).toBe(false);
    expect((await t.store.unpack()).unpacked).toBe(40);
    expect(await packsIn(t.dir)).toEqual([]);
    expect(await loose.hasObject(history[0]![0]!)).toBe(true);
    expect((await t.store.get('file-3.txt')).text).toBe(versionText(3, 4));
  });

  it('deleting a packed object hides it at once and drops it at the next merge', async () => {
    const t = await memoryPacks();
    cleanups.push(t.done);
    const history = await writeHistory(t.store, 2, 3);
    await t.store.repack({ minFiles: 1 });
    const victim = history[0]![0]!;
    expect(await t.driver.deleteObject(victim)).toBe(true);
    expect(await t.driver.hasObject(victim)).toBe(false);
    expect(await t.driver.loadObject(victim)).toBeUndefined();
    const all: string[] = [];
    for await (const h of t.driver.objects()) all.push(h);
    expect(all).not.toContain(victim);
    expect(all).toHaveLength(11);
    await writeHistory(t.store, 1, 1, 'x'); // a new commit; its blob is already packed
    const report = await t.store.repack({ minFiles: 1 });
    expect(report.packed).toBe(11 + 1);
    expect(t.driver.packStore.tombstones.size).toBe(0);
    expect(await t.driver.hasObject(victim)).toBe(false);
  });

  it('a second driver on the same folder finds objects another one packed', async () => {
    const t = await memoryPacks();
    cleanups.push(t.done);
    const history = await writeHistory(t.store, 2, 2);
    const other = await new PacksDriver(t.driver.packStore.loose, {
      dir: t.dir, compression: (await import('@gitty/core')).nodeCompression, maxObjectSize: 1 << 24,
    }).open();
    await t.store.repack({ minFiles: 1 });
    const object = await other.loadObject(history[1]![1]!);
    expect(object?.type).toBe('commit');
    await other.packStore.packs.close();
  });
});
