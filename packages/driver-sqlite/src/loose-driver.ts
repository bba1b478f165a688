import {
  ClosedError, UnsupportedError, assertHash,
  type Driver, type DriverCapabilities, type GitObject, type HeadEntry,
} from '@gitty/core';
import { JournaledObjects, type LooseObjects } from '@gitty/driver-files';

/**
 * driver-files' loose objects (and the object journals other processes write) as a Driver
 * without heads: the object half of the files driver.
 * The sqlite driver keeps heads itself (its index, the head log, the log lock), so it composes
 * this (or packs over this) instead of a whole FilesDriver, whose open replays the entire head
 * log. Head methods are refused: nothing but the sqlite driver and packs (which only delegates
 * them) sits on top of it.
 */
export class LooseObjectsDriver implements Driver {
  readonly name = 'files';
  readonly capabilities: DriverCapabilities = { rawObjects: true, sharedHeads: true, persistent: true, objectTimes: true };
  private closed = false;

  /** Loose objects and the journals of files-driver processes sharing the folder. */
  readonly journaled: JournaledObjects;

  /** Over `objects`; plain loose objects get the journals of their folder read (never written). */
  constructor(objects: JournaledObjects | LooseObjects) {
    this.journaled = objects instanceof JournaledObjects ? objects : JournaledObjects.readingJournals(objects);
  }

  /** The loose objects below the journals. */
  get loose(): LooseObjects {
    return this.journaled.loose;
  }

  storeObject(hash: string, type: string, data: Uint8Array): Promise<boolean> {
    this.check(hash);
    return this.journaled.store(hash, type, data);
  }

  loadObject(hash: string): Promise<GitObject | undefined> {
    this.check(hash);
    return this.journaled.load(hash);
  }

  hasObject(hash: string): Promise<boolean> {
    this.check(hash);
    return this.journaled.has(hash);
  }

  objects(): AsyncIterable<string> {
    this.check();
    return this.journaled.list();
  }

  deleteObject(hash: string): Promise<boolean> {
    this.check(hash);
    return this.journaled.delete(hash);
  }

  loadRaw(hash: string): Promise<Uint8Array | undefined> {
    this.check(hash);
    return this.journaled.loadRaw(hash);
  }

  storeRaw(hash: string, raw: Uint8Array): Promise<boolean> {
    this.check(hash);
    return this.journaled.storeRaw(hash, raw);
  }

  objectTime(hash: string): Promise<number | undefined> {
    this.check(hash);
    return this.journaled.objectTime(hash);
  }

  async prune(): Promise<void> {
    this.check();
    await this.journaled.journal.sealAbandoned();
    await this.loose.prune();
  }

  async stats(): Promise<Record<string, number>> {
    this.check();
    const usage = await this.loose.stats();
    return { looseObjects: usage.objects, looseBytes: usage.bytes };
  }

  getHead(): Promise<string | undefined> {
    throw new UnsupportedError('getHead', 'loose objects (heads are the sqlite driver\'s)');
  }

  heads(): AsyncIterable<HeadEntry> {
    throw new UnsupportedError('heads', 'loose objects (heads are the sqlite driver\'s)');
  }

  updateHead(): Promise<void> {
    throw new UnsupportedError('updateHead', 'loose objects (heads are the sqlite driver\'s)');
  }

  /** Nothing to pick up: every read goes to the file system. */
  async rescan(): Promise<void> {
    this.check();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.journaled.journal.close();
  }

  private check(hash?: string): void {
    if (this.closed) throw new ClosedError('files driver');
    if (hash !== undefined) assertHash(hash);
  }
}
