import { existsSync, readdirSync } from 'node:fs';
import { readdir, stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeCommit, hashObject, type Progress } from '@gitty/core';
import { git } from '@gitty/driver-test/harness';
import { createDelta } from '../src/delta.js';
import { DeltaIndex } from '../src/delta-index.js';
import { PackImportBatch } from '../src/import-batch.js';
import { versionText } from './fixtures.js';
import { memoryPacks } from './helpers.js';
import { noise } from './support/exact.js';

// The packs driver's object batch on a real pack folder: what goes into its one pack (read back
// by `git verify-pack -v`: each file's blobs as deltas on the next newer, commits whole, chains
// cut at depth 20), what is stored loose instead, what is skipped, progress, and commit/abort
// leaving exactly the installed pack or nothing.

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function setup() {
  const t = await memoryPacks();
  cleanups.push(t.done);
  const folder = path.join(t.dir, 'objects', 'pack');
  const names = async () => (existsSync(folder) ? (await readdir(folder)).sort() : []);
  return { ...t, folder, names };
}

async function layout(pack: string): Promise<{ hash: string; type: string; depth: number; base?: string }[]> {
  const out = (await git(['verify-pack', '-v', pack])).toString();
  return out.split('\n').filter((l) => /^[0-9a-f]{40} /.test(l)).map((l) => {
    const [hash, type, , , , depth, base] = l.trim().split(/\s+/);
    return { hash: hash!, type: type!, depth: depth === undefined ? 0 : Number(depth), ...(base ? { base } : {}) };
  });
}

interface Obj { hash: string; type: string; data: Uint8Array }
const obj = (type: string, data: Uint8Array): Obj => ({ hash: hashObject(type, data), type, data });

/** `versions` versions of one file as gitty commits and blobs, oldest first. */
function history(file: number, versions: number, text = (v: number) => versionText(file, v)): { blobs: Obj[]; commits: Obj[] } {
  const blobs: Obj[] = [];
  const commits: Obj[] = [];
  let previous: string | undefined;
  for (let v = 0; v < versions; v++) {
    const b = obj('blob', new TextEncoder().encode(text(v)));
    const c = obj('commit', encodeCommit({ name: `f${file}.txt`, data: b.hash, ...(previous ? { previous } : {}), time: 1000 + v }));
    blobs.push(b);
    commits.push(c);
    previous = c.hash;
  }
  return { blobs, commits };
}

const packOf = async (names: string[], folder: string) => path.join(folder, names.find((n) => n.endsWith('.pack'))!);

describe('PackImportBatch', () => {
  it('writes one pack: blobs as deltas on the next newer version of their file, commits whole', async () => {
    const t = await setup();
    const { blobs, commits } = history(1, 4);
    const batch = await t.driver.openObjectBatch();
    // Added oldest first, as an import does.
    for (let v = 0; v < 4; v++) {
      await batch.add(blobs[v]!.hash, 'blob', blobs[v]!.data);
      await batch.add(commits[v]!.hash, 'commit', commits[v]!.data);
    }
    expect(await t.names()).toEqual([]);
    expect(await batch.commit()).toEqual({ objects: 8 });
    const names = await t.names();
    expect(names.filter((n) => n.startsWith('tmp-'))).toEqual([]);
    const entries = await layout(await packOf(names, t.folder));
    expect(entries.map((e) => e.hash)).toEqual([3, 2, 1, 0].flatMap((v) => [commits[v]!.hash, blobs[v]!.hash]));
    expect(entries.filter((e) => e.type === 'commit').map((e) => e.depth)).toEqual([0, 0, 0, 0]);
    expect(entries.filter((e) => e.type === 'blob').map((e) => [e.depth, e.base])).toEqual([[0, undefined], [1, blobs[3]!.hash], [2, blobs[2]!.hash], [3, blobs[1]!.hash]]);
    for (const o of [...blobs, ...commits]) expect(Buffer.from((await t.driver.loadObject(o.hash))!.data).equals(Buffer.from(o.data))).toBe(true);
  });

  it('cuts chains at depth 20 with a whole blob, and stores whole a blob whose delta is over 75% of it', async () => {
    const t = await setup();
    const { blobs, commits } = history(2, 23);
    const batch = await t.driver.openObjectBatch();
    for (let v = 0; v < 23; v++) {
      await batch.add(blobs[v]!.hash, 'blob', blobs[v]!.data);
      await batch.add(commits[v]!.hash, 'commit', commits[v]!.data);
    }
    await batch.commit();
    const entries = await layout(await packOf(await t.names(), t.folder));
    const depths = entries.filter((e) => e.type === 'blob').map((e) => e.depth);
    expect(depths).toEqual([0, ...Array.from({ length: 20 }, (_, i) => i + 1), 0, 1]);
    // Unrelated versions: no delta is small enough, every blob whole.
    const u = await setup();
    const other = history(3, 3, (v) => Buffer.from(noise(400, v + 11)).toString('latin1'));
    const b2 = await u.driver.openObjectBatch();
    for (let v = 0; v < 3; v++) {
      await b2.add(other.blobs[v]!.hash, 'blob', other.blobs[v]!.data);
      await b2.add(other.commits[v]!.hash, 'commit', other.commits[v]!.data);
    }
    await b2.commit();
    expect((await layout(await packOf(await u.names(), u.folder))).filter((e) => e.type === 'blob').map((e) => e.depth)).toEqual([0, 0, 0]);
  });

  it('keeps a delta of exactly 75% of the blob (rounded down), and stores whole one a byte larger', async () => {
    const newer = Buffer.from(versionText(4, 0));
    // The older version: the newer one's first 20 bytes, then m bytes of noise (a copy and an insert).
    const older = (m: number) => Buffer.concat([newer.subarray(0, 20), Buffer.from(noise(m, 5))]);
    const excess = (m: number) => createDelta(new DeltaIndex(newer), older(m))!.length - Math.floor(older(m).length * 0.75);
    const at = Array.from({ length: 60 }, (_, m) => m + 1).find((m) => excess(m) === 0)!;
    const over = Array.from({ length: 60 }, (_, m) => m + 1).find((m) => excess(m) === 1)!;
    for (const [m, depth] of [[at, 1], [over, 0]] as const) {
      const t = await setup();
      const blobO = obj('blob', older(m));
      const blobN = obj('blob', newer);
      const cO = obj('commit', encodeCommit({ name: 'x.txt', data: blobO.hash, time: 1 }));
      const cN = obj('commit', encodeCommit({ name: 'x.txt', data: blobN.hash, previous: cO.hash, time: 2 }));
      const batch = await t.driver.openObjectBatch();
      for (const o of [blobO, cO, blobN, cN]) await batch.add(o.hash, o.type, o.data);
      await batch.commit();
      const entry = (await layout(await packOf(await t.names(), t.folder))).find((e) => e.hash === blobO.hash);
      expect([m, entry!.depth]).toEqual([m, depth]);
    }
  });

  it('stores loose what packs do not hold and what gc deleted from a pack; skips live packed objects and repeats', async () => {
    const t = await setup();
    const packed = obj('blob', Buffer.from('already packed\n'));
    await t.driver.storeObject(packed.hash, packed.type, packed.data);
    const { pack } = await t.driver.repack({ minFiles: 1 });
    const deleted = obj('blob', Buffer.from('deleted then imported\n'));
    await t.driver.storeObject(deleted.hash, deleted.type, deleted.data);
    await t.driver.repack({ minFiles: 1, smallPack: 0 });
    await t.driver.deleteObject(deleted.hash);
    const old = new Date(Date.UTC(2003, 0, 1));
    await utimes(pack!, old, old);
    const odd = obj('gitty-note', Buffer.from('a note'));
    const fresh = obj('blob', Buffer.from('fresh\n'));
    const batch = await t.driver.openObjectBatch();
    await batch.add(odd.hash, odd.type, odd.data);
    await batch.add(odd.hash, odd.type, odd.data);
    await batch.add(deleted.hash, deleted.type, deleted.data);
    await batch.add(packed.hash, packed.type, packed.data);
    await batch.add(fresh.hash, fresh.type, fresh.data);
    await batch.add(fresh.hash, fresh.type, fresh.data);
    // The packed object's pack is freshened at commit, not before.
    expect((await stat(pack!)).mtimeMs).toBe(old.getTime());
    // Stored: the note and the deleted blob (loose), and the fresh blob (packed).
    expect(await batch.commit()).toEqual({ objects: 3 });
    expect((await stat(pack!)).mtimeMs).toBeGreaterThan(old.getTime());
    const loose = t.driver.packStore.loose;
    expect([await loose.hasObject(odd.hash), await loose.hasObject(deleted.hash), await loose.hasObject(fresh.hash), await loose.hasObject(packed.hash)]).toEqual([true, true, false, false]);
    const packs = t.driver.packStore.packs.all;
    expect(packs).toHaveLength(3);
    const newest = packs.find((p) => p.has(fresh.hash))!;
    expect([...newest.index.hashes()]).toEqual([fresh.hash]);
  });

  it('reports progress: the verify phase at commit (and the pack phase every 1,000 objects)', async () => {
    const t = await setup();
    const progress: Progress[] = [];
    const batch = await t.driver.openObjectBatch({ onProgress: (p) => progress.push(p) });
    const blobs = Array.from({ length: 1001 }, (_, i) => obj('blob', Buffer.from(`object ${i}\n`)));
    for (const b of blobs) await batch.add(b.hash, b.type, b.data);
    expect(await batch.commit()).toEqual({ objects: 1001 });
    expect(progress).toEqual([{ phase: 'import-pack', done: 1000 }, { phase: 'import-verify', done: 0, total: 1001 }]);
  });

  it('an empty batch writes nothing; a finished batch refuses more; abort after commit does nothing', async () => {
    const t = await setup();
    const batch = await t.driver.openObjectBatch();
    expect(await batch.commit()).toEqual({ objects: 0 });
    expect(existsSync(t.folder)).toBe(false);
    const b = obj('blob', Buffer.from('late\n'));
    await expect(batch.add(b.hash, b.type, b.data)).rejects.toThrow('object batch already finished');
    await expect(batch.commit()).rejects.toThrow('object batch already finished');
    await batch.abort();
    expect(await t.driver.hasObject(b.hash)).toBe(false);
  });

  it('abort before commit removes its temp pack and installs nothing; a signal aborted before commit is ABORTED', async () => {
    const t = await setup();
    const { blobs, commits } = history(5, 3);
    const batch = new PackImportBatch({
      store: t.driver.packStore,
      livePacked: async () => false,
      storeLoose: async () => true,
    });
    for (let v = 0; v < 3; v++) {
      await batch.add(blobs[v]!.hash, 'blob', blobs[v]!.data);
      await batch.add(commits[v]!.hash, 'commit', commits[v]!.data);
    }
    await batch.abort();
    expect(await t.names()).toEqual([]);
    await expect(batch.add(blobs[0]!.hash, 'blob', blobs[0]!.data)).rejects.toThrow('object batch already finished');
    const controller = new AbortController();
    const reason = new Error('enough');
    const aborted = await t.driver.openObjectBatch({ signal: controller.signal });
    for (let v = 0; v < 3; v++) {
      await aborted.add(blobs[v]!.hash, 'blob', blobs[v]!.data);
      await aborted.add(commits[v]!.hash, 'commit', commits[v]!.data);
    }
    controller.abort(reason);
    const error = await aborted.commit().catch((err: unknown) => err);
    expect(error).toMatchObject({ code: 'ABORTED', message: 'The import was aborted: the pack was not installed', cause: reason });
    expect(await t.names()).toEqual([]);
    for (const o of [...blobs, ...commits]) expect(await t.driver.hasObject(o.hash)).toBe(false);
    // abort after a failed commit: nothing left to remove, no error.
    await aborted.abort();
    expect(await t.names()).toEqual([]);
  });

  it('writes its pack as tmp-import-<pid>-<12 hex> in the pack folder, checked there before it is installed', async () => {
    const t = await setup();
    const { blobs, commits } = history(6, 1);
    let seen: string[] = [];
    // verifyWrittenPack reads the store's maxObjectSize: list the folder at that moment.
    const store = Object.create(t.driver.packStore, {
      maxObjectSize: { get: () => {
        seen = readdirSync(t.folder).sort();
        return 1 << 20;
      } },
    }) as typeof t.driver.packStore;
    const batch = new PackImportBatch({ store, livePacked: async () => false, storeLoose: async () => true });
    await batch.add(blobs[0]!.hash, 'blob', blobs[0]!.data);
    await batch.add(commits[0]!.hash, 'commit', commits[0]!.data);
    // Holding: nothing written yet.
    expect(existsSync(t.folder)).toBe(false);
    expect(await batch.commit()).toEqual({ objects: 2 });
    expect(seen).toHaveLength(2);
    expect(seen[0]).toMatch(new RegExp(`^tmp-import-${process.pid}-[0-9a-f]{12}\\.idx$`));
    expect(seen[1]).toBe(seen[0]!.replace(/\.idx$/, '.pack'));
    const names = await t.names();
    expect(names.filter((n) => n.startsWith('tmp-'))).toEqual([]);
    expect(names.filter((n) => /^pack-[0-9a-f]{40}\.(pack|idx)$/.test(n))).toHaveLength(2);
  });

  it('a chain that reaches a commit stored before the batch, a version whose blob is already packed, and a fork end cleanly', async () => {
    const t = await setup();
    const { blobs, commits } = history(8, 2);
    for (const o of [blobs[0]!, commits[0]!]) await t.driver.storeObject(o.hash, o.type, o.data);
    await t.driver.repack({ minFiles: 1 });
    // c1 (new blob) follows the packed c0; c2 goes back to c0's text; c2b forks from c1.
    const c2 = obj('commit', encodeCommit({ name: 'f8.txt', data: blobs[0]!.hash, previous: commits[1]!.hash, time: 2000 }));
    const c2b = obj('commit', encodeCommit({ name: 'f8.txt', data: blobs[1]!.hash, previous: commits[1]!.hash, time: 2001 }));
    const batch = await t.driver.openObjectBatch();
    for (const o of [blobs[1]!, commits[1]!, blobs[0]!, c2, c2b]) await batch.add(o.hash, o.type, o.data);
    expect(await batch.commit()).toEqual({ objects: 4 });
    const newest = t.driver.packStore.packs.all.find((p) => p.has(c2.hash))!;
    expect([...newest.index.hashes()].sort()).toEqual([blobs[1]!.hash, commits[1]!.hash, c2.hash, c2b.hash].sort());
    for (const o of [blobs[1]!, commits[1]!, c2, c2b]) expect(Buffer.from((await t.driver.loadObject(o.hash))!.data).equals(Buffer.from(o.data))).toBe(true);
  });

  it('without a listener it reports nothing, even past 1,000 objects', async () => {
    const t = await setup();
    const batch = await t.driver.openObjectBatch();
    for (let i = 0; i < 1000; i++) {
      const b = obj('blob', Buffer.from(`quiet ${i}\n`));
      await batch.add(b.hash, b.type, b.data);
    }
    expect(await batch.commit()).toEqual({ objects: 1000 });
  });

  it('an abort noticed after the pack was checked removes its temp pack and idx', async () => {
    const t = await setup();
    const controller = new AbortController();
    const batch = await t.driver.openObjectBatch({
      signal: controller.signal,
      onProgress: (p) => {
        if (p.phase === 'import-verify') controller.abort(new Error('late'));
      },
    });
    const b = obj('blob', Buffer.from('late abort\n'));
    await batch.add(b.hash, b.type, b.data);
    await expect(batch.commit()).rejects.toMatchObject({ code: 'ABORTED' });
    expect(await t.names()).toEqual([]);
  });

  it('writes out what it holds once 64 MiB are held, and goes on into the same pack', async () => {
    const t = await setup();
    const store = Object.create(t.driver.packStore, { maxObjectSize: { value: 128 * 1024 * 1024 } }) as typeof t.driver.packStore;
    const batch = new PackImportBatch({ store, livePacked: async () => false, storeLoose: async () => true });
    const big = obj('blob', Buffer.alloc(64 * 1024 * 1024 - 1, 0x61));
    const one = obj('blob', Buffer.from('b'));
    const after = obj('blob', Buffer.from('after the flush\n'));
    await batch.add(big.hash, big.type, big.data);
    expect(existsSync(t.folder)).toBe(false);
    await batch.add(one.hash, one.type, one.data);
    expect((await t.names()).filter((n) => n.endsWith('.pack'))).toHaveLength(1);
    await batch.add(after.hash, after.type, after.data);
    expect(await batch.commit()).toEqual({ objects: 3 });
    const names = await t.names();
    expect(names.filter((n) => n.startsWith('tmp-'))).toEqual([]);
    await t.driver.packStore.packs.scan();
    const [pack] = t.driver.packStore.packs.all;
    expect([...pack!.index.hashes()].sort()).toEqual([big.hash, one.hash, after.hash].sort());
  });

  it('after a 64 MiB write-out it holds again from zero: a later chain still gets its deltas', async () => {
    const t = await setup();
    const store = Object.create(t.driver.packStore, { maxObjectSize: { value: 128 * 1024 * 1024 } }) as typeof t.driver.packStore;
    const batch = new PackImportBatch({ store, livePacked: async () => false, storeLoose: async () => true });
    const big = obj('blob', Buffer.alloc(64 * 1024 * 1024, 0x61));
    await batch.add(big.hash, big.type, big.data); // exactly 64 MiB held: written out at once
    const { blobs, commits } = history(3, 2);
    // Oldest first: were the held count not reset, each add would be written out alone, the old blob whole.
    for (let v = 0; v < 2; v++) {
      await batch.add(blobs[v]!.hash, 'blob', blobs[v]!.data);
      await batch.add(commits[v]!.hash, 'commit', commits[v]!.data);
    }
    expect(await batch.commit()).toEqual({ objects: 5 });
    const entries = await layout(await packOf(await t.names(), t.folder));
    expect(entries.find((e) => e.hash === blobs[0]!.hash)).toEqual({ hash: blobs[0]!.hash, type: 'blob', depth: 1, base: blobs[1]!.hash });
    expect(entries.find((e) => e.hash === blobs[1]!.hash)).toEqual({ hash: blobs[1]!.hash, type: 'blob', depth: 0 });
    expect(entries.map((e) => e.hash).sort()).toEqual([big.hash, ...blobs.map((b) => b.hash), ...commits.map((c) => c.hash)].sort());
  });

  it('an object added again after it was written out is not written twice', async () => {
    const t = await setup();
    const store = Object.create(t.driver.packStore, { maxObjectSize: { value: 128 * 1024 * 1024 } }) as typeof t.driver.packStore;
    const batch = new PackImportBatch({ store, livePacked: async () => false, storeLoose: async () => true });
    const one = obj('blob', Buffer.from('written out with the big one\n'));
    const big = obj('blob', Buffer.alloc(64 * 1024 * 1024, 0x62));
    await batch.add(one.hash, one.type, one.data);
    await batch.add(big.hash, big.type, big.data); // 64 MiB held: both written out
    await batch.add(one.hash, one.type, one.data);
    expect(await batch.commit()).toEqual({ objects: 2 });
    await t.driver.packStore.packs.scan();
    const [pack] = t.driver.packStore.packs.all;
    expect(pack!.index.count).toBe(2);
    expect([...pack!.index.hashes()].sort()).toEqual([one.hash, big.hash].sort());
  });

  it('a blob whose bytes read as a gitty commit goes in after the chains, as the blob it is', async () => {
    const t = await setup();
    const { blobs, commits } = history(9, 1);
    const impostor = obj('blob', commits[0]!.data);
    const batch = await t.driver.openObjectBatch();
    for (const o of [impostor, blobs[0]!, commits[0]!]) await batch.add(o.hash, o.type, o.data);
    await batch.commit();
    expect((await layout(await packOf(await t.names(), t.folder))).map((e) => e.hash)).toEqual([commits[0]!.hash, blobs[0]!.hash, impostor.hash]);
  });
});
