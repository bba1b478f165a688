import { watch as watchFs, type FSWatcher } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import {
  ClosedError, NotAtHeadError, assertHash, assertName, extensionOf,
  type Driver, type DriverCapabilities, type DriverContext, type FsckIssue, type GitObject, type HeadChange, type HeadEntry,
} from '@gitty/core';
import type { Durability } from './fsync.js';
import { HeadLog, headLogFile } from './head-log.js';
import { CrossProcessLock } from './lock.js';
import { LooseObjects } from './loose.js';
import { rebuildHeadsFromObjects } from './rebuild-heads.js';

/** Options of the files driver (`{ driver: 'files', dir, … }`). */
export interface FilesDriverOptions {
  /** The store folder (holds `objects/` and `ref/head`). */
  dir: string;
  /** `fsync` (default): objects, their folders and log appends are fsynced; `none`: trust the page cache. */
  durability?: Durability;
  /** Least milliseconds between two reads of the head log's tail on lookups (default 1000). */
  pollInterval?: number;
  /** Watch the head log with fs.watch so others' changes arrive within milliseconds (default true). */
  watchLog?: boolean;
  /** Give up waiting for the log lock after this many ms (default 30000). */
  lockTimeout?: number;
  /** Break a log lock not refreshed for this many ms (default 10000). */
  lockStale?: number;
}

/**
 * The files driver: loose objects plus the shared head log. Heads live in memory, updated from
 * the log's tail (throttled to once per `pollInterval` on lookups, always before a CAS and on
 * `rescan()`); a CAS appends to the log under the cross-process lock after re-reading it, so two
 * processes can never both win. `watch` reports other processes' changes, through fs.watch on
 * local file systems and polling (for NFS, where events do not arrive).
 */
export class FilesDriver implements Driver {
  readonly name: string = 'files';
  readonly capabilities: DriverCapabilities = { rawObjects: true, watch: true, sharedHeads: true, persistent: true, objectTimes: true };
  readonly loose: LooseObjects;
  readonly log: HeadLog;
  readonly dir: string;
  private readonly lock: CrossProcessLock;
  private readonly pollInterval: number;
  private lastRead = 0;
  private serial: Promise<unknown> = Promise.resolve();
  private readonly listeners = new Set<(change: HeadChange) => void>();
  private watcher: FSWatcher | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(options: FilesDriverOptions, private readonly context: DriverContext) {
    this.dir = path.resolve(options.dir);
    const durability = options.durability ?? 'fsync';
    this.loose = new LooseObjects({
      objectsDir: path.join(this.dir, 'objects'),
      compression: context.compression,
      maxObjectSize: context.maxObjectSize,
      durability,
    });
    this.log = new HeadLog(headLogFile(this.dir), durability);
    this.lock = new CrossProcessLock(this.log.file, { timeoutMs: options.lockTimeout, staleMs: options.lockStale });
    this.pollInterval = options.pollInterval ?? 1000;
    this.watchLog = options.watchLog ?? true;
  }

  private readonly watchLog: boolean;

  /** Open a store folder (created when missing); replays the head log or, without one, rebuilds it from the commits. */
  static async open(options: FilesDriverOptions, context: DriverContext): Promise<FilesDriver> {
    const driver = new FilesDriver(options, context);
    await mkdir(path.join(driver.dir, 'objects'), { recursive: true });
    await mkdir(path.join(driver.dir, 'ref'), { recursive: true });
    if (!(await driver.log.exists())) {
      await driver.lock.run(async () => {
        if (await driver.log.exists()) return;
        const heads = await rebuildHeadsFromObjects(driver.loose, context.onProgress);
        await driver.log.rewrite(heads);
      });
    }
    await driver.refresh(true);
    return driver;
  }

  async storeObject(hash: string, type: string, data: Uint8Array): Promise<boolean> {
    this.check();
    return this.loose.store(hash, type, data);
  }

  async loadObject(hash: string): Promise<GitObject | undefined> {
    this.check();
    return this.loose.load(hash);
  }

  async hasObject(hash: string): Promise<boolean> {
    this.check();
    return this.loose.has(hash);
  }

  async *objects(): AsyncIterable<string> {
    this.check();
    yield* this.loose.list();
  }

  async deleteObject(hash: string): Promise<boolean> {
    this.check();
    return this.loose.delete(hash);
  }

  async loadRaw(hash: string): Promise<Uint8Array | undefined> {
    this.check();
    return this.loose.loadRaw(hash);
  }

  async storeRaw(hash: string, raw: Uint8Array): Promise<boolean> {
    this.check();
    return this.loose.storeRaw(hash, raw);
  }

  async objectTime(hash: string): Promise<number | undefined> {
    this.check();
    return this.loose.time(hash);
  }

  async getHead(name: string): Promise<string | undefined> {
    this.check();
    await this.refresh(false);
    return this.log.heads.get(name);
  }

  async *heads(options: { ext?: string } = {}): AsyncIterable<HeadEntry> {
    this.check();
    await this.refresh(false);
    for (const [name, head] of [...this.log.heads]) {
      if (options.ext === undefined || extensionOf(name) === options.ext) yield { name, head };
    }
  }

  async updateHead(name: string, expected: string | null, next: string | null): Promise<void> {
    this.check();
    assertName(name);
    if (expected !== null) assertHash(expected);
    if (next !== null) assertHash(next);
    await this.lock.run(() =>
      this.serialized(async () => {
        // The CAS is checked against the log as it is now, inside the lock.
        this.emit(await this.log.catchUp());
        this.lastRead = Date.now();
        const current = this.log.heads.get(name) ?? null;
        if (current !== expected) throw new NotAtHeadError(name, current, expected);
        await this.log.append({ name, old: current, new: next });
      }),
    );
  }

  async rescan(): Promise<void> {
    this.check();
    await this.refresh(true);
  }

  watch(listener: (change: HeadChange) => void): () => void {
    this.check();
    this.listeners.add(listener);
    this.startWatching();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stopWatching();
    };
  }

  async prune(): Promise<void> {
    this.check();
    await this.loose.prune();
  }

  async fsck(): Promise<FsckIssue[]> {
    this.check();
    await this.refresh(true);
    return [...this.log.badLines].map((at) => ({
      code: 'BAD_HEAD_LOG',
      message: `${this.log.file}: the line at byte ${at} is not a head change (skipped)`,
    }));
  }

  async stats(): Promise<Record<string, number>> {
    this.check();
    const usage = await this.loose.usage();
    await this.refresh(true);
    return { looseObjects: usage.count, looseBytes: usage.bytes, heads: this.log.heads.size };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopWatching();
    this.listeners.clear();
    await this.serial.catch(() => undefined);
  }

  /** Read the log's tail unless that was done less than `pollInterval` ago (`force`: always). */
  private refresh(force: boolean): Promise<void> {
    if (!force && Date.now() - this.lastRead < this.pollInterval) return Promise.resolve();
    return this.serialized(async () => {
      if (!force && Date.now() - this.lastRead < this.pollInterval) return;
      const changes = await this.log.catchUp();
      this.lastRead = Date.now();
      this.emit(changes);
    });
  }

  /** Log reads and appends in this process happen one at a time. */
  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.serial.then(fn);
    this.serial = result.catch(() => undefined);
    return result;
  }

  private emit(changes: readonly HeadChange[]): void {
    for (const change of changes) {
      for (const listener of this.listeners) {
        try {
          listener(change);
        } catch {
          // a listener's failure must not stop the log reader
        }
      }
    }
  }

  private startWatching(): void {
    if (this.pollTimer || this.closed) return;
    this.pollTimer = setInterval(() => {
      if (!this.closed) this.refresh(true).catch(() => undefined);
    }, Math.max(50, this.pollInterval));
    this.pollTimer.unref();
    if (!this.watchLog) return;
    try {
      // Watch the folder, not the file: a rewritten log is a new file renamed into place.
      this.watcher = watchFs(path.dirname(this.log.file), { persistent: false }, (_event, file) => {
        if (!this.closed && (file === null || file === path.basename(this.log.file))) this.refresh(true).catch(() => undefined);
      });
      this.watcher.on('error', () => this.watcher?.close());
    } catch {
      // No fs.watch here (some network file systems): polling covers it.
    }
  }

  private stopWatching(): void {
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = undefined;
    this.watcher?.close();
    this.watcher = undefined;
  }

  private check(): void {
    if (this.closed) throw new ClosedError(`${this.name} driver`);
  }

  /** The context this driver was opened with (for drivers that compose a files driver). */
  get driverContext(): DriverContext {
    return this.context;
  }
}
