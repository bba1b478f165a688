import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import {
  ClosedError, UnsupportedError, assertHash, decodeObject, decodeSwishCommit, isSwishCommit, encodeObject, extensionOf, nodeCompression,
  type Driver, type DriverCapabilities, type DriverContext, type FsckIssue, type GitObject, type HeadChange, type HeadEntry,
} from '@gitty/core';
import { isMissing } from '../fs-sync.js';
import { LooseObjects } from '../loose.js';
import type { FilesDriverOptions } from '../options.js';
import { rebuildHeads } from '../rebuild-heads.js';
import { SharedHeads } from '../shared-heads.js';
import { removeStaleTemps } from '../temp-files.js';
import { gzipCompression } from './gzip.js';
import { SwishHeadLog } from './head-log.js';
import { swishObjectPaths } from './object-paths.js';
import { SwishPackSet } from './packs.js';

// Decoding throws CORRUPT_OBJECT naming `file` when a SWISH commit does not parse.
function checkCommit(object: GitObject | undefined, hash: string, file: string): GitObject | undefined {
  if (object?.type === 'commit' && isSwishCommit(object.data)) decodeSwishCommit(object.data, hash, file);
  return object;
}

/** Where a SWISH store keeps its parts (all directly in the store folder). */
export function swishLayout(dir: string): { root: string; headLog: string; packs: string } {
  return { root: dir, headLog: path.join(dir, 'ref', 'head'), packs: path.join(dir, 'pack') };
}

/**
 * The files driver on a SWISH store (`{ driver: 'files', dir, format: 'swish' }`): gzip loose
 * objects at `<dir>/ab/cd/<36 hex>`, SWISH packs in `<dir>/pack/` (read; the packs driver also
 * writes them) and SWISH's Prolog head log `<dir>/ref/head`, shared with SWISH's own processes.
 * Commits are written as SWISH's Prolog dicts (`commitFormat: 'swish'`) and existing objects are
 * never re-encoded, so every hash stays SWISH's.
 *
 * Raw objects (`loadRaw`/`storeRaw`) are zlib streams as the Driver contract says, converted
 * from and to SWISH's gzip files, so copies and replication between formats keep working.
 */
export class SwishFilesDriver implements Driver {
  readonly name: string = 'files';
  readonly commitFormat = 'swish' as const;
  readonly capabilities: DriverCapabilities = {
    rawObjects: true, watch: true, sharedHeads: true, persistent: true, objectTimes: true,
  };
  private closed = false;

  protected constructor(
    /** The store folder (absolute). */
    readonly dir: string,
    /** Gzip loose objects in SWISH's layout. */
    readonly loose: LooseObjects,
    /** SWISH's packs, read only here. */
    readonly packs: SwishPackSet,
    /** SWISH's Prolog head log. */
    readonly headLog: SwishHeadLog,
    /** Heads in memory, kept up to date from the log. */
    readonly sharedHeads: SharedHeads,
    /** Largest object accepted or inflated. */
    readonly maxObjectSize: number,
  ) {}

  /** Open (creating when missing) a SWISH store in `options.dir`. */
  static async open(options: FilesDriverOptions, context: DriverContext): Promise<SwishFilesDriver> {
    const dir = path.resolve(options.dir);
    const layout = swishLayout(dir);
    await mkdir(path.dirname(layout.headLog), { recursive: true });
    const durability = options.durability ?? 'fsync';
    const loose = new LooseObjects({ root: layout.root, compression: gzipCompression, maxObjectSize: context.maxObjectSize, durability, scheme: swishObjectPaths });
    const packs = new SwishPackSet(layout.packs, context.maxObjectSize);
    packs.scan();
    const headLog = new SwishHeadLog(layout.headLog, { durability, lock: { staleMs: options.lockStale, timeoutMs: options.lockTimeout } });
    const heads = new SharedHeads(headLog, { pollInterval: options.pollInterval ?? 1000, watchFile: options.watchLog ?? true });
    const driver = new SwishFilesDriver(dir, loose, packs, headLog, heads, context.maxObjectSize);
    // Like SWISH's restore_heads_from_remote: without a log, heads come from the newest commits.
    const rebuild = () => rebuildHeads({ objects: () => driver.objects(), loadObject: (h) => driver.loadObject(h) }, context.onProgress);
    await headLog.initialize(rebuild);
    // An empty log is what SWISH's create_heads_file leaves before it rebuilds from the objects
    // itself; do the same (the same rule gives the same heads), or the store would look empty.
    if ((await headLog.size()) === 0) {
      await headLog.withLock(async () => {
        if ((await headLog.size()) === 0) await headLog.create(await rebuild());
      });
    }
    await heads.refresh(true);
    return driver;
  }

  async storeObject(hash: string, type: string, data: Uint8Array): Promise<boolean> {
    this.check();
    assertHash(hash);
    if (this.packs.find(hash)) return false;
    return this.loose.store(hash, type, data);
  }

  /**
   * The verified object. A SWISH commit is also read as a Prolog dict here, so one that does not
   * parse fails with CORRUPT_OBJECT naming its file (loose file or pack), as SWISH's reader would.
   */
  async loadObject(hash: string): Promise<GitObject | undefined> {
    this.check();
    return this.lookup(
      hash,
      (pack) => checkCommit(pack.load(hash), hash, pack.file),
      async () => checkCommit(await this.loose.load(hash), hash, this.loose.fileOf(hash)),
    );
  }

  async hasObject(hash: string): Promise<boolean> {
    this.check();
    return (await this.lookup(hash, () => true, async () => (await this.loose.has(hash)) || undefined)) ?? false;
  }

  async *objects(): AsyncIterable<string> {
    this.check();
    const seen = new Set<string>();
    for await (const hash of this.loose.list()) {
      seen.add(hash);
      yield hash;
    }
    // After the loose walk: a repack meanwhile wrote its pack before removing loose copies.
    this.packs.scan();
    for (const hash of this.packs.hashes()) if (!seen.has(hash)) yield hash;
  }

  async deleteObject(hash: string): Promise<boolean> {
    this.check();
    // Packed objects go when a repack leaves them out; SWISH has no deletion record for packs.
    return this.loose.delete(hash);
  }

  /** A zlib stream of the object (the Driver contract's raw form), converted from SWISH's gzip. */
  async loadRaw(hash: string): Promise<Uint8Array | undefined> {
    const object = await this.loadObject(hash);
    return object && encodeObject(object.type, object.data, nodeCompression).raw;
  }

  /** Store a zlib stream (verified first) as a SWISH gzip object. */
  async storeRaw(hash: string, raw: Uint8Array): Promise<boolean> {
    this.check();
    const object = decodeObject(raw, hash, 'raw object', nodeCompression, this.maxObjectSize);
    return this.storeObject(hash, object.type, object.data);
  }

  async objectTime(hash: string): Promise<number | undefined> {
    this.check();
    return this.loose.objectTime(hash);
  }

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

  /**
   * The CAS, as the files driver's. SWISH has no deletion: its log has no record for one, and
   * its web app's DELETE (`lib/storage.pl`) saves a new, empty version. So removing a head is
   * UNSUPPORTED here; the SWISH way is an update to empty text.
   */
  async updateHead(name: string, expected: string | null, next: string | null): Promise<void> {
    this.check();
    if (next === null) {
      throw new UnsupportedError(
        'deleting a file (SWISH has no deletion: its head log has no record for one, and SWISH\'s own delete saves an empty version — update the file to empty text instead)',
        'files (swish format)',
      );
    }
    await this.sharedHeads.compareAndSwap(name, expected, next);
  }

  async rescan(): Promise<void> {
    this.check();
    this.packs.scan();
    await this.sharedHeads.refresh(true);
  }

  watch(listener: (change: HeadChange) => void): () => void {
    this.check();
    return this.sharedHeads.watch(listener);
  }

  async prune(): Promise<void> {
    this.check();
    await this.loose.prune();
    await removeStaleTemps(path.dirname(this.headLog.file));
  }

  /**
   * Packs as SWISH's `gitty_fsck` checks them, plus packs that did not attach, unreadable head
   * log lines, and head log lines that overrode an acknowledged version (HEAD_LOG_OVERRIDE: a
   * SWISH update racing with another writer, see the README).
   */
  async fsck(): Promise<FsckIssue[]> {
    this.check();
    this.packs.scan();
    const issues: FsckIssue[] = [...this.packs.problems()];
    for (const pack of this.packs.all) issues.push(...pack.fsck());
    const log = await this.headLog.inspect();
    for (const bad of log.malformed) {
      issues.push({ code: 'HEAD_LOG_LINE', message: `${this.headLog.file}: line ${bad.line} skipped: ${bad.reason}` });
    }
    for (const o of log.overridden) {
      issues.push({
        code: 'HEAD_LOG_OVERRIDE', name: o.name, hash: o.overridden,
        message: `${this.headLog.file}: line ${o.line} (${o.old ?? '-'} -> ${o.by}) overrode head ${o.overridden} of ${o.name}: `
          + `its Old was not the head, so ${o.overridden} and the versions between it and ${o.old ?? 'the start'} are no longer in the history (their objects remain)`,
      });
    }
    return issues;
  }

  async stats(): Promise<Record<string, number>> {
    this.check();
    const loose = await this.loose.stats();
    return {
      looseObjects: loose.objects,
      looseBytes: loose.bytes,
      looseDiskBytes: loose.diskBytes,
      packs: this.packs.all.length,
      packedObjects: this.packs.hashes().size,
      heads: this.sharedHeads.size,
      headLogBytes: await this.headLog.size(),
      headLogSkippedLines: this.sharedHeads.skippedLines,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.sharedHeads.close();
  }

  /** Throws CLOSED after {@link close}. */
  protected check(): void {
    if (this.closed) throw new ClosedError(`${this.name} driver`);
  }

  // Packs, then loose; on a miss rescan the pack folder once (another process may have packed it).
  private async lookup<T>(hash: string, packed: (pack: NonNullable<ReturnType<SwishPackSet['find']>>) => T, loose: () => Promise<T | undefined>): Promise<T | undefined> {
    assertHash(hash);
    for (let attempt = 0; attempt < 3; attempt++) {
      const pack = this.packs.find(hash);
      if (pack) {
        try {
          return packed(pack);
        } catch (err) {
          // The pack was merged away by a repack (ours or SWISH's) meanwhile: look again.
          if (!isMissing(err)) throw err;
          this.packs.scan();
          continue;
        }
      }
      const found = await loose();
      if (found !== undefined) return found;
      if (attempt < 2) this.packs.scan();
    }
    return undefined;
  }
}
