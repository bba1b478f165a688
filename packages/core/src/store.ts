import type { Compression } from './compression.js';
import { carryOverMeta, decodeCommit, encodeCommit, type Commit, type Meta } from './commit-codec.js';
import { diffVersionsAsync, type CommitDiff, type DiffLimits } from './commit-diff.js';
import type {
  Driver, FileEntry, FileQuery, HeadChange, ProgressListener, RepackOptions, RepackReport, SearchHit,
} from './driver.js';
import {
  ClosedError, CorruptObjectError, FileExistsError, InvalidArgumentError, NotFoundError,
  UnsupportedError, isGittyError,
} from './errors.js';
import { runFsck, type FsckReport } from './fsck.js';
import { collectGarbage, type GcOptions, type GcReport } from './gc.js';
import { assertHash, hashObject, isHash } from './hash.js';
import { resolveHashPrefix } from './hash-prefix.js';
import { historyWindow, type HistoryOptions, type HistoryWindow } from './history.js';
import { LruCache } from './lru.js';
import { assertMetaTypes } from './meta-check.js';
import { assertName } from './names.js';
import { assertObjectSize, isObjectType, type GitObject } from './object-codec.js';
import { scanFiles, scanSearch } from './scan-queries.js';
import { importVersions, type ImportOptions, type ImportReport, type ImportVersion } from './store-import.js';

/** Data given to the store: a string (stored as UTF-8) or bytes. */
export type Data = string | Uint8Array;

/** A version's data and commit. `text` decodes the data as UTF-8. */
export interface Version {
  data: Uint8Array;
  commit: Commit;
  readonly text: string;
}

/** A head change as the store reports it: `origin` says whether this store made it. */
export interface HeadEvent extends HeadChange {
  origin: 'local' | 'remote';
}

/** Options of {@link Store}; built by `openStore` from the config. */
export interface StoreOptions {
  compression: Compression;
  maxObjectSize: number;
  commitCacheSize?: number;
}

function toBytes(data: Data): Uint8Array {
  if (typeof data === 'string') return new TextEncoder().encode(data);
  if (data instanceof Uint8Array) return data;
  throw new InvalidArgumentError('data must be a string or a Uint8Array');
}

function version(data: Uint8Array, commit: Commit): Version {
  return {
    data,
    commit,
    get text() {
      // ignoreBOM: a leading U+FEFF is data, so text round-trips exactly.
      return new TextDecoder('utf-8', { ignoreBOM: true }).decode(data);
    },
  };
}

/**
 * A gitty store: named files with linear histories of content-addressed commits, on any driver.
 * Obtain one with `openStore(config)`. All methods are async and safe to call concurrently.
 */
export class Store {
  private closed = false;
  private readonly commits: LruCache<string, Commit>;
  private readonly listeners = new Set<(event: HeadEvent) => void>();
  private readonly unwatch: (() => void) | undefined;

  constructor(
    /** The driver behind this store (for diagnostics and driver-specific calls). */
    readonly driver: Driver,
    private readonly options: StoreOptions,
  ) {
    this.commits = new LruCache(options.commitCacheSize ?? 10_000);
    this.unwatch = driver.watch?.((change) => this.emit({ ...change, origin: 'remote' }));
  }

  /** Largest object this store accepts, in bytes. */
  get maxObjectSize(): number {
    return this.options.maxObjectSize;
  }

  /**
   * Create a new file. Throws FILE_EXISTS (naming the head) when it exists, INVALID_NAME,
   * OBJECT_TOO_LARGE. Reserved keys in `meta` (name, data, time, previous, commit) are ignored,
   * except `time`, which may be given (seconds) for imports. Documented keys must have their
   * types (`tags` strings in an array, `author` and `commit_message` strings, `time` a finite
   * number): INVALID_ARGUMENT otherwise, and nothing is written.
   */
  async create(name: string, data: Data, meta: Meta = {}): Promise<Commit> {
    this.check();
    assertName(name);
    const bytes = toBytes(data);
    assertMetaTypes(meta);
    // An early, cheap refusal; the CAS below is what guarantees it (no rescan needed here).
    const existing = await this.driver.getHead(name);
    if (existing) throw new FileExistsError(name, existing);
    const commit = await this.writeVersion(name, bytes, carryOverMeta(undefined, meta), undefined, meta.time);
    try {
      await this.driver.updateHead(name, null, commit.commit);
    } catch (err) {
      // By code, not class: a driver may throw another copy of core's NotAtHeadError.
      if (isGittyError(err, 'NOT_AT_HEAD') && err.head) throw new FileExistsError(name, err.head);
      throw err;
    }
    this.emit({ name, old: null, new: commit.commit, origin: 'local' });
    return commit;
  }

  /**
   * Add a version to an existing file. `meta.previous` must be the current head, else
   * NOT_AT_HEAD carrying the actual head. Metadata not given is carried over from the previous
   * version, except identity keys (author, user, commit_message, …).
   */
  async update(name: string, data: Data, meta: Meta & { previous: string }): Promise<Commit> {
    this.check();
    assertName(name);
    const previous = meta?.previous;
    if (previous === undefined) throw new InvalidArgumentError(`update of "${name}" needs meta.previous (the head it replaces)`);
    assertHash(previous);
    const bytes = toBytes(data);
    assertMetaTypes(meta);
    const prevCommit = await this.commit(previous);
    if (prevCommit.name !== name) {
      throw new InvalidArgumentError(`previous ${previous} is a version of "${prevCommit.name}", not of "${name}"`);
    }
    const commit = await this.writeVersion(name, bytes, carryOverMeta(prevCommit, meta), previous, meta.time);
    await this.driver.updateHead(name, previous, commit.commit);
    this.emit({ name, old: previous, new: commit.commit, origin: 'local' });
    return commit;
  }

  /**
   * Bulk import: many versions of many files, written as one batch (objects first, made
   * durable once; heads last, in one batched CAS). Versions of a name chain in iteration
   * order, the first onto the file's head when the import first meets the name; each is
   * validated and encoded exactly as `create`/`update` would (same hashes for the same
   * metadata and `time`). Per file all-or-nothing: its head moves to its last version or
   * stays. A head another writer moved meanwhile is left alone: after switching every other
   * file the import rejects with ImportConflictError (NOT_AT_HEAD) listing those files and the
   * stored tips of their versions. Invalid input rejects (INVALID_NAME, INVALID_ARGUMENT,
   * OBJECT_TOO_LARGE) before any head moves; so does an abort (ABORTED, ImportAbortedError).
   */
  async import(
    versions: AsyncIterable<ImportVersion> | Iterable<ImportVersion>,
    options: ImportOptions = {},
  ): Promise<ImportReport> {
    this.check();
    return importVersions({
      driver: this.driver,
      maxObjectSize: this.options.maxObjectSize,
      commit: (hash) => this.commit(hash),
      emitLocal: (change) => this.emit({ ...change, origin: 'local' }),
    }, versions, options);
  }

  /**
   * Remove a file's head (its history stays until `gc`). `previous`, when given, must be the
   * current head (NOT_AT_HEAD otherwise). Throws NOT_FOUND when the file does not exist.
   */
  async delete(name: string, options: { previous?: string } = {}): Promise<void> {
    this.check();
    assertName(name);
    const current = options.previous ?? (await this.headOf(name));
    if (!current) throw new NotFoundError('file', name);
    assertHash(current);
    await this.driver.updateHead(name, current, null);
    this.emit({ name, old: current, new: null, origin: 'local' });
  }

  /** The head commit hash of a file, or undefined. Rescans the driver once on a miss. */
  async head(name: string): Promise<string | undefined> {
    this.check();
    assertName(name);
    return this.headOf(name);
  }

  /** A version's data and commit, by file name (its head) or commit hash. NOT_FOUND when absent. */
  async get(nameOrHash: string): Promise<Version> {
    const commit = await this.commit(nameOrHash);
    const blob = await this.loadObject(commit.data);
    if (!blob) throw new NotFoundError('object', commit.data);
    return version(blob.data, commit);
  }

  /** A commit by file name (its head) or commit hash. NOT_FOUND when absent. */
  async commit(nameOrHash: string): Promise<Commit> {
    this.check();
    const hash = await this.resolve(nameOrHash);
    const cached = this.commits.get(hash);
    if (cached) return structuredClone(cached);
    const object = await this.loadObject(hash);
    if (!object) throw new NotFoundError('commit', hash);
    if (object.type !== 'commit') throw new NotFoundError('commit', `${hash} (a ${object.type})`);
    const commit = decodeCommit(object.data, hash);
    this.commits.set(hash, commit);
    // A deep copy: a caller changing the returned commit (tags.push) must not change the cache.
    return structuredClone(commit);
  }

  /** A window of a file's history, newest first (see SWISH's gitty_history). */
  async history(nameOrHash: string, options: HistoryOptions = {}): Promise<HistoryWindow> {
    this.check();
    if (options.includes !== undefined) assertHash(options.includes);
    // NaN or a fraction would silently give an empty or odd window: refuse it instead.
    if (options.depth !== undefined && !(Number.isSafeInteger(options.depth) && options.depth >= 0)) {
      throw new InvalidArgumentError(`history depth must be a non-negative integer, not ${String(options.depth)}`);
    }
    const start = await this.resolve(nameOrHash);
    if (this.driver.queryHistory && this.driver.capabilities.query && options.includes === undefined) {
      const depth = Math.max(1, options.depth ?? 5);
      const history = await this.driver.queryHistory(start, depth);
      if (history.length > 0) return { history, skipped: 0 };
    }
    return historyWindow(this.walk(start), options, (hash) => this.walkWhileCommits(hash));
  }

  /**
   * The commits from `hash` along `previous` while each loads as a commit: where an `includes`
   * off the chain is read from. It stops quietly at a missing or non-commit object, as SWISH
   * does; a corrupt one still throws. Its caller takes a bounded count, so a loop cannot hang.
   */
  private async *walkWhileCommits(hash: string | undefined): AsyncIterable<Commit> {
    while (hash) {
      let commit: Commit;
      try {
        commit = await this.commit(hash);
      } catch (err) {
        if (isGittyError(err, 'NOT_FOUND')) return;
        throw err;
      }
      yield commit;
      hash = commit.previous;
    }
  }

  /** Every commit from `start` back to the first, newest first. */
  async *walk(start: string): AsyncIterable<Commit> {
    let hash: string | undefined = await this.resolve(start);
    const seen = new Set<string>();
    while (hash) {
      if (seen.has(hash)) throw new CorruptObjectError(hash, 'history', 'the previous chain loops');
      seen.add(hash);
      const commit = await this.commit(hash);
      yield commit;
      hash = commit.previous;
    }
  }

  /**
   * The difference between two versions (names or hashes). With one argument, between that
   * version and its previous one; a first version diffs as `{ initial: true }` against nothing.
   * The line diff is bounded by `limits` (default 20,000 changed lines, 3 s) and yields to the
   * event loop while it runs; beyond the limits `data` only says "files differ, N → M lines"
   * and `tooLarge` is set.
   */
  async diff(from: string | null, to?: string, limits?: DiffLimits): Promise<CommitDiff> {
    this.check();
    if (to === undefined) {
      if (from === null) throw new InvalidArgumentError('diff needs at least one version');
      const target = await this.get(from);
      if (!target.commit.previous) return { ...(await diffVersionsAsync(null, target, limits)), initial: true };
      const base = await this.get(target.commit.previous);
      return diffVersionsAsync(base, target, limits);
    }
    const [a, b] = await Promise.all([from === null ? null : this.get(from), this.get(to)]);
    const result = await diffVersionsAsync(a, b, limits);
    return a === null && !b.commit.previous ? { ...result, initial: true } : result;
  }

  /**
   * Files and their heads, sorted by name unless `order: 'time'`. Filters beyond `ext` and
   * `namePrefix` need each head's metadata: served from an index when the driver has `query`,
   * otherwise by reading every head commit.
   */
  async *files(query: FileQuery = {}): AsyncIterable<FileEntry> {
    this.check();
    if (this.driver.queryFiles && this.driver.capabilities.query) {
      yield* await this.driver.queryFiles(query);
      return;
    }
    yield* scanFiles(this.driver, (hash) => this.commit(hash), query);
  }

  /** Full-text search over the current content of every file (indexed where the driver has `search`, else a scan). */
  async search(text: string, query: FileQuery = {}): Promise<SearchHit[]> {
    this.check();
    if (typeof text !== 'string' || text.length === 0) throw new InvalidArgumentError('search needs a non-empty text');
    if (this.driver.search && this.driver.capabilities.search) return this.driver.search(text, query);
    return scanSearch(this.files({ ...query, limit: undefined, offset: undefined }), (hash) => this.loadObject(hash), text, query);
  }

  /** Store a raw object (any lower-case type word, default `blob`); returns its hash. */
  async save(data: Data, type = 'blob'): Promise<string> {
    this.check();
    if (!isObjectType(type)) throw new InvalidArgumentError(`object type "${type}" is not a lower-case word`);
    const bytes = toBytes(data);
    return this.storeObject(type, bytes);
  }

  /** Load a raw object by hash: NOT_FOUND when absent, CORRUPT_OBJECT when damaged. */
  async load(hash: string): Promise<GitObject> {
    this.check();
    assertHash(hash);
    const object = await this.loadObject(hash);
    if (!object) throw new NotFoundError('object', hash);
    return object;
  }

  /** True when the object exists. */
  async has(hash: string): Promise<boolean> {
    this.check();
    assertHash(hash);
    return this.driver.hasObject(hash);
  }

  /**
   * The full hash of the one object whose hash starts with `prefix` (4 to 40 hex digits), as
   * git resolves abbreviations; `type: 'commit'` counts commits only. INVALID_HASH, NOT_FOUND,
   * AMBIGUOUS (listing the candidates). Scans the store's object list: for people's input.
   */
  async resolveHash(prefix: string, options: { type?: string } = {}): Promise<string> {
    this.check();
    if (isHash(prefix)) return prefix;
    return resolveHashPrefix(this.driver, prefix, options);
  }

  /** Verify every object, commit chain and head; a structured report, never console output. */
  async fsck(options: { onProgress?: ProgressListener } = {}): Promise<FsckReport> {
    this.check();
    return runFsck(this.driver, options.onProgress);
  }

  /** Delete objects no head reaches that are older than the grace period (default 1 hour). */
  async gc(options: GcOptions = {}): Promise<GcReport> {
    this.check();
    return collectGarbage(this.driver, options);
  }

  /** Pack loose objects (drivers with `packs`). */
  async repack(options: RepackOptions = {}): Promise<RepackReport> {
    this.check();
    if (!this.driver.repack || !this.driver.capabilities.packs) throw new UnsupportedError('repack', this.driver.name);
    return this.driver.repack(options);
  }

  /** Turn packs back into loose objects (drivers with `packs`). */
  async unpack(options: { onProgress?: ProgressListener } = {}): Promise<{ unpacked: number }> {
    this.check();
    if (!this.driver.unpack || !this.driver.capabilities.packs) throw new UnsupportedError('unpack', this.driver.name);
    return this.driver.unpack(options);
  }

  /** Rebuild the driver's index (drivers with `reindex`). */
  async reindex(options: { onProgress?: ProgressListener } = {}): Promise<void> {
    this.check();
    if (!this.driver.reindex || !this.driver.capabilities.reindex) throw new UnsupportedError('reindex', this.driver.name);
    await this.driver.reindex(options);
  }

  /** Driver facts for `stats`, where the driver reports any. */
  async driverStats(): Promise<Record<string, number>> {
    this.check();
    return (await this.driver.stats?.()) ?? {};
  }

  /** Pick up changes made by other processes or nodes now. */
  async rescan(): Promise<void> {
    this.check();
    await this.driver.rescan();
  }

  /**
   * Listen to head changes: `origin: 'remote'` for changes made elsewhere (other processes or
   * nodes, where the driver can watch), `'local'` for this store's own. Returns an unsubscribe
   * function.
   */
  on(event: 'head', listener: (event: HeadEvent) => void): () => void {
    if (event !== 'head') throw new InvalidArgumentError(`unknown event "${String(event)}"`);
    this.listeners.add(listener);
    return () => this.off(event, listener);
  }

  /** Remove a listener added with `on`. */
  off(_event: 'head', listener: (event: HeadEvent) => void): void {
    this.listeners.delete(listener);
  }

  /** Close the store and its driver. Idempotent; later calls reject with CLOSED. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unwatch?.();
    this.listeners.clear();
    this.commits.clear();
    await this.driver.close();
  }

  /** True after `close()`. */
  get isClosed(): boolean {
    return this.closed;
  }

  private async writeVersion(
    name: string,
    bytes: Uint8Array,
    meta: Meta,
    previous: string | undefined,
    time: unknown,
  ): Promise<Commit> {
    assertObjectSize(bytes.length, this.options.maxObjectSize);
    const dataHash = hashObject('blob', bytes);
    const stored: Meta = { ...meta, name, data: dataHash, time: typeof time === 'number' && Number.isFinite(time) ? time : Date.now() / 1000 };
    if (previous) stored.previous = previous;
    const body = encodeCommit(stored, this.driver.commitFormat);
    const [, hash] = await Promise.all([this.storeObject('blob', bytes), this.storeObject('commit', body)]);
    const commit = decodeCommit(body, hash);
    this.commits.set(hash, commit);
    return structuredClone(commit);
  }

  private async storeObject(type: string, bytes: Uint8Array): Promise<string> {
    assertObjectSize(bytes.length, this.options.maxObjectSize);
    const hash = hashObject(type, bytes);
    await this.driver.storeObject(hash, type, bytes);
    return hash;
  }

  private async loadObject(hash: string): Promise<GitObject | undefined> {
    const found = await this.driver.loadObject(hash);
    if (found) return found;
    await this.driver.rescan();
    return this.driver.loadObject(hash);
  }

  private async headOf(name: string): Promise<string | undefined> {
    const head = await this.driver.getHead(name);
    if (head) return head;
    await this.driver.rescan();
    return this.driver.getHead(name);
  }

  /** A commit hash from a name or hash; a 40-hex string is taken as a hash. */
  private async resolve(nameOrHash: string): Promise<string> {
    if (isHash(nameOrHash)) return nameOrHash;
    assertName(nameOrHash);
    const head = await this.headOf(nameOrHash);
    if (!head) throw new NotFoundError('file', nameOrHash);
    return head;
  }

  private emit(event: HeadEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A listener's failure must not break the store or other listeners.
      }
    }
  }

  private check(): void {
    if (this.closed) throw new ClosedError();
  }
}

export { isGittyError };
