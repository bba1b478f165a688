import { stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import {
  ClosedError, CorruptObjectError, assertHash, decodeObject, frameObject, isGittyError, updateHeads,
  type Compression, type Driver, type DriverCapabilities, type FsckIssue, type GitObject, type HeadChange,
  type HeadEntry, type HeadUpdateResult, type ObjectBatch, type ObjectBatchOptions, type ProgressListener, type RepackOptions, type RepackReport,
} from '@gitty/core';
import { PackImportBatch } from './import-batch.js';
import { fsckPacks } from './fsck-packs.js';
import { withPackLock } from './pack-lock.js';
import { PackSet } from './pack-set.js';
import { pruneTempPacks, type PackStore } from './pack-store.js';
import { repackStore } from './repack.js';
import { Tombstones } from './tombstones.js';
import { unpackStore } from './unpack.js';

/** Temp files of a repack are this old before prune removes them (a live repack keeps them fresh). */
const TEMP_PACK_AGE_MS = 60 * 60 * 1000;
/** How long prune waits for the pack lock before leaving the pack folder for the next prune. */
const PRUNE_LOCK_WAIT_MS = 5_000;

/** Set `file`'s mtime to now; false when that is not allowed. */
async function freshen(file: string): Promise<boolean> {
  const now = new Date();
  try {
    await utimes(file, now, now);
    return true;
  } catch {
    return false;
  }
}

/** Options of a {@link PacksDriver} beyond its inner (files) driver. */
export interface PacksDriverOptions {
  /** The store folder: packs live in `<dir>/objects/pack`. */
  dir: string;
  compression: Compression;
  maxObjectSize: number;
  /** Repack automatically (minFiles = this) once this driver has stored this many new loose objects; 0 = never. */
  autoRepack?: number;
}

/**
 * The packs driver: a files driver (heads, head log, loose objects) plus git pack files. The
 * object set is loose ∪ packs; new objects are written loose; `repack` moves them into packs.
 * A lookup that misses rescans the pack folder, because other processes repack too.
 *
 * Deleting a packed object (gc) records it in `objects/pack/deleted`: reads stop seeing it at
 * once, and the next repack that merges its pack leaves it out (see {@link Tombstones}).
 */
export class PacksDriver implements Driver {
  readonly name = 'packs';
  readonly capabilities: DriverCapabilities;
  private readonly store: PackStore;
  private closed = false;
  private storedSinceRepack = 0;
  private autoRepacking = false;

  constructor(
    private readonly inner: Driver,
    private readonly options: PacksDriverOptions,
  ) {
    const folder = path.join(options.dir, 'objects', 'pack');
    this.store = { folder, loose: inner, packs: new PackSet(folder, options.maxObjectSize), tombstones: new Tombstones(folder), maxObjectSize: options.maxObjectSize };
    this.capabilities = { ...inner.capabilities, packs: true, rawObjects: true, objectBatches: true, headBatches: true };
  }

  /** Attach the packs present now (called by the factory). */
  async open(): Promise<this> {
    await this.store.packs.scan();
    await this.store.tombstones.refresh();
    return this;
  }

  /** The pack folder, the attached packs and the deletions, for tools and tests. */
  get packStore(): PackStore {
    return this.store;
  }

  async storeObject(hash: string, type: string, data: Uint8Array): Promise<boolean> {
    this.check();
    assertHash(hash);
    const pack = (await this.livePacked(hash)) ? this.store.packs.find(hash) : undefined;
    // Re-used content counts as new for gc's grace (git freshens packs the same way); a pack
    // whose time cannot be set (a read-only share) gets a loose copy instead.
    if (pack && (await freshen(pack.path))) return false;
    // A packed copy that gc deleted stays deleted: the object is written loose again, and the
    // repack that packs this loose copy marks it live before removing the loose file.
    const stored = await this.inner.storeObject(hash, type, data);
    if (stored) await this.maybeRepack();
    return stored;
  }

  async loadObject(hash: string): Promise<GitObject | undefined> {
    this.check();
    assertHash(hash);
    return this.lookup(hash, async () => this.inner.loadObject(hash), async (h) => this.readPacked(h), true);
  }

  async hasObject(hash: string): Promise<boolean> {
    this.check();
    assertHash(hash);
    return (await this.lookup(hash, async () => (await this.inner.hasObject(hash)) || undefined, async (h) => (await this.livePacked(h)) || undefined, false)) ?? false;
  }

  async *objects(): AsyncIterable<string> {
    this.check();
    const seen = new Set<string>();
    for await (const hash of this.inner.objects()) {
      seen.add(hash);
      yield hash;
    }
    // Scanned after the loose walk: a repack meanwhile put its pack in place before removing
    // the loose copies this walk may have missed.
    await this.refresh();
    for (const hash of this.store.packs.hashes()) {
      if (!seen.has(hash) && !this.store.tombstones.has(hash)) yield hash;
    }
  }

  async deleteObject(hash: string): Promise<boolean> {
    this.check();
    assertHash(hash);
    const loose = await this.inner.deleteObject(hash);
    await this.refresh();
    if (!this.packed(hash)) return loose;
    await withPackLock(this.store.folder, () => this.store.tombstones.mark(hash, true));
    return true;
  }

  async loadRaw(hash: string): Promise<Uint8Array | undefined> {
    this.check();
    assertHash(hash);
    if (this.inner.loadRaw) {
      const raw = await this.inner.loadRaw(hash);
      if (raw) return raw;
    }
    const object = await this.loadObject(hash);
    return object && this.options.compression.deflate(frameObject(object.type, object.data));
  }

  async storeRaw(hash: string, raw: Uint8Array): Promise<boolean> {
    this.check();
    assertHash(hash);
    const object = decodeObject(raw, hash, 'raw object', this.options.compression, this.options.maxObjectSize);
    return this.storeObject(hash, object.type, object.data);
  }

  async objectTime(hash: string): Promise<number | undefined> {
    this.check();
    for (let attempt = 0; ; attempt++) {
      const loose = await this.inner.objectTime?.(hash);
      if (loose !== undefined) return loose;
      const pack = this.packed(hash) ? this.store.packs.find(hash) : undefined;
      if (!pack) return undefined;
      try {
        return (await stat(pack.path)).mtimeMs;
      } catch (err) {
        // Another process merged (or unpacked) this pack since this one last scanned: the
        // object is in its new pack or loose again, so look once more on a fresh scan.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt > 0) throw err;
        await this.refresh();
      }
    }
  }

  getHead(name: string): Promise<string | undefined> {
    this.check();
    return this.inner.getHead(name);
  }

  heads(options?: { ext?: string }): AsyncIterable<HeadEntry> {
    this.check();
    return this.inner.heads(options);
  }

  updateHead(name: string, expected: string | null, next: string | null): Promise<void> {
    this.check();
    return this.inner.updateHead(name, expected, next);
  }

  /** The inner driver's batched CAS (one locked log append on the files driver), or the core's one-by-one fallback. */
  updateHeads(changes: readonly HeadChange[]): Promise<HeadUpdateResult[]> {
    this.check();
    return updateHeads(this.inner, changes);
  }

  /** Bulk writes straight into one new pack with deltas (see {@link PackImportBatch}). */
  async openObjectBatch(options: ObjectBatchOptions = {}): Promise<ObjectBatch> {
    this.check();
    await this.refresh();
    return new PackImportBatch({
      store: this.store,
      livePacked: (hash) => this.livePacked(hash),
      storeLoose: (hash, type, data) => this.inner.storeObject(hash, type, data),
    }, options);
  }

  async rescan(): Promise<void> {
    this.check();
    await this.inner.rescan();
    await this.refresh();
  }

  watch(listener: (change: HeadChange) => void): () => void {
    this.check();
    return this.inner.watch ? this.inner.watch(listener) : () => undefined;
  }

  async repack(options: RepackOptions = {}): Promise<RepackReport> {
    this.check();
    const report = await withPackLock(this.store.folder, (lock) => repackStore(this.store, options, { lock }));
    this.storedSinceRepack = 0;
    return report;
  }

  async unpack(options: { onProgress?: ProgressListener } = {}): Promise<{ unpacked: number }> {
    this.check();
    return withPackLock(this.store.folder, (lock) => unpackStore(this.store, options.onProgress, lock));
  }

  /** The files driver's prune, plus what repacks killed over an hour ago left in the pack folder. */
  async prune(): Promise<void> {
    this.check();
    await this.inner.prune?.();
    try {
      await withPackLock(this.store.folder, () => pruneTempPacks(this.store.folder, TEMP_PACK_AGE_MS), { waitMs: PRUNE_LOCK_WAIT_MS });
    } catch (err) {
      // A long repack holds the lock: its leftovers (if any) wait for the next prune.
      if (!isGittyError(err, 'LOCK_TIMEOUT')) throw err;
    }
  }

  async fsck(options: { onProgress?: ProgressListener } = {}): Promise<FsckIssue[]> {
    this.check();
    const inner = (await this.inner.fsck?.(options)) ?? [];
    return [...inner, ...(await fsckPacks(this.store, options.onProgress))];
  }

  async stats(): Promise<Record<string, number>> {
    this.check();
    await this.refresh();
    const packs = this.store.packs.all;
    return {
      ...((await this.inner.stats?.()) ?? {}),
      packs: packs.length,
      packedObjects: packs.reduce((n, p) => n + p.index.count, 0),
      packBytes: packs.reduce((n, p) => n + p.size, 0),
      deletedPacked: this.store.tombstones.size,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.store.packs.close();
    await this.inner.close();
  }

  /** True when a live (not deleted) packed copy of `hash` is attached. */
  private packed(hash: string): boolean {
    return !this.store.tombstones.has(hash) && this.store.packs.find(hash) !== undefined;
  }

  /**
   * True when a live packed copy of `hash` is attached, judged by the deleted list as it is on
   * disk now (a cheap stat, re-read only when it changed): another process's gc may have
   * deleted the packed copy since this process last looked, and deciding on that stale view
   * would skip a write the store needs.
   */
  private async livePacked(hash: string): Promise<boolean> {
    if (this.store.packs.find(hash) === undefined) return false;
    await this.store.tombstones.refresh();
    return !this.store.tombstones.has(hash);
  }

  private async readPacked(hash: string): Promise<GitObject | undefined> {
    if (this.store.tombstones.has(hash)) return undefined;
    return this.store.packs.read(hash);
  }

  /**
   * Packs, then loose; on a miss, rescan the pack folder and try both again (another process
   * may have packed the object and removed its loose copy in between). A miss while
   * some pack is unreadable is reported as that pack's corruption.
   */
  private async lookup<T>(
    hash: string,
    loose: () => Promise<T | undefined>,
    packed: (hash: string) => Promise<T | undefined>,
    reportBroken: boolean,
  ): Promise<T | undefined> {
    for (let attempt = 0; attempt < 2; attempt++) {
      // Packs first: their idx is in memory, so a packed object costs no failed open.
      try {
        const fromPack = await packed(hash);
        if (fromPack !== undefined) return fromPack;
      } catch (err) {
        // A pack retired and closed under us is a miss; corruption is reported as such.
        if (isGittyError(err)) throw err;
      }
      const fromLoose = await loose();
      if (fromLoose !== undefined) return fromLoose;
      if (attempt === 0) await this.refresh();
    }
    // Closed while this lookup waited (its packs closed under it): CLOSED, not a false miss.
    this.check();
    const broken = this.store.packs.broken[0];
    if (broken && reportBroken) throw new CorruptObjectError(hash, broken.path, `not found, and this pack cannot be read: ${broken.error.message}`);
    return undefined;
  }

  private async refresh(): Promise<void> {
    await this.store.packs.scan();
    await this.store.tombstones.refresh();
  }

  private async maybeRepack(): Promise<void> {
    const every = this.options.autoRepack ?? 0;
    if (every <= 0 || ++this.storedSinceRepack < every || this.autoRepacking) return;
    // One automatic repack at a time per driver; stores meanwhile just count towards the next.
    this.autoRepacking = true;
    try {
      await this.repack({ minFiles: every });
    } finally {
      this.autoRepacking = false;
    }
  }

  private check(): void {
    if (this.closed) throw new ClosedError('packs driver');
  }
}
