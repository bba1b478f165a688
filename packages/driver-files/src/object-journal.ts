import { closeSync, fdatasync, fdatasyncSync, fstatSync, ftruncateSync, mkdirSync, openSync, renameSync, statSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import {
  CorruptObjectError, assertHash, assertObjectSize, decodeObject, encodeObject, isGittyError, type Compression, type GitObject,
} from '@gitty/core';
import { fsyncFolderSync, isMissing, syncFolder, type Durability } from './fs-sync.js';
import { Batcher, type BatchOutcome } from './group-commit.js';
import { encodeRecords, journalHeader, JOURNAL_HEADER_BYTES, RECORD_OVERHEAD, type JournalEntry } from './journal-format.js';
import { JOURNAL_SUFFIX, JournalIndex, SEALING_SUFFIX, journalTagOf, type JournalFile } from './journal-index.js';
import { LooseObjectBatch } from './loose-batch.js';
import type { LooseObjects } from './loose.js';
import { isOwnTag, tempName, writerGone, writerTag } from './temp-files.js';
import { asStorageError, writeFullySync } from './write-fully.js';

/** Seal this process's journal once it holds this many bytes (default). */
export const DEFAULT_JOURNAL_SEAL_BYTES = 8 * 1024 * 1024;
/** Seal this process's journal once its first record is this old (default): gc's grace then sees loose files. */
export const DEFAULT_JOURNAL_SEAL_MS = 60_000;

/** Options of {@link ObjectJournal}. */
export interface ObjectJournalOptions {
  /** The journal folder (`objects/journal`). */
  folder: string;
  /** The store's loose objects, flushed as the store's durability says: where a record goes when its journal was taken from under it. */
  loose: LooseObjects;
  /** The same loose objects without flushes: what a seal writes before its one flush. */
  unflushed: LooseObjects;
  durability: Durability;
  compression: Compression;
  maxObjectSize: number;
  /** Append new objects to this process's journal (false: only read other processes' journals and seal abandoned ones). */
  write: boolean;
  sealBytes?: number;
  sealMs?: number;
}

/** Journals some driver of this process appends to now (several stores may share a folder in one process): never sealed from under it. */
const appendingInProcess = new Set<string>();

/** This process's journal while it appends to it. */
interface ActiveJournal {
  id: string;
  path: string;
  fd: number;
  ino: number;
  size: number;
  created: number;
}

/**
 * The object journal: new objects appended to one file per process instead of two loose files
 * per version — one write and (with `fsync`) one `fdatasync` cover every object a group commit
 * gathered. Other processes read the journal while it grows (see {@link JournalIndex}); the
 * journal is sealed into ordinary loose objects once it is large or old, on `close`, and —
 * when its writer died — by the next process on the same host that opens the store or runs gc.
 *
 * Why nothing acknowledged is lost:
 * - a record is acknowledged, and indexed for this process, only after its write (and flush)
 *   completed; a failed write or flush abandons the journal (its torn tail is cut off where
 *   possible, and nothing is ever appended after it), so no later record hides behind it;
 * - a sealer first renames the journal to its own `.sealing` name, then copies every whole
 *   record into loose files, flushes them, and only then removes the journal; a writer checks
 *   after every append that its file still has its name, and when a sealer took it (a host
 *   name shared with another machine, a reused pid) stores that append's objects loose instead;
 * - a crash's torn tail is a record that is incomplete or fails its CRC: every scan stops there.
 */
export class ObjectJournal {
  readonly index: JournalIndex;
  private active: ActiveJournal | undefined;
  /** Header ids of journals this process wrote, so their records count as durable for deduplication. */
  private readonly ownIds = new Set<string>();
  private readonly batcher = new Batcher<JournalEntry, void>((entries) => this.flush(entries));
  private sealing: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly sealBytes: number;
  private readonly sealMs: number;
  private sealsDone = 0;

  constructor(private readonly options: ObjectJournalOptions) {
    // A loose object is at most a little larger than its data; a longer length field is damage.
    this.index = new JournalIndex(options.folder, options.maxObjectSize + (options.maxObjectSize >> 3) + 1024);
    this.sealBytes = options.sealBytes ?? DEFAULT_JOURNAL_SEAL_BYTES;
    this.sealMs = options.sealMs ?? DEFAULT_JOURNAL_SEAL_MS;
    if (options.write) {
      this.timer = setInterval(() => {
        const active = this.active;
        if (active && Date.now() - active.created >= this.sealMs) void this.sealOwn().catch(() => undefined);
      }, Math.max(50, Math.min(this.sealMs, 10_000)));
      this.timer.unref();
    }
  }

  /** True when new objects go to the journal. */
  get writes(): boolean {
    return this.options.write;
  }

  /** Append an object; resolves false when this process already holds it durably in a journal. */
  async store(hash: string, type: string, data: Uint8Array): Promise<boolean> {
    assertHash(hash);
    assertObjectSize(data.length, this.options.maxObjectSize);
    if (this.holdsDurably(hash)) return false;
    const encoded = encodeObject(type, data, this.options.compression);
    if (encoded.hash !== hash) throw new CorruptObjectError(hash, 'storeObject', `content hashes to ${encoded.hash}`);
    await this.batcher.submit({ hash, raw: encoded.raw });
    return true;
  }

  /** Append loose-object bytes after verifying that they inflate and hash to `hash`. */
  async storeRaw(hash: string, raw: Uint8Array): Promise<boolean> {
    assertHash(hash);
    if (this.holdsDurably(hash)) return false;
    decodeObject(raw, hash, 'raw object', this.options.compression, this.options.maxObjectSize);
    await this.batcher.submit({ hash, raw });
    return true;
  }

  /** The verified object from a known journal, or undefined (the caller then looks loose, then {@link rescan}s). */
  load(hash: string): GitObject | undefined {
    const raw = this.loadRaw(hash);
    return raw && decodeObject(raw, hash, this.where(hash), this.options.compression, this.options.maxObjectSize);
  }

  /** The loose-object bytes of `hash` from a known journal, verified, or undefined. */
  loadRaw(hash: string): Uint8Array | undefined {
    const found = this.index.locate(hash);
    if (!found) return undefined;
    const raw = this.index.read(found.file, found.location);
    if (raw) decodeObject(raw, hash, `${found.file.path}@${found.location.offset}`, this.options.compression, this.options.maxObjectSize);
    return raw;
  }

  /** True when a known journal holds `hash`. */
  has(hash: string): boolean {
    return this.index.locate(hash) !== undefined;
  }

  /** When the journal holding `hash` was last written (ms), or undefined. */
  objectTime(hash: string): number | undefined {
    const found = this.index.locate(hash);
    return found ? fstatSync(found.file.fd).mtimeMs : undefined;
  }

  /** True when `hash` is in a journal this process wrote (and not yet sealed). */
  holdsOwn(hash: string): boolean {
    return this.holdsDurably(hash);
  }

  /** Read the journal folder again (after a miss: another process may have appended the object). */
  rescan(): void {
    this.index.rescan();
  }

  /** Every object hash in the known journals (after a {@link rescan}). */
  hashes(): Iterable<string> {
    return this.index.hashes();
  }

  /** Seal this process's journal now (gc, close, deleting one of its objects); resolves when done. */
  async sealOwn(): Promise<void> {
    const active = this.active;
    if (active) {
      this.active = undefined;
      // Appends in flight finish first: the batcher runs one flush at a time and the next one opens a new journal.
      await this.batcher.submit({ hash: '', raw: new Uint8Array(0) }).catch(() => undefined);
      this.retire(active);
    }
    await this.sealAbandoned();
  }

  /**
   * Seal every journal whose writer is gone (same host, pid no longer alive) and every one this
   * process retired or failed to seal before; resolves how many were sealed.
   */
  sealAbandoned(): Promise<number> {
    const run = this.sealing.then(async () => {
      this.index.rescan();
      let sealed = 0;
      for (const file of this.index.known()) {
        if (appendingInProcess.has(file.id)) continue;
        const tag = journalTagOf(file.name);
        if (tag === undefined || !(writerGone(tag) || isOwnTag(tag))) continue;
        if (await this.seal(file)) sealed++;
      }
      return sealed;
    });
    this.sealing = run.then(() => undefined, () => undefined);
    return run;
  }

  /** Journal counts for `stats()`. */
  stats(): { journals: number; journalObjects: number; journalBytes: number; journalSeals: number; journalsDamaged: number } {
    let objects = 0;
    let bytes = 0;
    let damaged = 0;
    for (const file of this.index.known()) {
      objects += file.records.size;
      bytes += file.scanned;
      if (file.damaged) damaged++;
    }
    return { journals: this.index.known().length, journalObjects: objects, journalBytes: bytes, journalSeals: this.sealsDone, journalsDamaged: damaged };
  }

  /** Seal this process's journal (failures leave it for the next opener) and close every file. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.sealOwn().catch(() => undefined);
    this.index.close();
  }

  private holdsDurably(hash: string): boolean {
    const found = this.index.locate(hash);
    return found !== undefined && this.ownIds.has(found.file.id);
  }

  private where(hash: string): string {
    const found = this.index.locate(hash);
    return found ? found.file.path : this.options.folder;
  }

  // One group: every record in one append, one flush; acknowledged only then.
  private async flush(entries: readonly JournalEntry[]): Promise<BatchOutcome<void>[]> {
    const real = entries.filter((e) => e.raw.length > 0);
    if (real.length === 0) return entries.map(() => ({ ok: true, value: undefined }));
    let active: ActiveJournal;
    try {
      active = this.active ?? this.open();
    } catch (err) {
      throw asStorageError(err, this.options.folder);
    }
    const bytes = encodeRecords(real);
    const start = active.size;
    try {
      writeFullySync(active.fd, bytes, null, active.path);
      if (this.options.durability === 'fsync') await fdatasyncAsync(active.fd);
    } catch (err) {
      this.abandon(active, start);
      throw asStorageError(err, active.path);
    }
    const now = statSync(active.path, { throwIfNoEntry: false });
    if (!now || now.ino !== active.ino) {
      // A sealer took the file after it may have read it: these records go loose, as durable as the store says.
      this.abandon(active);
      for (const entry of real) await this.options.loose.storeRaw(entry.hash, entry.raw);
      return entries.map(() => ({ ok: true, value: undefined }));
    }
    active.size = start + bytes.length;
    const file = this.index.byId(active.id);
    if (file) {
      let at = start;
      for (const entry of real) {
        file.records.set(entry.hash, { hash: entry.hash, offset: at + 24, length: entry.raw.length });
        at += RECORD_OVERHEAD + entry.raw.length;
      }
      file.scanned = active.size;
    }
    if (active.size >= this.sealBytes) void this.sealOwn().catch(() => undefined);
    return entries.map(() => ({ ok: true, value: undefined }));
  }

  // A new journal: header written and (with fsync) flushed under a temp name, then renamed into
  // place, so no reader ever sees a journal without its header.
  private open(): ActiveJournal {
    mkdirSync(this.options.folder, { recursive: true });
    const temp = path.join(this.options.folder, tempName());
    const { header, id } = journalHeader();
    // Opened for appending before it has its name, and kept: opening the name after the rename
    // would create an empty, headerless file (unreadable, never sealed) when a sealer took the
    // journal in between; this way a taken journal is this very file, which flush's check sees.
    const fd = openSync(temp, 'ax');
    const file = path.join(this.options.folder, `${writerTag()}${JOURNAL_SUFFIX}`);
    try {
      writeFullySync(fd, header, null, temp);
      if (this.options.durability === 'fsync') fdatasyncSync(fd);
      renameSync(temp, file);
    } catch (err) {
      closeQuietly(fd);
      unlinkQuietly(temp);
      throw asStorageError(err, temp);
    }
    if (this.options.durability === 'fsync') fsyncFolderSync(this.options.folder);
    const active: ActiveJournal = { id, path: file, fd, ino: fstatSync(fd).ino, size: header.length, created: Date.now() };
    this.ownIds.add(id);
    appendingInProcess.add(id);
    this.index.rescan();
    // Its records are indexed by flush, once durable: a rescan must not index them earlier.
    const own = this.index.byId(id);
    if (own) own.appending = true;
    this.active = active;
    return active;
  }

  // Stop appending to `active`; cut a torn append off when we know where it began.
  private abandon(active: ActiveJournal, goodSize?: number): void {
    if (this.active === active) this.active = undefined;
    if (goodSize !== undefined) {
      try {
        ftruncateSync(active.fd, goodSize);
      } catch {
        // Readers stop at the torn record, and nothing is appended after it.
      }
    }
    this.retire(active);
  }

  // No more appends to `active`: from now on it is sealed like any journal of this process.
  private retire(active: ActiveJournal): void {
    closeQuietly(active.fd);
    appendingInProcess.delete(active.id);
    const file = this.index.byId(active.id);
    if (file) file.appending = false;
  }

  // Rename, copy every whole record loose, flush, remove: see the class comment. False when another process took it first.
  private async seal(file: JournalFile): Promise<boolean> {
    const sealing = path.join(this.options.folder, `${writerTag()}${SEALING_SUFFIX}`);
    try {
      renameSync(file.path, sealing);
    } catch (err) {
      if (isMissing(err)) return false;
      throw err;
    }
    file.name = path.basename(sealing);
    file.path = sealing;
    // Nobody appends to it any more: read to its end, past damaged records.
    if (file.damaged) {
      file.scanned = JOURNAL_HEADER_BYTES;
      file.damaged = false;
    }
    this.index.readOn(file, true);
    const batch = new LooseObjectBatch(this.options.unflushed, this.options.durability);
    for (const location of file.records.values()) {
      const raw = this.index.read(file, location);
      if (!raw) continue;
      try {
        await batch.addRaw(location.hash, raw);
      } catch (err) {
        // A record whose CRC checks but whose bytes do not hash: nothing can name it; fsck reports journals, not this.
        if (isGittyError(err, 'CORRUPT_OBJECT')) continue;
        throw err;
      }
    }
    await batch.commit();
    unlinkSync(sealing);
    if (this.options.durability === 'fsync') await syncFolder(this.options.folder);
    this.index.drop(file);
    this.ownIds.delete(file.id);
    this.sealsDone++;
    return true;
  }
}

function fdatasyncAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())));
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}

function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // gone already; prune removes stale temp files
  }
}
