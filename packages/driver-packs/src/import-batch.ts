import { randomBytes } from 'node:crypto';
import { mkdir, rm, utimes } from 'node:fs/promises';
import path from 'node:path';
import { AbortedError, decodeCommit, type ObjectBatch, type ObjectBatchOptions } from '@gitty/core';
import { createDelta } from './delta.js';
import { DeltaIndex } from './delta-index.js';
import { packTypeOf, PackType } from './pack-format.js';
import { writePackIndex } from './pack-index.js';
import { asStorageError } from './pack-io.js';
import { installPack, syncFolder, writeSynced, type PackStore } from './pack-store.js';
import { PackWriter } from './pack-writer.js';
import { REPACK_DEFAULTS } from './repack.js';
import { verifyWrittenPack } from './verify-pack.js';

/** Object bytes held before the buffered chains are written out (each file's newest held version is then stored whole). */
const HOLD_BYTES = 64 * 1024 * 1024;
/** A delta is kept only when it is at most this share of the object (else the object goes in whole). */
const DELTA_SHARE = 0.75;

/** A commit of the batch: which blob it names and which commit came before it. */
interface HeldCommit {
  data: string;
  previous?: string;
}

/** What the packs driver gives its import batches. */
export interface PackBatchHost {
  store: PackStore;
  /** True when a live packed copy of `hash` is attached (judged on the deleted list as it is on disk). */
  livePacked(hash: string): Promise<boolean>;
  /** Store one object the usual way (loose, through the files driver): gitty-only types, revived deletions. */
  storeLoose(hash: string, type: string, data: Uint8Array): Promise<boolean>;
}

/**
 * The packs driver's object batch (bulk import), written as git fast-import does: straight into
 * one new pack. Objects are held in memory (up to 64 MiB, then written out) so each file's
 * versions can be placed newest first: a blob is stored as a delta on the blob of the next
 * newer version of its file (chains stop at the repack depth, 20), the newest held version
 * whole, as repack does — reads of heads need no delta. Commits go in whole.
 *
 * `commit` finishes the pack (sha1 trailer, fsync), writes and flushes its idx, reads the pack
 * back whole (every object resolved and re-hashed), then renames pack and idx into place (idx
 * last: readers discover packs by it) and flushes the folder. Until then the pack is a
 * `tmp-*.pack` no reader knows: a crash leaves only a temp file for prune, never a head to a
 * missing object. Objects already packed (live) are not written again (their pack is freshened
 * for gc's grace); objects of types packs do not hold, and those whose packed copy gc deleted,
 * are stored loose.
 */
export class PackImportBatch implements ObjectBatch {
  private readonly tempBase: string;
  private writer: PackWriter | undefined;
  private readonly held = new Map<string, { type: number; data: Uint8Array }>();
  private readonly commits = new Map<string, HeldCommit>();
  private heldBytes = 0;
  /** Everything this batch wrote into its pack (hash → offset). */
  private readonly placed = new Map<string, number>();
  private readonly touchedPacks = new Set<string>();
  private stored = 0;
  private finished = false;

  constructor(
    private readonly host: PackBatchHost,
    private readonly options: ObjectBatchOptions = {},
  ) {
    this.tempBase = path.join(host.store.folder, `tmp-import-${process.pid}-${randomBytes(6).toString('hex')}`);
  }

  async add(hash: string, type: string, data: Uint8Array): Promise<void> {
    if (this.finished) throw new Error('object batch already finished');
    if (this.held.has(hash) || this.placed.has(hash)) return;
    const packType = packTypeOf(type);
    const { store } = this.host;
    if (packType === undefined || store.tombstones.has(hash)) {
      if (await this.host.storeLoose(hash, type, data)) this.stored++;
      return;
    }
    if (await this.host.livePacked(hash)) {
      // Re-used content counts as new for gc's grace: its pack is freshened at commit.
      const pack = store.packs.find(hash);
      if (pack) this.touchedPacks.add(pack.path);
      return;
    }
    // A loose copy is not looked for (a stat per object): packing it again is harmless, and the
    // next repack removes the loose one.
    this.held.set(hash, { type: packType, data });
    this.heldBytes += data.length;
    if (packType === PackType.commit) {
      try {
        const commit = decodeCommit(data, hash);
        this.commits.set(hash, { data: commit.data, previous: commit.previous });
      } catch {
        // Not a gitty commit: it goes in whole, outside any chain.
      }
    }
    if (this.heldBytes >= HOLD_BYTES) await this.writeHeld();
  }

  async commit(): Promise<{ objects: number }> {
    if (this.finished) throw new Error('object batch already finished');
    this.finished = true;
    try {
      await this.writeHeld();
      const writer = this.writer;
      if (writer) {
        this.checkAbort();
        const checksum = await writer.finish();
        await writeSynced(`${this.tempBase}.idx`, writePackIndex(writer.entries, checksum));
        this.options.onProgress?.({ phase: 'import-verify', done: 0, total: this.placed.size });
        await verifyWrittenPack(`${this.tempBase}.pack`, this.placed.keys(), this.host.store.maxObjectSize);
        this.checkAbort();
        const finalPack = path.join(this.host.store.folder, `pack-${checksum}.pack`);
        await installPack(`${this.tempBase}.pack`, `${this.tempBase}.idx`, finalPack);
        await syncFolder(this.host.store.folder);
        await this.host.store.packs.scan();
        this.stored += this.placed.size;
      }
      const now = new Date();
      for (const pack of this.touchedPacks) await utimes(pack, now, now).catch(() => undefined);
      return { objects: this.stored };
    } catch (err) {
      await this.removeTemp();
      throw asStorageError(err, `${this.tempBase}.pack`);
    }
  }

  async abort(): Promise<void> {
    if (this.finished && !this.writer) return;
    this.finished = true;
    this.held.clear();
    await this.removeTemp();
  }

  private async removeTemp(): Promise<void> {
    const writer = this.writer;
    this.writer = undefined;
    await writer?.abandon();
    await rm(`${this.tempBase}.pack`, { force: true });
    await rm(`${this.tempBase}.idx`, { force: true });
  }

  private checkAbort(): void {
    if (this.options.signal?.aborted) throw new AbortedError('import', 'the pack was not installed', { cause: this.options.signal.reason });
  }

  // Write every held object: each file's chain newest first (blobs as deltas on the next newer
  // blob), then whatever is outside a chain, whole.
  private async writeHeld(): Promise<void> {
    if (this.held.size === 0) return;
    if (!this.writer) {
      await mkdir(this.host.store.folder, { recursive: true });
      this.writer = await PackWriter.create(`${this.tempBase}.pack`);
    }
    const writer = this.writer;
    const newer = new Set<string>();
    for (const commit of this.commits.values()) if (commit.previous) newer.add(commit.previous);
    for (const [tip] of this.commits) {
      if (newer.has(tip)) continue;
      let base: { offset: number; index: DeltaIndex; depth: number } | undefined;
      for (let at: string | undefined = tip; at !== undefined && this.commits.has(at); at = this.commits.get(at)!.previous) {
        this.checkAbort();
        await this.writeWhole(writer, at);
        const blobHash = this.commits.get(at)!.data;
        const blob = this.held.get(blobHash);
        if (!blob) continue; // stored before, or shared with a version already written
        let offset: number | undefined;
        if (base && base.depth < REPACK_DEFAULTS.depth) {
          const delta = createDelta(base.index, blob.data, Math.floor(blob.data.length * DELTA_SHARE));
          if (delta) offset = await writer.addOfsDelta(blobHash, base.offset, delta);
        }
        const depth = offset === undefined ? 0 : base!.depth + 1;
        offset ??= await writer.addWhole(blobHash, blob.type, blob.data);
        this.take(blobHash, offset);
        base = { offset, index: new DeltaIndex(blob.data), depth };
      }
    }
    for (const hash of [...this.held.keys()]) await this.writeWhole(writer, hash);
    this.commits.clear();
    this.heldBytes = 0;
  }

  private async writeWhole(writer: PackWriter, hash: string): Promise<void> {
    const object = this.held.get(hash);
    if (!object) return;
    this.take(hash, await writer.addWhole(hash, object.type, object.data));
  }

  private take(hash: string, offset: number): void {
    this.held.delete(hash);
    this.placed.set(hash, offset);
    if (this.placed.size % 1000 === 0) this.options.onProgress?.({ phase: 'import-pack', done: this.placed.size });
  }
}
