import type {
  Commit, CommitFormat, Driver, DriverCapabilities, FileEntry, FileQuery, FsckIssue, GitObject, HeadChange, HeadEntry, HeadUpdateResult,
  ObjectBatch, ObjectBatchOptions, ProgressListener, RepackOptions, RepackReport, SearchHit,
} from '@gitty/core';

/**
 * A wrapping driver that changes nothing: every call, optional ones included, goes to the inner
 * driver, and it declares the inner driver's capabilities. The suite runs a second time through
 * it to prove that the Store and the driver's own behaviour survive composition (as
 * abstract-level's suite does with sublevels). It is also the smallest template for a wrapping
 * driver: start here and override what you change.
 *
 * Optional methods exist on the wrapper exactly when they exist on the inner driver, so feature
 * tests such as `driver.loadRaw !== undefined` see the same shape.
 */
export class PassThroughDriver implements Driver {
  readonly name: string;
  readonly capabilities: DriverCapabilities;
  /** The inner driver's commit format: a wrapper must pass it on, or the Store writes commits the inner store's readers cannot parse. */
  readonly commitFormat?: CommitFormat;

  readonly loadRaw?: (hash: string) => Promise<Uint8Array | undefined>;
  readonly storeRaw?: (hash: string, raw: Uint8Array) => Promise<boolean>;
  readonly objectTime?: (hash: string) => Promise<number | undefined>;
  readonly watch?: (listener: (change: HeadChange) => void) => () => void;
  readonly repack?: (options?: RepackOptions) => Promise<RepackReport>;
  readonly unpack?: (options?: { onProgress?: ProgressListener }) => Promise<{ unpacked: number }>;
  readonly reindex?: (options?: { onProgress?: ProgressListener }) => Promise<void>;
  readonly prune?: () => Promise<void>;
  readonly fsck?: (options?: { onProgress?: ProgressListener }) => Promise<FsckIssue[]>;
  readonly queryFiles?: (query: FileQuery) => Promise<FileEntry[]>;
  readonly queryHistory?: (start: string, limit: number) => Promise<Commit[]>;
  readonly search?: (text: string, query?: FileQuery) => Promise<SearchHit[]>;
  readonly stats?: () => Promise<Record<string, number>>;
  readonly updateHeads?: (changes: readonly HeadChange[]) => Promise<HeadUpdateResult[]>;
  readonly openObjectBatch?: (options?: ObjectBatchOptions) => Promise<ObjectBatch>;

  constructor(readonly inner: Driver) {
    this.name = `passthrough(${inner.name})`;
    this.commitFormat = inner.commitFormat;
    this.capabilities = { ...inner.capabilities };
    // Bound per instance, and only where the inner driver has the method.
    if (inner.loadRaw) this.loadRaw = (hash) => inner.loadRaw!(hash);
    if (inner.storeRaw) this.storeRaw = (hash, raw) => inner.storeRaw!(hash, raw);
    if (inner.objectTime) this.objectTime = (hash) => inner.objectTime!(hash);
    if (inner.watch) this.watch = (listener) => inner.watch!(listener);
    if (inner.repack) this.repack = (options) => inner.repack!(options);
    if (inner.unpack) this.unpack = (options) => inner.unpack!(options);
    if (inner.reindex) this.reindex = (options) => inner.reindex!(options);
    if (inner.prune) this.prune = () => inner.prune!();
    if (inner.fsck) this.fsck = (options) => inner.fsck!(options);
    if (inner.queryFiles) this.queryFiles = (query) => inner.queryFiles!(query);
    if (inner.queryHistory) this.queryHistory = (start, limit) => inner.queryHistory!(start, limit);
    if (inner.search) this.search = (text, query) => inner.search!(text, query);
    if (inner.stats) this.stats = () => inner.stats!();
    if (inner.updateHeads) this.updateHeads = (changes) => inner.updateHeads!(changes);
    if (inner.openObjectBatch) this.openObjectBatch = (options) => inner.openObjectBatch!(options);
  }

  storeObject(hash: string, type: string, data: Uint8Array): Promise<boolean> {
    return this.inner.storeObject(hash, type, data);
  }

  loadObject(hash: string): Promise<GitObject | undefined> {
    return this.inner.loadObject(hash);
  }

  hasObject(hash: string): Promise<boolean> {
    return this.inner.hasObject(hash);
  }

  objects(): AsyncIterable<string> {
    return this.inner.objects();
  }

  deleteObject(hash: string): Promise<boolean> {
    return this.inner.deleteObject(hash);
  }

  getHead(name: string): Promise<string | undefined> {
    return this.inner.getHead(name);
  }

  heads(options?: { ext?: string }): AsyncIterable<HeadEntry> {
    return this.inner.heads(options);
  }

  updateHead(name: string, expected: string | null, next: string | null): Promise<void> {
    return this.inner.updateHead(name, expected, next);
  }

  rescan(): Promise<void> {
    return this.inner.rescan();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
