import { existsSync } from 'node:fs';
import path from 'node:path';
import type {
  Driver, DriverCapabilities, FsckIssue, GitObject, HeadEntry, ProgressListener,
} from '@gitty/core';

/**
 * The object half of a store that had no packs when this process opened it: loose objects, until
 * another process repacks. A repack moves objects into `objects/pack` and removes their loose
 * copies, so a process that kept reading loose files only would answer NOT_FOUND for objects
 * that exist. On the first miss (or `rescan()`, or a listing) after the pack folder appeared,
 * packs are attached (driver-packs' `PacksDriver` over the same loose objects) and every later
 * call goes through them. The capabilities stay the loose objects': this process reads packs,
 * it does not make them (open with `packs: true` for that).
 */
export class LatePacksDriver implements Driver {
  readonly name: string;
  readonly capabilities: DriverCapabilities;
  private current: Driver;
  private attaching: Promise<boolean> | undefined;

  constructor(
    private readonly loose: Driver,
    /** The store folder (its pack folder is `<dir>/objects/pack`). */
    private readonly dir: string,
    /** Opens packs over `loose` (driver-packs' `PacksDriver`), called once the folder exists. */
    private readonly openPacks: (loose: Driver) => Promise<Driver>,
  ) {
    this.current = loose;
    this.name = loose.name;
    this.capabilities = loose.capabilities;
  }

  storeObject(hash: string, type: string, data: Uint8Array): Promise<boolean> {
    return this.current.storeObject(hash, type, data);
  }

  loadObject(hash: string): Promise<GitObject | undefined> {
    return this.orPacks((driver) => driver.loadObject(hash), (found) => found !== undefined);
  }

  hasObject(hash: string): Promise<boolean> {
    return this.orPacks((driver) => driver.hasObject(hash), (found) => found);
  }

  async *objects(): AsyncIterable<string> {
    await this.attach();
    yield* this.current.objects();
  }

  deleteObject(hash: string): Promise<boolean> {
    return this.orPacks((driver) => driver.deleteObject(hash), (deleted) => deleted);
  }

  loadRaw(hash: string): Promise<Uint8Array | undefined> {
    return this.orPacks((driver) => driver.loadRaw!(hash), (found) => found !== undefined);
  }

  storeRaw(hash: string, raw: Uint8Array): Promise<boolean> {
    return this.current.storeRaw!(hash, raw);
  }

  objectTime(hash: string): Promise<number | undefined> {
    return this.orPacks((driver) => driver.objectTime!(hash), (time) => time !== undefined);
  }

  getHead(name: string): Promise<string | undefined> {
    return this.current.getHead(name);
  }

  heads(options?: { ext?: string }): AsyncIterable<HeadEntry> {
    return this.current.heads(options);
  }

  updateHead(name: string, expected: string | null, next: string | null): Promise<void> {
    return this.current.updateHead(name, expected, next);
  }

  async rescan(): Promise<void> {
    await this.attach();
    await this.current.rescan();
  }

  async prune(): Promise<void> {
    await this.current.prune?.();
  }

  async fsck(options?: { onProgress?: ProgressListener }): Promise<FsckIssue[]> {
    await this.attach();
    return (await this.current.fsck?.(options)) ?? [];
  }

  async stats(): Promise<Record<string, number>> {
    await this.attach();
    return (await this.current.stats?.()) ?? {};
  }

  close(): Promise<void> {
    return this.current.close();
  }

  /** `call` on the current driver; when it misses and packs have just appeared, again through them. */
  private async orPacks<T>(call: (driver: Driver) => Promise<T>, found: (result: T) => boolean): Promise<T> {
    const result = await call(this.current);
    if (found(result) || !(await this.attach())) return result;
    return call(this.current);
  }

  /** Attach packs when the pack folder exists now; true when this call attached them. */
  private attach(): Promise<boolean> {
    if (this.current !== this.loose || !existsSync(path.join(this.dir, 'objects', 'pack'))) return Promise.resolve(false);
    this.attaching ??= this.openPacks(this.loose).then((packs) => {
      this.current = packs;
      return true;
    }).finally(() => {
      this.attaching = undefined;
    });
    return this.attaching;
  }
}
