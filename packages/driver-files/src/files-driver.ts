import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import {
  ClosedError, InvalidConfigError, extensionOf, type Driver, type DriverCapabilities, type DriverContext, type DriverFactory, type GitObject,
  type HeadChange, type HeadEntry, type HeadUpdateResult, type ObjectBatch,
} from '@gitty/core';
import type { Durability } from './fs-sync.js';
import { updateHeadsTogether } from './head-updates.js';
import { LooseObjectBatch, sizedCompression } from './loose-batch.js';
import { HeadLog } from './head-log.js';
import { DEFAULT_COMPACT_AT, DEFAULT_COMPACT_RATIO, HeadLogCompaction } from './compaction.js';
import { LooseObjects } from './loose.js';
import { ObjectJournal } from './object-journal.js';
import { JournaledObjects } from './journaled-objects.js';
import { parseFilesOptions, type FilesDriverOptions } from './options.js';
import { rebuildHeads, type CommitSource, type RebuildOptions } from './rebuild-heads.js';
import { SharedHeads } from './shared-heads.js';
import { removeStaleTemps } from './temp-files.js';
import { resolveStoreFormat } from './swish/detect.js';
import { SwishFilesDriver } from './swish/swish-driver.js';

/** The parts of a files store below its folder. */
export function storeLayout(dir: string): { objects: string; headLog: string; journal: string } {
  const objects = path.join(dir, 'objects');
  return { objects, headLog: path.join(dir, 'ref', 'head'), journal: path.join(objects, 'journal') };
}

/** What a driver composed over the files driver adds to it (see {@link FilesDriver.open}). */
export interface FilesDriverParts {
  /**
   * Every object a heads rebuild must read, given the loose ones: a rebuild over part of the
   * objects picks wrong heads, and must never be completed in a second step (a crash between
   * the steps would keep the partial result for good).
   */
  commitSource?: (loose: CommitSource) => CommitSource | Promise<CommitSource>;
}

/**
 * The files driver (`{ driver: 'files', dir }`): loose objects in `<dir>/objects` and heads in
 * the head log `<dir>/ref/head`, shared by every process (on any machine) that opens the same
 * folder. Composed of {@link LooseObjects} (bytes), {@link HeadLog} (the file format and lock)
 * and {@link SharedHeads} (heads in memory, tail, CAS, watch); other drivers reuse those parts.
 *
 * Opening replays the log; with no log it rebuilds heads from the commits (progress through
 * `context.onProgress`, phase `rebuild-heads`) and writes a fresh log.
 */
export class FilesDriver implements Driver {
  readonly name: string = 'files';
  readonly capabilities: DriverCapabilities = {
    rawObjects: true, watch: true, sharedHeads: true, persistent: true, objectTimes: true, objectBatches: true, headBatches: true,
  };
  private closed = false;
  /** Loose objects written without flushes, and the store's durability: what object batches use. */
  private batchWrites: { loose: LooseObjects; durability: Durability } | undefined;
  /** Head log compaction: by size after this driver's writes, and on prune (`gc`). Set by {@link open}. */
  compaction: HeadLogCompaction | undefined;

  protected constructor(
    /** The store folder (absolute). */
    readonly dir: string,
    /** The loose object store. */
    readonly loose: LooseObjects,
    /** The head log. */
    readonly headLog: HeadLog,
    /** Heads in memory, kept up to date from the log. */
    readonly sharedHeads: SharedHeads,
    /** Object journals: this process's when `journal` is on, and other processes' always (read, and sealed when abandoned). */
    readonly journal: ObjectJournal,
  ) {
    this.objectStore = new JournaledObjects(loose, journal);
  }

  /** Loose objects and journals together: what every object method goes through. */
  readonly objectStore: JournaledObjects;

  /**
   * Open (creating when missing) the store in `options.dir`. `parts.commitSource` widens what a
   * heads rebuild reads beyond the loose objects (the packs driver adds its packed objects), so
   * a rebuild runs once over every object and writes the log once.
   */
  static async open(options: FilesDriverOptions, context: DriverContext, parts: FilesDriverParts = {}): Promise<FilesDriver> {
    const dir = path.resolve(options.dir);
    const layout = storeLayout(dir);
    await mkdir(layout.objects, { recursive: true });
    await mkdir(path.dirname(layout.headLog), { recursive: true });
    const durability = options.durability ?? 'fsync';
    // Head changes are batched under one lock acquisition at any durability; objects only have flushes to share with fsync.
    const groupCommit = options.groupCommit !== false;
    const loose = new LooseObjects({
      root: layout.objects, compression: context.compression, maxObjectSize: context.maxObjectSize, durability, groupCommit,
    });
    const headLog = new HeadLog(layout.headLog, {
      durability, lock: { staleMs: options.lockStale, timeoutMs: options.lockTimeout },
    });
    const unflushed = new LooseObjects({ root: layout.objects, compression: sizedCompression(context.compression), maxObjectSize: context.maxObjectSize, durability: 'none' });
    const journal = new ObjectJournal({
      folder: layout.journal, loose, unflushed, durability, compression: sizedCompression(context.compression), maxObjectSize: context.maxObjectSize,
      write: options.journal === true, sealBytes: options.journalSealAt, sealMs: options.journalSealAfter,
    });
    // A writer that crashed left its journal: its objects become loose files, readable by every
    // tool. Best effort (a full disk must not keep the store from opening): the journal stays readable.
    await journal.sealAbandoned().catch(() => undefined);
    const objects = new JournaledObjects(loose, journal);
    const looseSource: CommitSource = { objects: () => objects.list(), loadObject: (h) => objects.load(h) };
    const rebuild = async (rebuildOptions?: RebuildOptions) => {
      const source = parts.commitSource ? await parts.commitSource(looseSource) : looseSource;
      try {
        return await rebuildHeads(source, context.onProgress, rebuildOptions);
      } finally {
        await source.close?.();
      }
    };
    const heads = new SharedHeads(headLog, { pollInterval: options.pollInterval ?? 1000, watchFile: options.watchLog ?? true, rebuild, groupCommit });
    try {
      await headLog.initialize(() => rebuild());
      await heads.refresh(true);
    } catch (err) {
      await journal.close().catch(() => undefined);
      throw err;
    }
    const driver = new FilesDriver(dir, loose, headLog, heads, journal);
    driver.batchWrites = { loose: unflushed, durability };
    driver.compaction = new HeadLogCompaction(headLog, {
      durability, policy: { compactAt: options.compactAt ?? DEFAULT_COMPACT_AT, compactRatio: options.compactRatio ?? DEFAULT_COMPACT_RATIO },
    });
    return driver;
  }

  async storeObject(hash: string, type: string, data: Uint8Array): Promise<boolean> {
    this.check();
    return this.objectStore.store(hash, type, data);
  }

  async loadObject(hash: string): Promise<GitObject | undefined> {
    this.check();
    return this.objectStore.load(hash);
  }

  async hasObject(hash: string): Promise<boolean> {
    this.check();
    return this.objectStore.has(hash);
  }

  async *objects(): AsyncIterable<string> {
    this.check();
    yield* this.objectStore.list();
  }

  async deleteObject(hash: string): Promise<boolean> {
    this.check();
    return this.objectStore.delete(hash);
  }

  async loadRaw(hash: string): Promise<Uint8Array | undefined> {
    this.check();
    return this.objectStore.loadRaw(hash);
  }

  async storeRaw(hash: string, raw: Uint8Array): Promise<boolean> {
    this.check();
    return this.objectStore.storeRaw(hash, raw);
  }

  async objectTime(hash: string): Promise<number | undefined> {
    this.check();
    return this.objectStore.objectTime(hash);
  }

  // Throttled: reads the log at most once per pollInterval.
  async getHead(name: string): Promise<string | undefined> {
    this.check();
    await this.sharedHeads.refresh();
    return this.sharedHeads.get(name);
  }

  async *heads(options: { ext?: string } = {}): AsyncIterable<HeadEntry> {
    this.check();
    await this.sharedHeads.refresh();
    for (const entry of this.sharedHeads.entries()) {
      if (options.ext === undefined || extensionOf(entry.name) === options.ext) yield entry;
    }
  }

  // The CAS runs under the log's cross-process lock against the log's latest state.
  async updateHead(name: string, expected: string | null, next: string | null): Promise<void> {
    this.check();
    await this.sharedHeads.compareAndSwap(name, expected, next);
    // Where this process's view of the log ends (at least its size after our line): no stat while small.
    this.compaction?.afterWrite(this.sharedHeads.logPosition?.offset);
  }

  // One locked append for the whole batch (see updateHeadsTogether).
  async updateHeads(changes: readonly HeadChange[]): Promise<HeadUpdateResult[]> {
    this.check();
    const results = await updateHeadsTogether(this.sharedHeads, changes);
    // An import adds many lines at once: as after any write, compact when due.
    this.compaction?.afterWrite();
    return results;
  }

  // Loose files now, one flush pass at commit (see LooseObjectBatch).
  async openObjectBatch(): Promise<ObjectBatch> {
    this.check();
    const writes = this.batchWrites;
    if (!writes) throw new Error('files driver opened without object batches');
    return new LooseObjectBatch(writes.loose, writes.durability);
  }

  async rescan(): Promise<void> {
    this.check();
    await this.sharedHeads.refresh(true);
  }

  watch(listener: (change: HeadChange) => void): () => void {
    this.check();
    return this.sharedHeads.watch(listener);
  }

  // Empty object folders and temp files whose writer is gone, also a log rebuild's or
  // compaction's; then the head log is compacted (gc calls this).
  async prune(): Promise<void> {
    this.check();
    await this.journal.sealOwn();
    await this.loose.prune();
    await removeStaleTemps(path.dirname(this.headLog.file));
    await this.compaction?.compact();
  }

  async stats(): Promise<Record<string, number>> {
    this.check();
    const loose = await this.loose.stats();
    return {
      looseObjects: loose.objects,
      looseBytes: loose.bytes,
      looseDiskBytes: loose.diskBytes,
      heads: this.sharedHeads.size,
      headLogBytes: await this.headLog.size(),
      headLogSkippedLines: this.sharedHeads.skippedLines,
      headLogNulRereads: this.sharedHeads.nulRereads,
      headLogCompactions: this.compaction?.compactions ?? 0,
      ...this.journal.stats(),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.compaction?.idle();
    await this.journal.close();
    await this.sharedHeads.close();
    this.headLog.close();
  }

  /** Throws CLOSED after {@link close}. */
  protected check(): void {
    if (this.closed) throw new ClosedError(`${this.name} driver`);
  }
}

/**
 * Factory for `{ driver: 'files', dir, durability?, pollInterval?, watchLog?, lockStale?,
 * lockTimeout?, format? }` (see {@link FilesDriverOptions}); INVALID_CONFIG names a bad option.
 * A SWISH-format folder (or `format: 'swish'`) opens a {@link SwishFilesDriver}.
 */
export const createDriver: DriverFactory = async (options, context) => openFilesDriver(options, context);

/**
 * {@link createDriver} for drivers composed over the files driver: `parts` (see
 * {@link FilesDriverParts}) reach a gitty-format {@link FilesDriver}.
 */
export async function openFilesDriver(options: Record<string, unknown>, context: DriverContext, parts: FilesDriverParts = {}): Promise<FilesDriver | SwishFilesDriver> {
  const parsed = parseFilesOptions(options);
  // A folder keeps the format it has; `format` only chooses for a new folder (or must agree).
  const format = resolveStoreFormat(parsed.dir, parsed.format);
  if (format === 'swish' && parsed.journal) {
    throw new InvalidConfigError('The files driver\'s "journal" is not for SWISH-format stores (SWISH reads loose objects only)');
  }
  return format === 'swish' ? SwishFilesDriver.open(parsed, context) : FilesDriver.open(parsed, context, parts);
}
