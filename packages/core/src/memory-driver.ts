import { checkDriverOptions } from './config.js';
import { ClosedError, CorruptObjectError, InvalidConfigError, NotAtHeadError } from './errors.js';
import { assertHash, hashObject } from './hash.js';
import { extensionOf } from './names.js';
import { decodeObject, frameObject, type GitObject } from './object-codec.js';
import { nodeCompression, type Compression } from './compression.js';
import type { Driver, DriverCapabilities, DriverFactory, HeadChange, HeadEntry } from './driver.js';

/**
 * The state behind one in-memory store. Several MemoryDrivers may share one backing, which
 * models several processes sharing one store: each sees the others' heads and is told of
 * their changes through `watch`.
 */
export class MemoryBacking {
  readonly objects = new Map<string, { type: string; data: Uint8Array; time: number }>();
  readonly heads = new Map<string, string>();
  readonly drivers = new Set<MemoryDriver>();
}

/**
 * The reference driver: everything in memory, nothing persisted. The first file a driver
 * author reads; each method's comment states its part of the contract.
 */
export class MemoryDriver implements Driver {
  readonly name = 'memory';
  readonly capabilities: DriverCapabilities = { rawObjects: true, watch: true, sharedHeads: true, objectTimes: true };
  private closed = false;
  private readonly listeners = new Set<(change: HeadChange) => void>();

  constructor(
    readonly backing: MemoryBacking = new MemoryBacking(),
    private readonly compression: Compression = nodeCompression,
  ) {
    backing.drivers.add(this);
  }

  // Idempotent: an existing object is never replaced, only its time refreshed (gc's grace
  // then covers re-used content). Copies, so callers may reuse buffers.
  async storeObject(hash: string, type: string, data: Uint8Array): Promise<boolean> {
    this.check();
    assertHash(hash);
    const existing = this.backing.objects.get(hash);
    if (existing) {
      existing.time = Date.now();
      return false;
    }
    this.backing.objects.set(hash, { type, data: Uint8Array.from(data), time: Date.now() });
    return true;
  }

  // Undefined when absent. Memory cannot rot, but the hash is still checked: a driver that
  // loads must never return bytes that do not match their name.
  async loadObject(hash: string): Promise<GitObject | undefined> {
    this.check();
    assertHash(hash);
    const found = this.backing.objects.get(hash);
    if (!found) return undefined;
    if (hashObject(found.type, found.data) !== hash) throw new CorruptObjectError(hash, 'memory', 'content does not match its hash');
    return { type: found.type, data: Uint8Array.from(found.data) };
  }

  // Existence only; no verification.
  async hasObject(hash: string): Promise<boolean> {
    this.check();
    assertHash(hash);
    return this.backing.objects.has(hash);
  }

  // Every hash once; a snapshot, so deleting while iterating is safe.
  async *objects(): AsyncIterable<string> {
    this.check();
    yield* [...this.backing.objects.keys()];
  }

  // True when it existed.
  async deleteObject(hash: string): Promise<boolean> {
    this.check();
    assertHash(hash);
    return this.backing.objects.delete(hash);
  }

  // Compressed bytes, as a loose object file would hold them.
  async loadRaw(hash: string): Promise<Uint8Array | undefined> {
    const found = await this.loadObject(hash);
    return found && this.compression.deflate(frameObject(found.type, found.data));
  }

  // Verifies before storing: raw bytes come from elsewhere (replication, copy).
  async storeRaw(hash: string, raw: Uint8Array): Promise<boolean> {
    this.check();
    const object = decodeObject(raw, hash, 'raw object', this.compression);
    return this.storeObject(hash, object.type, object.data);
  }

  // When the object was stored (ms), for gc's grace period.
  async objectTime(hash: string): Promise<number | undefined> {
    this.check();
    return this.backing.objects.get(hash)?.time;
  }

  async getHead(name: string): Promise<string | undefined> {
    this.check();
    return this.backing.heads.get(name);
  }

  async *heads(options: { ext?: string } = {}): AsyncIterable<HeadEntry> {
    this.check();
    for (const [name, head] of [...this.backing.heads]) {
      if (options.ext === undefined || extensionOf(name) === options.ext) yield { name, head };
    }
  }

  // The CAS: check and set happen in one synchronous step, so no other caller can interleave.
  async updateHead(name: string, expected: string | null, next: string | null): Promise<void> {
    this.check();
    const current = this.backing.heads.get(name) ?? null;
    if (current !== expected) throw new NotAtHeadError(name, current, expected);
    if (next === null) this.backing.heads.delete(name);
    else this.backing.heads.set(name, next);
    for (const other of this.backing.drivers) {
      if (other !== this) other.notify({ name, old: current, new: next });
    }
  }

  // Nothing to pick up: the backing is shared directly.
  async rescan(): Promise<void> {
    this.check();
  }

  // Changes made through other drivers on the same backing.
  watch(listener: (change: HeadChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    this.backing.drivers.delete(this);
  }

  private notify(change: HeadChange): void {
    for (const listener of this.listeners) listener(change);
  }

  private check(): void {
    if (this.closed) throw new ClosedError('memory driver');
  }
}

const backings = new Map<string, MemoryBacking>();

/**
 * Factory for `{ driver: 'memory', id? }`. Drivers opened with the same `id` share one backing
 * (like processes sharing a directory); without `id` each store is private.
 */
export const createDriver: DriverFactory = async (options, context) => {
  // A misspelt option fails loudly, as for every driver, rather than being ignored.
  checkDriverOptions('memory', options, ['id']);
  const id = options.id;
  if (id !== undefined && typeof id !== 'string') throw new InvalidConfigError('The memory driver\'s "id" must be a string');
  let backing: MemoryBacking | undefined;
  if (typeof id === 'string') {
    backing = backings.get(id) ?? new MemoryBacking();
    backings.set(id, backing);
  }
  return new MemoryDriver(backing, context.compression);
};
