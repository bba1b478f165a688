import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hashObject, MemoryDriver, type GitObject, type Progress } from '@gitty/core';
import { git } from '@gitty/driver-test/harness';
import { REPACK_DEFAULTS, repackStore } from '../src/repack.js';
import { blob, versionText } from './fixtures.js';
import { memoryPacks, writeHistory } from './helpers.js';
import { noise } from './support/exact.js';

// repackStore on a real pack folder over an in-memory loose store: the report's every field,
// which objects go in (and as deltas on which base, read back by `git verify-pack -v`), what
// stays loose, what is removed, the deleted list after it, and the failures on the way (a lost
// lock at each of its checks, a failing hook, an abort) leaving no temp file and nothing removed.

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function setup() {
  const t = await memoryPacks();
  cleanups.push(t.done);
  const folder = path.join(t.dir, 'objects', 'pack');
  await mkdir(folder, { recursive: true }); // as the pack lock leaves it
  const names = async () => (existsSync(folder) ? (await readdir(folder)).sort() : []);
  return { ...t, folder, names, store: t.driver.packStore, gitty: t.store };
}

/** `git verify-pack -v` of `pack`: per hash, its type, depth and base (pack order kept). */
async function layout(pack: string): Promise<{ hash: string; type: string; depth: number; base?: string }[]> {
  const out = (await git(['verify-pack', '-v', pack])).toString();
  return out.split('\n').filter((l) => /^[0-9a-f]{40} /.test(l)).map((l) => {
    const [hash, type, , , , depth, base] = l.trim().split(/\s+/);
    return { hash: hash!, type: type!, depth: depth === undefined ? 0 : Number(depth), ...(base ? { base } : {}) };
  });
}

async function storeBlobs(loose: MemoryDriver | { storeObject: MemoryDriver['storeObject'] }, count: number, seed = 1): Promise<string[]> {
  const hashes: string[] = [];
  for (let i = 0; i < count; i++) {
    const data = Buffer.from(`blob ${seed} ${i}\n`);
    const hash = hashObject('blob', data);
    await loose.storeObject(hash, 'blob', data);
    hashes.push(hash);
  }
  return hashes;
}

describe('repackStore', () => {
  it('has the documented defaults', () => {
    expect(REPACK_DEFAULTS).toEqual({ minFiles: 1000, smallPack: 10 * 1024 * 1024, window: 1, depth: 20 });
  });

  it('by default waits for 1,000 loose objects, then packs them all, reporting progress every 500 and at the end', async () => {
    const t = await setup();
    const hashes = await storeBlobs(t.store.loose as MemoryDriver, 999);
    expect(await repackStore(t.store)).toEqual({ packed: 0, deltas: 0, packsRemoved: 0, looseRemoved: 0, bytes: 0 });
    expect(await t.names()).toEqual([]);
    hashes.push(...(await storeBlobs(t.store.loose as MemoryDriver, 1, 2)));
    const progress: Progress[] = [];
    const report = await repackStore(t.store, { onProgress: (p) => progress.push(p) });
    const pack = path.join(t.folder, (await t.names()).find((n) => n.endsWith('.pack'))!);
    expect(report).toEqual({ packed: 1000, deltas: 0, packsRemoved: 0, looseRemoved: 1000, bytes: (await stat(pack)).size, pack });
    expect(progress).toEqual([
      { phase: 'repack', done: 500, total: 1000 },
      { phase: 'repack', done: 1000, total: 1000 },
      { phase: 'repack', done: 1000, total: 1000 },
    ]);
    expect(await t.names()).toEqual(['deleted', path.basename(pack).replace(/\.pack$/, '.idx'), path.basename(pack)].sort());
    expect(await readFile(path.join(t.folder, 'deleted'), 'latin1')).toBe('');
    const listed: string[] = [];
    for await (const h of t.store.loose.objects()) listed.push(h);
    expect(listed).toEqual([]);
    expect((await layout(pack)).map((e) => e.hash)).toEqual([...hashes].sort());
  });

  it('places each file\'s versions newest first, older ones as deltas on the next newer (commits and blobs alike), up to depth', async () => {
    const t = await setup();
    const [commits] = await writeHistory(t.gitty, 1, 4);
    const blobs = await Promise.all(commits!.map(async (c) => (await t.gitty.commit(c)).data));
    const report = await repackStore(t.store, { minFiles: 1 });
    const entries = await layout(report.pack!);
    // Pack order: newest commit, its blob, then each older version's commit and blob.
    const order = [3, 2, 1, 0].flatMap((v) => [commits![v]!, blobs[v]!]);
    expect(entries.map((e) => e.hash)).toEqual(order);
    const blobEntries = entries.filter((e) => e.type === 'blob');
    expect(blobEntries.map((e) => [e.depth, e.base])).toEqual([[0, undefined], [1, blobs[3]], [2, blobs[2]], [3, blobs[1]]]);
    const commitEntries = entries.filter((e) => e.type === 'commit');
    // The first commit (no previous line) is smaller whole than as a delta on the second.
    expect(commitEntries.map((e) => e.base)).toEqual([undefined, commits![3], commits![2], undefined]);
    expect(report).toMatchObject({ packed: 8, deltas: 5, looseRemoved: 8, packsRemoved: 0 });
    for (const [v, c] of commits!.entries()) expect((await t.gitty.get(c)).text).toBe(versionText(0, v));
  });

  it('depth 2 restarts the chain with a whole object; depth 0 and below store everything whole; window 0 counts as 1', async () => {
    const cases: [Record<string, number>, number[]][] = [
      [{ depth: 2 }, [0, 1, 2, 0, 1]],
      [{ depth: 0 }, [0, 0, 0, 0, 0]],
      [{ depth: -3 }, [0, 0, 0, 0, 0]],
      [{ window: 0 }, [0, 1, 2, 3, 4]],
    ];
    for (const [options, depths] of cases) {
      const t = await setup();
      await writeHistory(t.gitty, 1, 5);
      const report = await repackStore(t.store, { minFiles: 1, ...options });
      const blobs = (await layout(report.pack!)).filter((e) => e.type === 'blob');
      expect([options, blobs.map((e) => e.depth)]).toEqual([options, depths]);
    }
  });

  it('window 2 tries the two next newer versions and keeps the smaller delta', async () => {
    const t = await setup();
    // Version 2 equals version 0 plus a line; version 1 is unrelated noise: with window 2 the
    // oldest blob takes version 2 (two newer) as its base, with window 1 it cannot.
    const base = versionText(5, 0);
    const texts = [base, Buffer.from(noise(3000, 7)).toString('latin1'), `${base}one more line\n`];
    let previous: string | undefined;
    const hashes: string[] = [];
    for (const [v, text] of texts.entries()) {
      const c = previous === undefined ? await t.gitty.create('w.txt', text, { time: 1000 + v }) : await t.gitty.update('w.txt', text, { previous, time: 1000 + v });
      previous = c.commit;
      hashes.push((await t.gitty.commit(c.commit)).data);
    }
    const report = await repackStore(t.store, { minFiles: 1, window: 2 });
    const oldest = (await layout(report.pack!)).find((e) => e.hash === hashes[0]);
    expect(oldest).toMatchObject({ depth: 1, base: hashes[2] });
  });

  it('leaves objects of types packs do not hold loose, and an empty scan writes no pack', async () => {
    const t = await setup();
    const odd = { type: 'gitty-note', data: Buffer.from('not a git type') };
    const oddHash = hashObject(odd.type, odd.data);
    await t.store.loose.storeObject(oddHash, odd.type, odd.data);
    expect(await repackStore(t.store, { minFiles: 1 })).toEqual({ packed: 0, deltas: 0, packsRemoved: 0, looseRemoved: 0, bytes: 0 });
    expect(await t.names()).toEqual([]);
    const b = blob('packable\n');
    await t.store.loose.storeObject(b.hash, b.type, b.data);
    const report = await repackStore(t.store, { minFiles: 1 });
    expect(report).toMatchObject({ packed: 1, looseRemoved: 1 });
    expect(await t.store.loose.hasObject(oddHash)).toBe(true);
    expect(await t.store.loose.hasObject(b.hash)).toBe(false);
  });

  it('packs a commit that is not a gitty commit whole, outside any chain', async () => {
    const t = await setup();
    const data = Buffer.from(`tree ${'4b825dc642cb6eb9a060e54bf8d69288fbee4904'}\nauthor A <a@b> 1 +0000\ncommitter A <a@b> 1 +0000\n\nplain git\n`);
    const hash = hashObject('commit', data);
    await t.store.loose.storeObject(hash, 'commit', data);
    const report = await repackStore(t.store, { minFiles: 1 });
    expect(await layout(report.pack!)).toEqual([{ hash, type: 'commit', depth: 0 }]);
    expect(Buffer.from((await t.store.packs.read(hash))!.data).equals(data)).toBe(true);
  });

  it('merges packs under smallPack, keeps the others, and only removes loose copies of what a kept pack holds', async () => {
    const t = await setup();
    const first = await storeBlobs(t.store.loose as MemoryDriver, 3, 1);
    const big = (await repackStore(t.store, { minFiles: 1 })).pack!;
    const bigSize = (await stat(big)).size;
    const second = await storeBlobs(t.store.loose as MemoryDriver, 2, 2);
    const small = (await repackStore(t.store, { minFiles: 1, smallPack: bigSize })).pack!;
    const smallSize = (await stat(small)).size;
    expect(smallSize).toBeLessThan(bigSize);
    // A loose copy of an object of the kept pack, and new loose objects.
    await t.store.loose.storeObject(first[0]!, 'blob', Buffer.from('blob 1 0\n'));
    const third = await storeBlobs(t.store.loose as MemoryDriver, 2, 3);
    // smallPack equal to the big pack's size: only packs below it merge.
    const report = await repackStore(t.store, { minFiles: 1, smallPack: bigSize });
    expect(report).toMatchObject({ packed: 4, packsRemoved: 1, looseRemoved: 3, deltas: 0 });
    expect((await layout(report.pack!)).map((e) => e.hash).sort()).toEqual([...second, ...third].sort());
    expect(await t.names()).toEqual(['deleted', ...[big, report.pack!].flatMap((p) => [path.basename(p), path.basename(p).replace(/\.pack$/, '.idx')])].sort());
    expect(existsSync(small)).toBe(false);
    expect(await t.store.loose.hasObject(first[0]!)).toBe(false);
  });

  it('a merge that writes the very same pack keeps it (the new pack is the old one)', async () => {
    const t = await setup();
    await writeHistory(t.gitty, 2, 3);
    const first = await repackStore(t.store, { minFiles: 1 });
    const again = await repackStore(t.store, { minFiles: 0 });
    expect(again).toMatchObject({ pack: first.pack, packed: first.packed, packsRemoved: 0, looseRemoved: 0, bytes: first.bytes });
    expect(await t.names()).toEqual(['deleted', path.basename(first.pack!), path.basename(first.pack!).replace(/\.pack$/, '.idx')].sort());
    expect((await git(['verify-pack', first.pack!])).length).toBe(0);
  });

  it('drops deleted objects of merged packs, compacts the list, and marks live again a loose object it packs over a deleted copy', async () => {
    const t = await setup();
    const [a, b, c] = await storeBlobs(t.store.loose as MemoryDriver, 3);
    const kept = (await repackStore(t.store, { minFiles: 1 })).pack!;
    await t.store.tombstones.markAll([a!, b!], true);
    // b is stored again (loose) after its deletion; a is not.
    await t.store.loose.storeObject(b!, 'blob', Buffer.from('blob 1 1\n'));
    // The old pack is kept (smallPack 1): a stays deleted there, b is packed anew and marked live.
    const report = await repackStore(t.store, { minFiles: 1, smallPack: 1 });
    expect(report).toMatchObject({ packed: 1, looseRemoved: 1, packsRemoved: 0 });
    expect(await readFile(path.join(t.folder, 'deleted'), 'latin1')).toBe(`-${a}\n`);
    expect([t.store.tombstones.has(a!), t.store.tombstones.has(b!)]).toEqual([true, false]);
    expect(t.store.packs.all.map((p) => p.path).sort()).toEqual([kept, report.pack!].sort());
    // Merging the kept pack drops a for good, and the list empties.
    const merged = await repackStore(t.store, { minFiles: 0 });
    expect(merged).toMatchObject({ packed: 2, packsRemoved: 2 });
    expect((await layout(merged.pack!)).map((e) => e.hash).sort()).toEqual([b!, c!].sort());
    expect(await readFile(path.join(t.folder, 'deleted'), 'latin1')).toBe('');
    expect(t.store.tombstones.size).toBe(0);
  });

  it('a lost lock stops it before anything is removed, at each of its three checks', async () => {
    for (const failAt of [1, 2, 3]) {
      const t = await setup();
      const kept = await storeBlobs(t.store.loose as MemoryDriver, 2, 1);
      const old = (await repackStore(t.store, { minFiles: 1 })).pack!;
      await t.store.tombstones.markAll([kept[0]!], true);
      const fresh = await storeBlobs(t.store.loose as MemoryDriver, 2, 2);
      let checks = 0;
      const lost = new Error(`lost at ${failAt}`);
      const lock = {
        assertHeld: async () => {
          if (++checks === failAt) throw lost;
        },
      };
      await expect(repackStore(t.store, { minFiles: 1 }, { lock })).rejects.toBe(lost);
      expect(checks).toBe(failAt);
      const names = await t.names();
      expect(names.filter((n) => n.startsWith('tmp-'))).toEqual([]);
      const packs = names.filter((n) => n.endsWith('.pack'));
      // 1: nothing installed; 2: installed, nothing removed; 3: removed, the list not compacted.
      expect([failAt, packs.length]).toEqual([failAt, failAt === 1 ? 1 : failAt === 2 ? 2 : 1]);
      expect([failAt, await t.store.loose.hasObject(fresh[0]!)]).toEqual([failAt, failAt < 3]);
      expect([failAt, existsSync(old)]).toEqual([failAt, failAt < 3]);
      expect([failAt, await readFile(path.join(t.folder, 'deleted'), 'latin1')]).toEqual([failAt, `-${kept[0]}\n`]);
    }
  });

  it('a failing beforeInstall hook or an abort leaves no temp file and removes nothing', async () => {
    const t = await setup();
    const hashes = await storeBlobs(t.store.loose as MemoryDriver, 3);
    let seenTemp = '';
    const hookError = new Error('hook');
    await expect(repackStore(t.store, { minFiles: 1 }, {
      beforeInstall: async (temp) => {
        seenTemp = temp;
        expect((await readdir(t.folder)).filter((n) => n.startsWith('tmp-')).sort()).toEqual([path.basename(temp).replace(/\.pack$/, '.idx'), path.basename(temp)]);
        throw hookError;
      },
    })).rejects.toBe(hookError);
    expect(path.basename(seenTemp)).toMatch(new RegExp(`^tmp-${process.pid}-[0-9a-f]{12}\\.pack$`));
    expect(path.dirname(seenTemp)).toBe(t.folder);
    expect(await t.names()).toEqual([]);
    expect(await t.store.loose.hasObject(hashes[0]!)).toBe(true);
    // Aborted before the scan, and during the write (after the scan read the last object).
    const before = new AbortController();
    before.abort(new Error('stop'));
    await expect(repackStore(t.store, { minFiles: 1, signal: before.signal })).rejects.toThrow('stop');
    const during = new AbortController();
    const loose = t.store.loose as MemoryDriver;
    const load = loose.loadObject.bind(loose);
    let loads = 0;
    loose.loadObject = async (hash: string): Promise<GitObject | undefined> => {
      if (++loads === 3) during.abort(new Error('stop during'));
      return load(hash);
    };
    await expect(repackStore(t.store, { minFiles: 1, signal: during.signal })).rejects.toThrow('stop during');
    expect(await t.names()).toEqual([]);
    for (const h of hashes) expect(await t.store.loose.hasObject(h)).toBe(true);
  });

  it('writes a blob two files share once, and tips in hash order', async () => {
    const t = await setup();
    const a = await t.gitty.create('a.txt', 'same text\n', { time: 1 });
    const b = await t.gitty.create('b.txt', 'same text\n', { time: 2 });
    const blobHash = (await t.gitty.commit(a.commit)).data;
    const report = await repackStore(t.store, { minFiles: 1 });
    const tips = [a.commit, b.commit].sort();
    expect((await layout(report.pack!)).map((e) => e.hash)).toEqual([tips[0], blobHash, tips[1]]);
    expect(report).toMatchObject({ packed: 3, looseRemoved: 3 });
  });

  it('window 2 keeps the smallest delta: a later, larger candidate does not replace it', async () => {
    const t = await setup();
    const base = versionText(6, 0);
    // v0 = base; v1 = base plus a line (a tiny delta for v0); v2 = half of base and noise (a larger one).
    const texts = [base, `${base}one more line\n`, base.slice(0, base.length / 2) + Buffer.from(noise(600, 12)).toString('latin1')];
    let previous: string | undefined;
    const blobs: string[] = [];
    for (const [v, text] of texts.entries()) {
      const c = previous === undefined ? await t.gitty.create('s.txt', text, { time: 1000 + v }) : await t.gitty.update('s.txt', text, { previous, time: 1000 + v });
      previous = c.commit;
      blobs.push((await t.gitty.commit(c.commit)).data);
    }
    const report = await repackStore(t.store, { minFiles: 1, window: 2 });
    expect((await layout(report.pack!)).find((e) => e.hash === blobs[0])).toMatchObject({ base: blobs[1] });
  });

  it('reports no progress without a listener, even past 500 objects', async () => {
    const t = await setup();
    await storeBlobs(t.store.loose as MemoryDriver, 501);
    expect(await repackStore(t.store, { minFiles: 1 })).toMatchObject({ packed: 501 });
  });

  it('a chain that reaches a commit packed before, and a version whose blob a kept pack holds, end there', async () => {
    const t = await setup();
    const c0 = await t.gitty.create('k.txt', versionText(7, 0), { time: 1 });
    const c1 = await t.gitty.update('k.txt', versionText(7, 1), { previous: c0.commit, time: 2 });
    await repackStore(t.store, { minFiles: 1 });
    // Back to version 0's text: its blob is in the kept pack, not loose.
    const c2 = await t.gitty.update('k.txt', versionText(7, 0), { previous: c1.commit, time: 3 });
    const c3 = await t.gitty.update('k.txt', versionText(7, 3), { previous: c2.commit, time: 4 });
    const report = await repackStore(t.store, { minFiles: 1, smallPack: 1 });
    const blob3 = (await t.gitty.commit(c3.commit)).data;
    expect((await layout(report.pack!)).map((e) => e.hash)).toEqual([c3.commit, blob3, c2.commit]);
    expect((await t.gitty.get(c2.commit)).text).toBe(versionText(7, 0));
  });

  it('an object that vanished from the loose store between listing and reading is left out', async () => {
    const t = await setup();
    const [a, b] = await storeBlobs(t.store.loose as MemoryDriver, 2);
    const loose = t.store.loose as MemoryDriver;
    const load = loose.loadObject.bind(loose);
    loose.loadObject = async (hash: string) => (hash === a ? undefined : load(hash));
    const report = await repackStore(t.store, { minFiles: 1 });
    expect(report).toMatchObject({ packed: 1, looseRemoved: 1 });
    expect((await layout(report.pack!)).map((e) => e.hash)).toEqual([b]);
  });

  it('a pack folder that is missing fails with the error of creating its temp pack, and leaves nothing', async () => {
    const t = await setup();
    await storeBlobs(t.store.loose as MemoryDriver, 1);
    await rm(t.folder, { recursive: true });
    const err = (await repackStore(t.store, { minFiles: 1 }).then(() => new Error('repacked'), (e: unknown) => e)) as Error & { code: string };
    expect(err).toMatchObject({ code: 'ENOENT' });
    expect(err.message).toMatch(new RegExp(`^ENOENT: no such file or directory, open '${t.folder}/tmp-${process.pid}-[0-9a-f]{12}\\.pack'$`));
  });

  it('a blob whose bytes read as a gitty commit is packed as the blob it is, outside any chain', async () => {
    const t = await setup();
    // A commit C and a blob B with C's very bytes, B's hash sorting before C's.
    for (let time = 1; ; time++) {
      const c = await t.gitty.create(`c${time}.txt`, 'commit bytes\n', { time });
      const bytes = (await t.store.loose.loadObject(c.commit))!.data;
      const b = hashObject('blob', bytes);
      if (b < c.commit) {
        await t.store.loose.storeObject(b, 'blob', bytes);
        // Only this commit, its blob and B stay loose.
        for await (const h of t.store.loose.objects()) if (![b, c.commit, (await t.gitty.commit(c.commit)).data].includes(h)) await t.store.loose.deleteObject(h);
        const report = await repackStore(t.store, { minFiles: 1 });
        expect((await layout(report.pack!)).map((e) => e.hash)).toEqual([c.commit, (await t.gitty.commit(c.commit)).data, b]);
        return;
      }
    }
  });
});
