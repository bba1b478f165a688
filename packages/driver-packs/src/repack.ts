import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { decodeCommit, type GitObject, type RepackOptions, type RepackReport } from '@gitty/core';
import { createDelta } from './delta.js';
import { DeltaIndex } from './delta-index.js';
import { packTypeOf } from './pack-format.js';
import { writePackIndex } from './pack-index.js';
import type { HeldPackLock } from './pack-lock.js';
import type { PackFile } from './pack-reader.js';
import { installPack, removePack, syncFolder, writeSynced, type PackStore } from './pack-store.js';
import { asStorageError } from './pack-io.js';
import { PackWriter } from './pack-writer.js';
import { verifyWrittenPack } from './verify-pack.js';

/**
 * Defaults, as SWISH's files driver: pack once 1,000 loose objects exist; merge packs under 10 MB.
 * Chains stop at 20 (git's default is 50): a cold read of an old version applies at most 20
 * deltas, for a pack about 4% larger than at 50 (still ~0.85× git's window-250 pack, see
 * scripts/pack-size.ts).
 */
export const REPACK_DEFAULTS = { minFiles: 1000, smallPack: 10 * 1024 * 1024, window: 1, depth: 20 } as const;
/** Object bytes kept in memory between the scan and the write; beyond it objects are re-read. */
const KEEP_BYTES = 128 * 1024 * 1024;

/** Where an object to pack comes from. */
type Source = { loose: true } | { loose: false; pack: PackFile };

/** The pack lock a repack runs under, and where fault-injection tests step in. */
export interface RepackControl {
  /** Checked before anything is removed: a repack that lost its lock removes nothing. */
  lock?: HeldPackLock;
  /** Test hook: called with the written, fsynced temp pack (its idx beside it) before it is checked and installed. */
  beforeInstall?: (tempPack: string) => Promise<void>;
}

/**
 * Pack loose objects and small packs into one new pack (call under the pack lock).
 *
 * Bases follow each file's commit chain: the blob (and commit) of a version is deltified against
 * the blob (and commit) of the next newer version of the same file, so the newest version is
 * stored whole and reads of heads need no delta; `window` newer versions are tried, a delta is
 * kept only when it is smaller compressed, and chains stop at `depth`. The pack is written to a
 * temp name and fsynced, then its idx, then read back whole (every object re-hashed); the pack
 * is renamed into place first and the idx last; loose objects and merged packs are removed only
 * after that, and only while the pack lock is still this process's.
 */
export async function repackStore(store: PackStore, options: RepackOptions = {}, control: RepackControl = {}): Promise<RepackReport> {
  const minFiles = options.minFiles ?? REPACK_DEFAULTS.minFiles;
  const smallPack = options.smallPack ?? REPACK_DEFAULTS.smallPack;
  const window = Math.max(1, options.window ?? REPACK_DEFAULTS.window);
  const maxDepth = Math.max(0, options.depth ?? REPACK_DEFAULTS.depth);
  const report: RepackReport = { packed: 0, deltas: 0, packsRemoved: 0, looseRemoved: 0, bytes: 0 };

  await store.packs.scan();
  await store.tombstones.refresh();
  const looseHashes: string[] = [];
  for await (const hash of store.loose.objects()) looseHashes.push(hash);
  if (looseHashes.length < minFiles) return report;
  const merged = store.packs.all.filter((p) => p.size < smallPack);

  // Scan: what to pack, from where; keep commits parsed and object bytes while they fit.
  const sources = new Map<string, Source>();
  const kept = new Map<string, GitObject>();
  const commits = new Map<string, { data: string; previous?: string }>();
  const types = new Map<string, number>();
  let keptBytes = 0;
  const consider = (hash: string, object: GitObject, source: Source) => {
    const type = packTypeOf(object.type);
    if (type === undefined || sources.has(hash)) return; // gitty-only types stay loose
    sources.set(hash, source);
    types.set(hash, type);
    if (keptBytes + object.data.length <= KEEP_BYTES) {
      kept.set(hash, object);
      keptBytes += object.data.length;
    }
    if (object.type === 'commit') {
      try {
        const commit = decodeCommit(object.data, hash);
        commits.set(hash, { data: commit.data, previous: commit.previous });
      } catch {
        // Not a gitty commit: packed whole, outside any chain.
      }
    }
  };
  const alreadyPacked: string[] = []; // loose copies of objects a kept pack holds: just removed
  // Loose objects whose packed copies are on the deleted list: stored again after a gc (or by a
  // plain files process). The loose copy is live, so the new pack's copy is marked live before
  // the loose one goes.
  const revived: string[] = [];
  for (const hash of looseHashes) {
    options.signal?.throwIfAborted();
    if (store.tombstones.has(hash)) revived.push(hash);
    const holder = store.tombstones.has(hash) ? undefined : store.packs.find(hash);
    if (holder && !merged.includes(holder)) {
      alreadyPacked.push(hash);
      continue;
    }
    const object = await store.loose.loadObject(hash);
    if (object) consider(hash, object, { loose: true });
  }
  for (const pack of merged) {
    for (const hash of pack.index.hashes()) {
      if (store.tombstones.has(hash) || sources.has(hash)) continue;
      const object = await pack.read(hash);
      if (object) consider(hash, object, { loose: false, pack });
    }
  }
  const load = async (hash: string): Promise<GitObject> => {
    const found = kept.get(hash);
    if (found) return found;
    const source = sources.get(hash)!;
    const object = source.loose ? await store.loose.loadObject(hash) : await source.pack.read(hash);
    if (!object) throw new Error(`object ${hash} vanished during repack`);
    return object;
  };

  const tempBase = path.join(store.folder, `tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  let writer: PackWriter | undefined;
  const placed = new Map<string, { offset: number; depth: number }>();
  const total = sources.size;
  try {
    writer = await PackWriter.create(`${tempBase}.pack`);
    const into = writer;
    /** Write `hash`, as a delta on the best of `bases` (newest first) when that is smaller. */
    const emit = async (hash: string, object: GitObject, bases: { hash: string; data: Uint8Array }[]) => {
      if (placed.has(hash)) return;
      options.signal?.throwIfAborted();
      let best: { offset: number; delta: Uint8Array; depth: number } | undefined;
      for (const base of bases) {
        const at = placed.get(base.hash);
        if (!at || at.depth + 1 > maxDepth || base.hash === hash) continue;
        const delta = createDelta(new DeltaIndex(base.data), object.data, Math.min(object.data.length, best?.delta.length ?? Infinity));
        if (delta) best = { offset: at.offset, delta, depth: at.depth + 1 };
      }
      const written = await into.addSmaller(hash, types.get(hash)!, object.data, best);
      placed.set(hash, { offset: written.offset, depth: written.delta ? best!.depth : 0 });
      if (written.delta) report.deltas++;
      if (placed.size % 500 === 0) options.onProgress?.({ phase: 'repack', done: placed.size, total });
    };

    // Each file's chain, newest first: a tip is a commit no other commit names as previous.
    const newer = new Set<string>();
    for (const commit of commits.values()) if (commit.previous) newer.add(commit.previous);
    const tips = [...commits.keys()].filter((h) => !newer.has(h)).sort();
    for (const tip of tips) {
      const recentCommits: { hash: string; data: Uint8Array }[] = [];
      const recentBlobs: { hash: string; data: Uint8Array }[] = [];
      for (let at: string | undefined = tip; at && commits.has(at) && !placed.has(at); at = commits.get(at)!.previous) {
        const commitObject = await load(at);
        await emit(at, commitObject, recentCommits);
        recentCommits.unshift({ hash: at, data: commitObject.data });
        recentCommits.length = Math.min(recentCommits.length, window);
        const blobHash = commits.get(at)!.data;
        if (sources.has(blobHash)) {
          const blobObject = await load(blobHash);
          await emit(blobHash, blobObject, recentBlobs);
          recentBlobs.unshift({ hash: blobHash, data: blobObject.data });
          recentBlobs.length = Math.min(recentBlobs.length, window);
        }
      }
    }
    // Everything outside a chain (orphans, trees, tags) goes in whole.
    for (const hash of [...sources.keys()].sort()) if (!placed.has(hash)) await emit(hash, await load(hash), []);
    if (placed.size === 0) {
      await into.abandon();
      await rm(`${tempBase}.pack`, { force: true });
      return report;
    }

    const checksum = await into.finish();
    await writeSynced(`${tempBase}.idx`, writePackIndex(into.entries, checksum));
    await control.beforeInstall?.(`${tempBase}.pack`);
    // Read back before anything is removed: a pack that does not read whole never replaces a copy.
    await verifyWrittenPack(`${tempBase}.pack`, placed.keys(), store.maxObjectSize);
    const finalPack = path.join(store.folder, `pack-${checksum}.pack`);
    await control.lock?.assertHeld();
    await installPack(`${tempBase}.pack`, `${tempBase}.idx`, finalPack);
    await syncFolder(store.folder);
    report.pack = finalPack;
    report.packed = placed.size;
    report.bytes = into.size + 20;
  } catch (err) {
    await writer?.abandon();
    await rm(`${tempBase}.pack`, { force: true });
    await rm(`${tempBase}.idx`, { force: true });
    throw asStorageError(err, `${tempBase}.pack`);
  }

  // The new pack is in place: now, and only now, drop what it replaced.
  await store.packs.scan();
  await control.lock?.assertHeld();
  await store.tombstones.markAll(revived.filter((hash) => sources.get(hash)?.loose === true), false);
  for (const [hash, source] of sources) {
    if (source.loose && (await store.loose.deleteObject(hash))) report.looseRemoved++;
  }
  for (const hash of alreadyPacked) if (await store.loose.deleteObject(hash)) report.looseRemoved++;
  // Emptied loose folders stay until gc's prune: removing them here races writers in other processes.
  for (const pack of merged) {
    if (pack.path === report.pack) continue;
    await removePack(pack.path);
    report.packsRemoved++;
  }
  await store.packs.scan();
  await control.lock?.assertHeld();
  await store.tombstones.compact((hash) => store.packs.find(hash) !== undefined);
  options.onProgress?.({ phase: 'repack', done: total, total });
  return report;
}
