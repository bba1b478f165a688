import {
  closeSync, fstatSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, utimesSync,
} from 'node:fs';
import { readdir, rmdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import {
  CorruptObjectError, StorageFullError, assertHash, assertObjectSize, decodeObject, encodeObject, isGittyError,
  type Compression, type GitObject,
} from '@gitty/core';
import { fsyncFolderSync, isMissing, syncFolder, type Durability } from './fs-sync.js';
import { FileSyncGroup } from './group-commit.js';
import { gitObjectPaths, objectFile, type ObjectPathScheme } from './object-path.js';
import { isStaleTemp, isTempName, tempName } from './temp-files.js';
import { asStorageError, writeFullySync } from './write-fully.js';

/** Options of {@link LooseObjects}. */
export interface LooseObjectsOptions {
  /** The `objects` folder (created on first write). */
  root: string;
  compression: Compression;
  /** Largest object accepted or inflated. */
  maxObjectSize: number;
  /** `fsync` (default): file and folder are flushed before a store resolves. */
  durability?: Durability;
  /** The path layout (default git's `ab/cdef…`). */
  scheme?: ObjectPathScheme;
  /**
   * With `fsync`: concurrent stores share their flushes (default true; see `FileSyncGroup`).
   * false flushes each object on its own, as before group commit (kept as the bench's baseline).
   */
  groupCommit?: boolean;
}

/** What {@link LooseObjects.prune} removed. */
export interface PruneReport {
  folders: number;
  tempFiles: number;
}

/**
 * Loose objects below one `objects` folder, one zlib file per object, byte-compatible with
 * git (see the README's store layout). Safe to share between processes and machines:
 * - a write goes to a temp file in the object's own folder, written in full (short writes
 *   loop; no room is STORAGE_FULL), checked for its length, optionally fsynced, then
 *   hard-linked into place (falling back to rename where links are unsupported), so readers
 *   see a whole object or none; a sound object file is never rewritten, a damaged one is
 *   replaced when the same content is stored again;
 * - storing content that exists refreshes the file's mtime (as git does), for gc's grace;
 * - every read verifies the bytes against the hash and throws CORRUPT_OBJECT naming the file;
 * - every hash is validated before it becomes a path (INVALID_HASH otherwise);
 * - temp files are ignored by every enumeration and removed by {@link prune} once their
 *   writer is gone.
 * Used by the files driver and reused by the packs and SQLite drivers.
 */
export class LooseObjects {
  readonly root: string;
  readonly scheme: ObjectPathScheme;
  private readonly durability: Durability;
  /** Shared flushes of concurrent stores (fsync durability with group commit only). */
  private readonly syncGroup: FileSyncGroup | undefined;
  /**
   * Look for an existing copy before writing (with fsync: writing and flushing a copy that
   * exists costs far more than the look); without flushes, write first (see writeThenLook).
   */
  private readonly lookFirst: boolean;

  constructor(private readonly options: LooseObjectsOptions) {
    this.root = options.root;
    this.scheme = options.scheme ?? gitObjectPaths;
    this.durability = options.durability ?? 'fsync';
    this.syncGroup = this.durability === 'fsync' && options.groupCommit !== false ? new FileSyncGroup() : undefined;
    this.lookFirst = this.durability === 'fsync';
  }

  /** The options this was made with. */
  get settings(): Readonly<LooseObjectsOptions> {
    return this.options;
  }

  /** The file of `hash` (validated first; throws INVALID_HASH). */
  fileOf(hash: string): string {
    return objectFile(this.root, this.scheme, hash);
  }

  /**
   * Store an object; resolves false when a sound copy already exists. Like git, storing content
   * that exists refreshes its time (gc's grace period then protects it from a gc that decided
   * it was unreachable a moment ago), and an existing copy that does not verify (a truncated
   * file: a full disk before writes were checked, a crash with durability none) is replaced.
   */
  async store(hash: string, type: string, data: Uint8Array): Promise<boolean> {
    assertHash(hash);
    assertObjectSize(data.length, this.options.maxObjectSize);
    const existing = this.lookFirst ? this.freshen(hash) : 'missing';
    if (existing === 'sound') return this.durableCopy(hash);
    const encoded = encodeObject(type, data, this.options.compression);
    if (encoded.hash !== hash) throw new CorruptObjectError(hash, 'storeObject', `content hashes to ${encoded.hash}`);
    return this.lookFirst ? this.writeFile(hash, encoded.raw, existing === 'damaged') : this.writeThenLook(hash, encoded.raw);
  }

  /** Store compressed bytes after verifying that they inflate and hash to `hash` (existing copies as {@link store}). */
  async storeRaw(hash: string, raw: Uint8Array): Promise<boolean> {
    assertHash(hash);
    const existing = this.lookFirst ? this.freshen(hash) : 'missing';
    if (existing === 'sound') return this.durableCopy(hash);
    decodeObject(raw, hash, 'raw object', this.options.compression, this.options.maxObjectSize);
    return this.lookFirst ? this.writeFile(hash, raw, existing === 'damaged') : this.writeThenLook(hash, raw);
  }

  // Without flushes, new content (the usual case: a commit is new by construction) is written
  // without looking for a copy first; the link into place finds an existing one (EEXIST), which
  // is then treated as `freshen` says: kept and touched when sound, replaced when damaged,
  // written again when gc removed it meanwhile. One `stat` less per new object.
  private async writeThenLook(hash: string, raw: Uint8Array): Promise<boolean> {
    if (await this.writeFile(hash, raw)) return true;
    const existing = this.freshen(hash);
    if (existing === 'sound') return false;
    return this.writeFile(hash, raw, existing === 'damaged');
  }

  // A sound copy another store of this process placed may still wait for its flush: the caller
  // may name it in a head only once it is durable.
  private async durableCopy(hash: string): Promise<false> {
    await this.syncGroup?.durable(this.fileOf(hash));
    return false;
  }

  // An existing copy: verified, and its mtime set to now when sound. `missing` also when gc
  // removed it between our look and the touch (utimes fails): then we write it again.
  private freshen(hash: string): 'missing' | 'sound' | 'damaged' {
    const file = this.fileOf(hash);
    // The common case — new content — without the cost of an exception.
    if (!statSync(file, { throwIfNoEntry: false })) return 'missing';
    let raw: Buffer;
    try {
      raw = readFileSync(file);
    } catch (err) {
      if (isMissing(err)) return 'missing';
      throw err;
    }
    try {
      decodeObject(raw, hash, file, this.options.compression, this.options.maxObjectSize);
    } catch (err) {
      if (isGittyError(err, 'CORRUPT_OBJECT')) return 'damaged';
      throw err;
    }
    try {
      const now = new Date();
      utimesSync(file, now, now);
      return 'sound';
    } catch (err) {
      if (isMissing(err)) return 'missing';
      // Not ours to touch (another user's file): a fresh copy renamed over it has a new time.
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EPERM' || code === 'EACCES') return 'damaged';
      throw err;
    }
  }

  /** The verified object, or undefined when absent. CORRUPT_OBJECT names the file. */
  async load(hash: string): Promise<GitObject | undefined> {
    const file = this.fileOf(hash);
    const raw = await readOrUndefined(file);
    return raw && decodeObject(raw, hash, file, this.options.compression, this.options.maxObjectSize);
  }

  /** The compressed bytes as stored, verified like {@link load}, or undefined when absent. */
  async loadRaw(hash: string): Promise<Uint8Array | undefined> {
    const file = this.fileOf(hash);
    const raw = await readOrUndefined(file);
    if (raw) decodeObject(raw, hash, file, this.options.compression, this.options.maxObjectSize);
    return raw;
  }

  /** True when the object file exists (no verification). */
  async has(hash: string): Promise<boolean> {
    return statSync(this.fileOf(hash), { throwIfNoEntry: false })?.isFile() ?? false;
  }

  /** Remove an object; resolves true when it existed. */
  async delete(hash: string): Promise<boolean> {
    try {
      await unlink(this.fileOf(hash));
      return true;
    } catch (err) {
      if (isMissing(err)) return false;
      throw err;
    }
  }

  /** When the object file was written (its mtime, ms), or undefined when absent. */
  async objectTime(hash: string): Promise<number | undefined> {
    try {
      return (await stat(this.fileOf(hash))).mtimeMs;
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  /** Every loose object hash, by walking the folders; temp files and other names are skipped. */
  async *list(): AsyncIterable<string> {
    for await (const { segments } of this.walk()) {
      const hash = this.scheme.hashOf(segments);
      if (hash) yield hash;
    }
  }

  /** Loose object count and bytes (file sizes, and space allocated on disk). */
  async stats(): Promise<{ objects: number; bytes: number; diskBytes: number }> {
    const result = { objects: 0, bytes: 0, diskBytes: 0 };
    for await (const { segments, file } of this.walk()) {
      if (!this.scheme.hashOf(segments)) continue;
      const s = await stat(file).catch(() => undefined);
      if (!s) continue;
      result.objects++;
      result.bytes += s.size;
      result.diskBytes += s.blocks * 512;
    }
    return result;
  }

  /**
   * Remove temp files whose writer is gone (see `isStaleTemp`) and object folders left empty;
   * the root itself stays.
   */
  async prune(): Promise<PruneReport> {
    const report: PruneReport = { folders: 0, tempFiles: 0 };
    const now = Date.now();
    for await (const { name, file } of this.walk(true)) {
      if (!isTempName(name)) continue;
      const s = await stat(file).catch(() => undefined);
      if (s && isStaleTemp(name, s.mtimeMs, now) && (await unlink(file).then(() => true, () => false))) report.tempFiles++;
    }
    report.folders = await this.pruneFolders(this.root, 0);
    return report;
  }

  private async pruneFolders(folder: string, level: number): Promise<number> {
    let removed = 0;
    for (const name of await readdirOrEmpty(folder)) {
      if (!this.scheme.isFolder(name, level)) continue;
      const child = path.join(folder, name);
      if (level + 1 < this.scheme.depth) removed += await this.pruneFolders(child, level + 1);
      // rmdir fails on a folder that is not empty (or that a writer just filled): that is fine.
      if (await rmdir(child).then(() => true, () => false)) removed++;
    }
    return removed;
  }

  // Files below the object folders: object files, and temp files when asked.
  private async *walk(withTemps = false, folder = this.root, level = 0, segments: string[] = []): AsyncIterable<{ name: string; file: string; segments: string[] }> {
    for (const name of await readdirOrEmpty(folder)) {
      const file = path.join(folder, name);
      if (level < this.scheme.depth) {
        if (this.scheme.isFolder(name, level)) yield* this.walk(withTemps, file, level + 1, [...segments, name]);
      } else if (withTemps || !isTempName(name)) {
        yield { name, file, segments: [...segments, name] };
      }
    }
  }

  // Temp file in the same folder, written in full and checked, then linked (never replaces)
  // or renamed into place; `replace`: renamed over a damaged copy.
  // Synchronous calls on purpose: each is a few microseconds on a local disk, while an async
  // call costs a thread-pool round trip; the write path is seven of them (measured in apps/bench).
  private async writeFile(hash: string, raw: Uint8Array, replace = false): Promise<boolean> {
    const file = this.fileOf(hash);
    const folder = path.dirname(file);
    const temp = path.join(folder, tempName());
    const newFolders: string[] = [];
    const fd = this.openInFolder(temp, folder, newFolders);
    try {
      writeFullySync(fd, raw, 0, temp);
      // Verified before it is linked: a file of another length never becomes the object.
      const size = fstatSync(fd).size;
      if (size !== raw.length) throw new StorageFullError(temp);
      if (this.durability === 'fsync' && !this.syncGroup) fsyncSync(fd);
    } catch (err) {
      closeSync(fd);
      removeQuietly(temp);
      throw asStorageError(err, temp);
    }
    if (this.syncGroup) {
      // The flush syncs the data, places the file, then syncs its folder and any new parents.
      return this.syncGroup.commit({ fd, temp, file, folders: [folder, ...newFolders], place: () => this.place(temp, file, replace) });
    }
    closeSync(fd);
    const created = this.place(temp, file, replace);
    if (created && this.durability === 'fsync') {
      try {
        await syncFolder(folder);
      } catch (err) {
        throw asStorageError(err, folder);
      }
    }
    return created;
  }

  // Link (never replaces) or rename (`replace`, or no links here) the written temp file into
  // place and remove the temp name; true when this created the object file.
  private place(temp: string, file: string, replace: boolean): boolean {
    let created: boolean;
    try {
      if (replace) {
        renameSync(temp, file);
        created = true;
      } else {
        linkSync(temp, file);
        created = true;
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') created = false;
      else if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'EXDEV') {
        // No hard links here: rename may replace a concurrent writer's file, but with the
        // same bytes (content addressing), so readers still see a whole, valid object.
        renameSync(temp, file);
        created = true;
      } else {
        removeQuietly(temp);
        throw asStorageError(err, file);
      }
    }
    removeQuietly(temp); // already renamed, or linked (the object keeps its own name)
    return created;
  }

  private readonly knownFolders = new Set<string>();

  // prune may remove an empty folder between its creation and our open: create it again.
  // With group commit, the parent of a folder it had to create goes to `newFolders` (synced by
  // the flush) instead of being synced here.
  private openInFolder(temp: string, folder: string, newFolders: string[]): number {
    for (let attempt = 0; ; attempt++) {
      try {
        if (!this.knownFolders.has(folder)) {
          const created = mkdirSync(folder, { recursive: true });
          if (created !== undefined && this.durability === 'fsync') {
            if (this.syncGroup) newFolders.push(path.dirname(folder));
            else fsyncFolderSync(path.dirname(folder));
          }
          this.knownFolders.add(folder);
        }
        return openSync(temp, 'wx');
      } catch (err) {
        this.knownFolders.delete(folder);
        if (!isMissing(err) || attempt >= 10) throw asStorageError(err, temp);
      }
    }
  }
}

function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // already gone; prune removes what a crash leaves
  }
}

async function readOrUndefined(file: string): Promise<Uint8Array | undefined> {
  try {
    // Synchronous: a small file read beats a thread-pool round trip (see writeFile).
    const buffer = readFileSync(file);
    // A plain Uint8Array, as the Driver contract says (a Buffer compares unequal in tests).
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
}

async function readdirOrEmpty(folder: string): Promise<string[]> {
  try {
    return await readdir(folder);
  } catch (err) {
    if (isMissing(err)) return [];
    throw err;
  }
}
