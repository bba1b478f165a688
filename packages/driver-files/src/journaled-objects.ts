import path from 'node:path';
import type { GitObject } from '@gitty/core';
import { sizedCompression } from './loose-batch.js';
import { LooseObjects } from './loose.js';
import { ObjectJournal } from './object-journal.js';

/**
 * Loose objects together with the object journals (see {@link ObjectJournal}): what the files
 * driver, and every driver built on its loose objects, reads and writes. A lookup tries the
 * journals known so far, then the loose file; on a miss it reads the journal folder again
 * (another process may have appended the object) and tries loose once more (a sealer may have
 * moved it from a journal into a loose file meanwhile).
 */
export class JournaledObjects {
  constructor(
    readonly loose: LooseObjects,
    readonly journal: ObjectJournal,
  ) {}

  /**
   * `loose` with the journals of `<loose root>/journal` read (and sealed when abandoned) but never
   * written: for drivers that write loose files themselves and share a folder with files-driver
   * processes that write journals.
   */
  static readingJournals(loose: LooseObjects): JournaledObjects {
    const { root, maxObjectSize, durability = 'fsync' } = loose.settings;
    const compression = sizedCompression(loose.settings.compression);
    const journal = new ObjectJournal({
      folder: path.join(root, 'journal'), loose, durability, compression, maxObjectSize, write: false,
      unflushed: new LooseObjects({ root, compression, maxObjectSize, durability: 'none', scheme: loose.scheme }),
    });
    return new JournaledObjects(loose, journal);
  }

  /** Store through the journal when this process writes one, else as a loose file. */
  store(hash: string, type: string, data: Uint8Array): Promise<boolean> {
    return this.journal.writes ? this.journal.store(hash, type, data) : this.loose.store(hash, type, data);
  }

  /** As {@link store}, from loose-object bytes. */
  storeRaw(hash: string, raw: Uint8Array): Promise<boolean> {
    return this.journal.writes ? this.journal.storeRaw(hash, raw) : this.loose.storeRaw(hash, raw);
  }

  async load(hash: string): Promise<GitObject | undefined> {
    const found = this.journal.load(hash) ?? (await this.loose.load(hash));
    if (found) return found;
    this.journal.rescan();
    return this.journal.load(hash) ?? this.loose.load(hash);
  }

  async loadRaw(hash: string): Promise<Uint8Array | undefined> {
    const found = this.journal.loadRaw(hash) ?? (await this.loose.loadRaw(hash));
    if (found) return found;
    this.journal.rescan();
    return this.journal.loadRaw(hash) ?? this.loose.loadRaw(hash);
  }

  async has(hash: string): Promise<boolean> {
    if (this.journal.has(hash) || (await this.loose.has(hash))) return true;
    this.journal.rescan();
    return this.journal.has(hash) || this.loose.has(hash);
  }

  /** Every object once: the journals' (read afresh), then the loose ones not among them. */
  async *list(): AsyncIterable<string> {
    this.journal.rescan();
    const journaled = new Set(this.journal.hashes());
    yield* journaled;
    for await (const hash of this.loose.list()) if (!journaled.has(hash)) yield hash;
  }

  // An object in this process's journal is sealed first, so it is gone once this resolves. One
  // in another live process's journal stays until that journal is sealed (within its writer's
  // `journalSealAfter`, far below any gc grace).
  async delete(hash: string): Promise<boolean> {
    if (this.journal.holdsOwn(hash)) await this.journal.sealOwn();
    return this.loose.delete(hash);
  }

  async objectTime(hash: string): Promise<number | undefined> {
    return this.journal.objectTime(hash) ?? this.loose.objectTime(hash);
  }
}
