/**
 * An example third-party gitty driver, written outside the workspace's built-ins: the whole
 * store is one JSON file, rewritten atomically (temp file + rename) on every change. It is
 * loaded by module specifier (`{ driver: './example-driver.ts', file }`) and passes the
 * conformance suite, proving the extension path end to end. Not for production: every write
 * rewrites the whole file.
 *
 * Safety across drivers and processes: every mutation takes a cross-process lock on the file
 * (driver-files' `FileLock`, a `mkdir` lock), then reads the file, applies the change and writes
 * it back, so no other driver or process can interleave and overwrite it with an older copy
 * (without the lock, racing processes lose each other's objects and head moves). Like every
 * lock it can be lost by a holder stalled past its stale time; the sample accepts that.
 * Reads use the state last read, and read the file again for an object they do not know, so
 * an object another process wrote (say, the head a NOT_AT_HEAD names) is found.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { FileLock } from '@gitty/driver-files';
import {
  ClosedError, CorruptObjectError, NotAtHeadError, assertHash, checkDriverOptions, decodeObject, extensionOf, frameObject, hashObject, stringOption,
  type Compression, type Driver, type DriverCapabilities, type DriverFactory, type GitObject, type HeadEntry,
} from '@gitty/core';

/** The file's content: objects (base64) with their store time, and heads. */
interface JsonStore {
  objects: Record<string, { type: string; data: string; time: number }>;
  heads: Record<string, string>;
}

// Null prototypes: names such as "constructor" or "__proto__" are plain keys here.
function emptyStore(): JsonStore {
  return { objects: Object.create(null), heads: Object.create(null) };
}

/** A driver keeping a whole store in one JSON file. */
export class JsonFileDriver implements Driver {
  readonly name = 'example-json';
  readonly capabilities: DriverCapabilities = { persistent: true, sharedHeads: true, rawObjects: true, objectTimes: true };
  private state: JsonStore;
  private closed = false;
  private readonly lock: FileLock;

  constructor(
    private readonly file: string,
    private readonly compression: Compression,
    private readonly maxObjectSize: number,
  ) {
    this.lock = new FileLock(file);
    this.state = this.read();
  }

  async storeObject(hash: string, type: string, data: Uint8Array): Promise<boolean> {
    this.check();
    assertHash(hash);
    return this.mutate((s) => {
      if (s.objects[hash]) return false;
      s.objects[hash] = { type, data: Buffer.from(data).toString('base64'), time: Date.now() };
      return true;
    });
  }

  async loadObject(hash: string): Promise<GitObject | undefined> {
    this.check();
    assertHash(hash);
    const found = this.known(hash);
    if (!found) return undefined;
    const data = new Uint8Array(Buffer.from(found.data, 'base64'));
    if (hashObject(found.type, data) !== hash) throw new CorruptObjectError(hash, this.file, 'content does not match its hash');
    return { type: found.type, data };
  }

  async hasObject(hash: string): Promise<boolean> {
    this.check();
    assertHash(hash);
    return this.known(hash) !== undefined;
  }

  async *objects(): AsyncIterable<string> {
    this.check();
    yield* Object.keys(this.state.objects);
  }

  async deleteObject(hash: string): Promise<boolean> {
    this.check();
    assertHash(hash);
    return this.mutate((s) => {
      if (!(hash in s.objects)) return false;
      delete s.objects[hash];
      return true;
    });
  }

  async loadRaw(hash: string): Promise<Uint8Array | undefined> {
    const object = await this.loadObject(hash);
    return object && this.compression.deflate(frameObject(object.type, object.data));
  }

  async storeRaw(hash: string, raw: Uint8Array): Promise<boolean> {
    this.check();
    assertHash(hash);
    const object = decodeObject(raw, hash, 'raw object', this.compression, this.maxObjectSize);
    return this.storeObject(hash, object.type, object.data);
  }

  async objectTime(hash: string): Promise<number | undefined> {
    this.check();
    return this.known(hash)?.time;
  }

  async getHead(name: string): Promise<string | undefined> {
    this.check();
    return this.state.heads[name];
  }

  async *heads(options: { ext?: string } = {}): AsyncIterable<HeadEntry> {
    this.check();
    for (const [name, head] of Object.entries(this.state.heads)) {
      if (options.ext === undefined || extensionOf(name) === options.ext) yield { name, head };
    }
  }

  async updateHead(name: string, expected: string | null, next: string | null): Promise<void> {
    this.check();
    await this.mutate((s) => {
      const current = s.heads[name] ?? null;
      if (current !== expected) throw new NotAtHeadError(name, current, expected);
      if (next === null) delete s.heads[name];
      else s.heads[name] = next;
    });
  }

  async rescan(): Promise<void> {
    this.check();
    this.state = this.read();
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /**
   * Under the file's lock: read the file, apply `change`, write the file (temp + rename, so a
   * reader never sees half a file). A change that throws writes nothing.
   */
  private mutate<T>(change: (s: JsonStore) => T): Promise<T> {
    return this.lock.withLock(async () => {
      const state = this.read();
      const result = change(state);
      const tmp = `${this.file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(state));
      renameSync(tmp, this.file);
      this.state = state;
      return result;
    });
  }

  /** The stored entry of `hash`, reading the file again when the state last read lacks it. */
  private known(hash: string): JsonStore['objects'][string] | undefined {
    if (!(hash in this.state.objects)) this.state = this.read();
    return this.state.objects[hash];
  }

  private read(): JsonStore {
    try {
      const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as JsonStore;
      const state = emptyStore();
      Object.assign(state.objects, parsed.objects);
      Object.assign(state.heads, parsed.heads);
      return state;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyStore();
      throw err;
    }
  }

  private check(): void {
    if (this.closed) throw new ClosedError('example-json driver');
  }
}

/** `{ driver: './example-driver.ts', file: '/path/store.json' }`. */
export const createDriver: DriverFactory = async (options, context) => {
  checkDriverOptions('example-json', options, ['file'], ['file']);
  return new JsonFileDriver(stringOption('example-json', options, 'file'), context.compression, context.maxObjectSize);
};

export default createDriver;
