import type { Compression } from './compression.js';
import type { GitObject } from './object-codec.js';
import type { Commit, CommitFormat } from './commit-codec.js';

/** A head change: `old` null means the file was created, `new` null that it was deleted. */
export interface HeadChange {
  name: string;
  old: string | null;
  new: string | null;
}

/** A file name and its newest commit, as drivers enumerate them. */
export interface HeadEntry {
  name: string;
  head: string;
}

/**
 * Optional features a driver declares. The Store and the conformance suite look only at these,
 * never at the driver's class.
 */
export interface DriverCapabilities {
  /** `loadRaw`/`storeRaw` are implemented (compressed object bytes, for replication and copy). */
  rawObjects?: boolean;
  /** `watch` reports head changes made by other processes or nodes. */
  watch?: boolean;
  /** Heads are shared with other processes or machines (file system, Redis). */
  sharedHeads?: boolean;
  /** Objects and heads survive `close()` and reopening the same location. */
  persistent?: boolean;
  /** `repack` and `unpack` are implemented. */
  packs?: boolean;
  /** `objectTime` is implemented, so `Store.gc` can honour a grace period. */
  objectTimes?: boolean;
  /** `reindex` is implemented. */
  reindex?: boolean;
  /** `queryFiles` and `queryHistory` are implemented (served from an index, not a scan). */
  query?: boolean;
  /** `search` is implemented (full-text over current content). */
  search?: boolean;
  /** `openObjectBatch` is implemented (bulk writes made durable once, e.g. one pack; see {@link ObjectBatch}). */
  objectBatches?: boolean;
  /** `updateHeads` is implemented (many head CASes written in one step, e.g. one locked log append). */
  headBatches?: boolean;
}

/** Progress of long work (open, scan, repack, copy): `done` of `total` (total may be unknown). */
export interface Progress {
  phase: string;
  done: number;
  total?: number;
}

/** Receives progress reports; must not throw. */
export type ProgressListener = (progress: Progress) => void;

/** Filters for listing files. Every field is optional; drivers with `query` serve them from an index. */
export interface FileQuery {
  /** Only names with this extension (after the last dot). */
  ext?: string;
  /** Only files whose head has this tag. */
  tag?: string;
  /** Only files whose head has this author. */
  author?: string;
  /** Only files whose head `time` is >= since (seconds). */
  since?: number;
  /** Only files whose head `time` is < until (seconds). */
  until?: number;
  /** Only names starting with this string. */
  namePrefix?: string;
  /** Sort order: by name (default) or by head time, newest first. */
  order?: 'name' | 'time';
  limit?: number;
  offset?: number;
}

/** One listed file with its head commit's metadata. */
export interface FileEntry {
  name: string;
  head: string;
  commit: Commit;
}

/** One full-text search hit. */
export interface SearchHit {
  name: string;
  head: string;
  /** A short excerpt of the matching text, when the driver can give one. */
  snippet?: string;
}

/** Options of `repack`, as SWISH's: pack when at least `minFiles` loose objects exist. */
export interface RepackOptions {
  /** Do not repack unless at least this many loose objects exist (default 1000). */
  minFiles?: number;
  /** Packs smaller than this many bytes are merged into the new pack (default 10 MB). */
  smallPack?: number;
  /** How many candidate bases a delta search considers. */
  window?: number;
  /** Longest delta chain. */
  depth?: number;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
}

/** What a repack did. */
export interface RepackReport {
  packed: number;
  deltas: number;
  packsRemoved: number;
  looseRemoved: number;
  pack?: string;
  bytes: number;
}

/** A problem found by `fsck`. */
export interface FsckIssue {
  code: string;
  hash?: string;
  name?: string;
  message: string;
}

/**
 * Objects written together (bulk import, copy), opened with `Driver.openObjectBatch`. The
 * driver may defer durability, and even visibility, of added objects until {@link commit}:
 * the core moves no head to a batch's object before `commit` resolved. Objects the driver
 * already wrote when a batch is aborted (or the process dies) stay as unreferenced orphans
 * for `gc`; a batch never damages objects stored before it.
 */
export interface ObjectBatch {
  /**
   * Add an object under `hash` (computed and size-checked by the core). Idempotent like
   * `storeObject`: an object already stored, or already added, is not stored twice.
   */
  add(hash: string, type: string, data: Uint8Array): Promise<void>;
  /**
   * Make every added object durable (as the driver's durability setting says) and readable by
   * every process; resolves with how many of them were newly stored. The batch is finished.
   */
  commit(): Promise<{ objects: number }>;
  /** Give up: release temp files and memory. Idempotent; a no-op after `commit`. */
  abort(): Promise<void>;
}

/** Options of `Driver.openObjectBatch`. */
export interface ObjectBatchOptions {
  /** Progress of the batch's own long work (e.g. writing and verifying a pack). */
  onProgress?: ProgressListener;
  /** Checked between objects by drivers whose commit is long; an abort rejects, nothing is committed. */
  signal?: AbortSignal;
}

/** What happened to one change of `Driver.updateHeads`. */
export interface HeadUpdateResult {
  name: string;
  /** True when the change was applied (its `old` was the head). */
  applied: boolean;
  /** The head after the call: `new` when applied, else the actual head that refused it (null: none). */
  head: string | null;
}

/** Options every driver factory receives from the core. */
export interface DriverContext {
  /** The zlib implementation to use for object bytes. */
  compression: Compression;
  /** Largest object accepted or inflated. */
  maxObjectSize: number;
  /** Progress of long work done while opening (rescan, rebuild). */
  onProgress?: ProgressListener;
  /** Opens an inner driver from its config (for wrapping drivers such as redis). */
  openInner(config: unknown): Promise<Driver>;
  /**
   * Resolves a relative path the way declared `pathOptions` are resolved (against the config's
   * `baseDir`), for a path a driver derives itself (e.g. a default taken from an inner config).
   * Contexts made by hand may lack it: then resolve against the working directory.
   */
  resolvePath?(path: string): string;
}

/**
 * The one contract every storage backend implements. The core owns all semantics (reserved
 * keys, CAS rules, history, diff); a driver stores and finds bytes and heads.
 *
 * Hashes handed to a driver are already validated (`^[0-9a-f]{40}$`), names too; drivers
 * validate again before any file system call anyway, as defence in depth.
 */
export interface Driver {
  /** A short name for messages (`memory`, `files`, …). */
  readonly name: string;
  /** Optional features; see {@link DriverCapabilities}. */
  readonly capabilities: DriverCapabilities;
  /**
   * How the Store encodes new commits for this driver (default `json`). A SWISH store says
   * `swish`; wrapping drivers pass their inner driver's value on. Decoding needs no hint: the
   * bytes tell the formats apart.
   */
  readonly commitFormat?: CommitFormat;

  /** Store an object under `hash` (already computed by the core). Idempotent; resolves true when it was new. */
  storeObject(hash: string, type: string, data: Uint8Array): Promise<boolean>;
  /** The object, verified against its hash, or undefined when absent. Throws CORRUPT_OBJECT. */
  loadObject(hash: string): Promise<GitObject | undefined>;
  /** True when the object exists (no verification). */
  hasObject(hash: string): Promise<boolean>;
  /** Every object hash, each once, in no particular order. */
  objects(): AsyncIterable<string>;
  /** Remove an object; resolves true when it existed. Used by gc only. */
  deleteObject(hash: string): Promise<boolean>;
  /** Compressed object bytes (zlib of header + data), or undefined. Requires `rawObjects`. */
  loadRaw?(hash: string): Promise<Uint8Array | undefined>;
  /** Store compressed object bytes after verifying they hash to `hash`. Requires `rawObjects`. */
  storeRaw?(hash: string, raw: Uint8Array): Promise<boolean>;
  /** Milliseconds since the epoch when the object was stored. Requires `objectTimes`. */
  objectTime?(hash: string): Promise<number | undefined>;

  /** The newest commit of `name`, or undefined. */
  getHead(name: string): Promise<string | undefined>;
  /** Every head, optionally only names with extension `ext`. */
  heads(options?: { ext?: string }): AsyncIterable<HeadEntry>;
  /**
   * Atomic compare-and-swap of a head across threads, processes and (for shared drivers)
   * machines. `expected` null: the head must not exist; `next` null: delete the head.
   * Throws NotAtHeadError carrying the actual head when `expected` is not current.
   */
  updateHead(name: string, expected: string | null, next: string | null): Promise<void>;
  /**
   * Many compare-and-swaps in one step (e.g. one append to a locked log). Names are distinct.
   * Each change is judged on its own, exactly as `updateHead` would judge it (a change whose
   * `old` is not the current head is refused, never an error, and leaves its head alone); the
   * applied ones become visible together, and the call resolves only when they are as durable
   * as `updateHead` makes one. Results come in the order of `changes`. Requires `headBatches`;
   * without it the core calls `updateHead` per change.
   */
  updateHeads?(changes: readonly HeadChange[]): Promise<HeadUpdateResult[]>;
  /** Start a batch of object writes (see {@link ObjectBatch}). Requires `objectBatches`; without it the core calls `storeObject` per object. */
  openObjectBatch?(options?: ObjectBatchOptions): Promise<ObjectBatch>;

  /** Pick up changes other processes made (new heads, new packs). */
  rescan(): Promise<void>;
  /** Report head changes made elsewhere; returns an unsubscribe function. Requires `watch`. */
  watch?(listener: (change: HeadChange) => void): () => void;

  /** Pack loose objects. Requires `packs`. */
  repack?(options?: RepackOptions): Promise<RepackReport>;
  /** Turn packs back into loose objects. Requires `packs`. */
  unpack?(options?: { onProgress?: ProgressListener }): Promise<{ unpacked: number }>;
  /** Rebuild any index from the objects and the head log. Requires `reindex`. */
  reindex?(options?: { onProgress?: ProgressListener }): Promise<void>;
  /** Remove empty folders and temp files left after deletions (gc calls it). */
  prune?(): Promise<void>;
  /** Driver-specific checks (packs, indexes) that `Store.fsck` adds to its report. */
  fsck?(options?: { onProgress?: ProgressListener }): Promise<FsckIssue[]>;
  /** List files from an index. Requires `query`. */
  queryFiles?(query: FileQuery): Promise<FileEntry[]>;
  /** Commits of a file from an index, newest first, from `start` (a commit hash), at most `limit`. Requires `query`. */
  queryHistory?(start: string, limit: number): Promise<Commit[]>;
  /** Full-text search over current content. Requires `search`. */
  search?(text: string, query?: FileQuery): Promise<SearchHit[]>;
  /** Facts for `stats` (objects loose/packed, bytes on disk, …). */
  stats?(): Promise<Record<string, number>>;

  /** Release files, sockets and timers; later calls reject with CLOSED. Idempotent. */
  close(): Promise<void>;
}

/**
 * What a driver module exports (as `createDriver` or `default`): opens a driver from its
 * options (the config minus `driver`). A factory whose options name files or folders declares
 * them in `pathOptions` (`createDriver.pathOptions = ['dir']`): the core resolves a relative
 * one against the config's `baseDir` (a config file's folder, for the CLI) before the factory
 * sees it, so every driver's paths mean the same thing wherever the process runs.
 */
export type DriverFactory = ((options: Record<string, unknown>, context: DriverContext) => Promise<Driver>) & {
  /** Names of options that are file system paths (see above). */
  pathOptions?: readonly string[];
};
