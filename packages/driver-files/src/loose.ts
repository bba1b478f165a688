import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readdir, readFile, rmdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import {
  decodeObject, frameObject, type Compression, type GitObject,
} from '@gitty/core';
import { fsyncDir, type Durability } from './fsync.js';
import { gitObjectPaths, type ObjectPathScheme } from './object-path.js';

/** Prefix of temp files inside object folders; never a valid object name, so listings skip them. */
export const TEMP_PREFIX = '.tmp-';

/** Options of {@link LooseObjects}. */
export interface LooseObjectsOptions {
  /** The `objects` folder. */
  objectsDir: string;
  compression: Compression;
  maxObjectSize: number;
  durability: Durability;
  scheme?: ObjectPathScheme;
}

/**
 * Loose objects exactly as git stores them: zlib of `"<type> <size>\0<data>"` in
 * `objects/ab/cdef…`. Writes go to a temp file in the same folder and are linked into place
 * (link fails when the object exists, so an existing object is never rewritten); reads inflate
 * within the size limit and verify the hash, failing with CORRUPT_OBJECT naming the file.
 */
export class LooseObjects {
  private readonly scheme: ObjectPathScheme;
  private readonly madeFolders = new Set<string>();

  constructor(private readonly options: LooseObjectsOptions) {
    this.scheme = options.scheme ?? gitObjectPaths;
  }

  /** The objects folder. */
  get dir(): string {
    return this.options.objectsDir;
  }

  /** The file of an object (validates the hash first). */
  pathOf(hash: string): string {
    return path.join(this.options.objectsDir, ...this.scheme.segmentsOf(hash));
  }

  /** Store an object; resolves false when it already existed. */
  async store(hash: string, type: string, data: Uint8Array): Promise<boolean> {
    const file = this.pathOf(hash);
    if (await exists(file)) return false;
    return this.writeRawFile(file, this.options.compression.deflate(frameObject(type, data)));
  }

  /** Store compressed bytes after verifying they are the object `hash`. */
  async storeRaw(hash: string, raw: Uint8Array): Promise<boolean> {
    const file = this.pathOf(hash);
    if (await exists(file)) return false;
    decodeObject(raw, hash, 'raw object', this.options.compression, this.options.maxObjectSize);
    return this.writeRawFile(file, raw);
  }

  /** The verified object, or undefined when there is no such file. */
  async load(hash: string): Promise<GitObject | undefined> {
    const file = this.pathOf(hash);
    const raw = await readIfExists(file);
    if (!raw) return undefined;
    return decodeObject(raw, hash, file, this.options.compression, this.options.maxObjectSize);
  }

  /** The compressed bytes, verified, or undefined. */
  async loadRaw(hash: string): Promise<Uint8Array | undefined> {
    const file = this.pathOf(hash);
    const raw = await readIfExists(file);
    if (!raw) return undefined;
    decodeObject(raw, hash, file, this.options.compression, this.options.maxObjectSize);
    return raw;
  }

  /** True when the object's file exists (no verification). */
  async has(hash: string): Promise<boolean> {
    return exists(this.pathOf(hash));
  }

  /** Remove an object's file; true when it existed. */
  async delete(hash: string): Promise<boolean> {
    try {
      await unlink(this.pathOf(hash));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  /** When the object was written (ms since the epoch), or undefined. */
  async time(hash: string): Promise<number | undefined> {
    try {
      return (await stat(this.pathOf(hash))).mtimeMs;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  /** Every loose object's hash, by walking the folders (temp files and strangers skipped). */
  async *list(): AsyncIterable<string> {
    for (const folder of await readdirIfExists(this.options.objectsDir)) {
      if (!/^[0-9a-f]{2}$/.test(folder)) continue;
      for (const file of await readdirIfExists(path.join(this.options.objectsDir, folder))) {
        const hash = this.scheme.hashOf([folder, file]);
        if (hash) yield hash;
      }
    }
  }

  /** Count and block-rounded bytes of the loose objects (as `du` reports). */
  async usage(): Promise<{ count: number; bytes: number }> {
    let count = 0;
    let bytes = 0;
    for await (const hash of this.list()) {
      try {
        const s = await stat(this.pathOf(hash));
        count++;
        bytes += s.blocks * 512;
      } catch {
        // removed while counting
      }
    }
    return { count, bytes };
  }

  /** Remove temp files older than `olderThanMs` and empty object folders. */
  async prune(olderThanMs = 60 * 60 * 1000): Promise<{ tempFiles: number; folders: number }> {
    let tempFiles = 0;
    let folders = 0;
    const now = Date.now();
    for (const folder of await readdirIfExists(this.options.objectsDir)) {
      if (!/^[0-9a-f]{2}$/.test(folder)) continue;
      const dir = path.join(this.options.objectsDir, folder);
      const entries = await readdirIfExists(dir);
      for (const entry of entries) {
        if (!entry.startsWith(TEMP_PREFIX)) continue;
        const file = path.join(dir, entry);
        try {
          if (now - (await stat(file)).mtimeMs >= olderThanMs) {
            await unlink(file);
            tempFiles++;
          }
        } catch {
          // already gone
        }
      }
      if ((await readdirIfExists(dir)).length === 0) {
        try {
          await rmdir(dir);
          this.madeFolders.delete(dir);
          folders++;
        } catch {
          // a writer just added a file: keep the folder
        }
      }
    }
    return { tempFiles, folders };
  }

  private async writeRawFile(file: string, raw: Uint8Array): Promise<boolean> {
    const dir = path.dirname(file);
    if (!this.madeFolders.has(dir)) {
      await mkdir(dir, { recursive: true });
      this.madeFolders.add(dir);
    }
    const temp = path.join(dir, `${TEMP_PREFIX}${process.pid}-${randomBytes(6).toString('hex')}`);
    const fsync = this.options.durability === 'fsync';
    let handle;
    try {
      handle = await open(temp, 'wx', 0o444);
    } catch (err) {
      // prune may have removed the folder between our mkdir and this open
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      await mkdir(dir, { recursive: true });
      handle = await open(temp, 'wx', 0o444);
    }
    try {
      await handle.writeFile(raw);
      if (fsync) await handle.sync();
    } finally {
      await handle.close();
    }
    let added = true;
    try {
      // link, unlike rename, fails when the target exists: an object is never rewritten.
      await link(temp, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        await unlink(temp).catch(() => undefined);
        throw err;
      }
      added = false;
    }
    await unlink(temp);
    if (fsync && added) await fsyncDir(dir);
    return added;
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

async function readIfExists(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function readdirIfExists(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

