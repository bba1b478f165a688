import {
  ClosedError, type Driver, type DriverCapabilities, type FsckIssue, type GitObject, type HeadChange, type HeadEntry,
  type ProgressListener, type RepackOptions, type RepackReport,
} from '@gitty/core';
import type { SwishFilesDriver } from '@gitty/driver-files';
import { withPackLock } from '../pack-lock.js';
import { repackSwish, unpackSwish } from './swish-repack.js';

/**
 * The packs driver on a SWISH store: the SWISH-format files driver (which already reads SWISH
 * packs) plus `repack`/`unpack` in SWISH's pack format, so SWISH opens the result. Repacks and
 * unpacks of gitty processes are serialized by the pack lock (`<dir>/pack/pack.lock`); SWISH
 * serializes its own only within one process, so do not repack from both sides at once.
 */
export class SwishPacksDriver implements Driver {
  readonly name = 'packs';
  readonly commitFormat = 'swish' as const;
  readonly capabilities: DriverCapabilities;
  private closed = false;
  private storedSinceRepack = 0;

  constructor(
    /** The SWISH-format files driver underneath. */
    readonly inner: SwishFilesDriver,
    private readonly options: { autoRepack?: number } = {},
  ) {
    this.capabilities = { ...inner.capabilities, packs: true };
  }

  async storeObject(hash: string, type: string, data: Uint8Array): Promise<boolean> {
    this.check();
    const stored = await this.inner.storeObject(hash, type, data);
    if (stored && this.options.autoRepack && ++this.storedSinceRepack >= this.options.autoRepack) {
      this.storedSinceRepack = 0;
      await this.repack({ minFiles: this.options.autoRepack });
    }
    return stored;
  }

  loadObject(hash: string): Promise<GitObject | undefined> {
    this.check();
    return this.inner.loadObject(hash);
  }

  hasObject(hash: string): Promise<boolean> {
    this.check();
    return this.inner.hasObject(hash);
  }

  objects(): AsyncIterable<string> {
    this.check();
    return this.inner.objects();
  }

  deleteObject(hash: string): Promise<boolean> {
    this.check();
    return this.inner.deleteObject(hash);
  }

  loadRaw(hash: string): Promise<Uint8Array | undefined> {
    this.check();
    return this.inner.loadRaw(hash);
  }

  storeRaw(hash: string, raw: Uint8Array): Promise<boolean> {
    this.check();
    return this.inner.storeRaw(hash, raw);
  }

  objectTime(hash: string): Promise<number | undefined> {
    this.check();
    return this.inner.objectTime(hash);
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

  rescan(): Promise<void> {
    this.check();
    return this.inner.rescan();
  }

  watch(listener: (change: HeadChange) => void): () => void {
    this.check();
    return this.inner.watch(listener);
  }

  /** Pack loose objects and small packs into one SWISH pack (SWISH's defaults: minFiles 1,000, smallPack 10 MB). */
  async repack(options: RepackOptions = {}): Promise<RepackReport> {
    this.check();
    return withPackLock(this.inner.packs.folder, () => repackSwish(this.inner, options));
  }

  /** Turn every SWISH pack back into loose objects. */
  async unpack(options: { onProgress?: ProgressListener } = {}): Promise<{ unpacked: number }> {
    this.check();
    return withPackLock(this.inner.packs.folder, () => unpackSwish(this.inner, options.onProgress));
  }

  prune(): Promise<void> {
    this.check();
    return this.inner.prune();
  }

  fsck(): Promise<FsckIssue[]> {
    this.check();
    return this.inner.fsck();
  }

  stats(): Promise<Record<string, number>> {
    this.check();
    return this.inner.stats();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.inner.close();
  }

  private check(): void {
    if (this.closed) throw new ClosedError(`${this.name} driver`);
  }
}
