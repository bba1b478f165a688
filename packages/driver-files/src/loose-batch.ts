import { execFile } from 'node:child_process';
import { fsync, open, close } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { Compression, ObjectBatch } from '@gitty/core';
import { syncFolder, type Durability } from './fs-sync.js';
import type { LooseObjects } from './loose.js';
import { asStorageError } from './write-fully.js';

const openAsync = promisify(open);
const fsyncAsync = promisify(fsync);
const closeAsync = promisify(close);
const execFileAsync = promisify(execFile);

/** From this many new files on, one syncfs of the whole file system beats a flush per file (measured: 4-20x for 5,000 files). */
const SYNCFS_MIN_FILES = 64;

/** Flushes in flight at once: enough to keep the thread pool busy, so the file system can merge journal commits. */
const SYNC_CONCURRENCY = 16;

/**
 * An object batch over loose objects (the files driver's `openObjectBatch`, for bulk import):
 * each object is written as a loose file at once (temp file, link into place, so other
 * processes can read it) but not flushed; {@link commit} makes them durable at once: from 64
 * new files on with one syncfs of the file system (Linux), else by flushing every file it
 * created, then every folder they went into, then the objects folder (for new folders) — one
 * sync for the whole batch instead of two flushes per object. With `durability: 'none'` nothing is
 * flushed, as for single writes. Until `commit` resolved the core names none of these objects
 * in a head, so a crash leaves at worst unflushed orphans, never a head to a lost object.
 */
export class LooseObjectBatch implements ObjectBatch {
  private readonly written: string[] = [];
  private readonly folders = new Set<string>();
  private finished = false;

  constructor(
    /** The loose objects, opened with durability `none` (flushing is this batch's job). */
    private readonly unflushed: LooseObjects,
    /** The store's durability: `fsync` flushes at {@link commit}. */
    private readonly durability: Durability,
  ) {}

  async add(hash: string, type: string, data: Uint8Array): Promise<void> {
    if (this.finished) throw new Error('object batch already finished');
    if (await this.unflushed.store(hash, type, data)) {
      const file = this.unflushed.fileOf(hash);
      this.written.push(file);
      this.folders.add(path.dirname(file));
    }
  }

  /**
   * Add an object as loose-object bytes (verified against `hash` first). Unlike {@link add}, a
   * copy that was already there is flushed at {@link commit} too: a journal being sealed must
   * not rely on a copy an earlier, interrupted seal wrote without a flush.
   */
  async addRaw(hash: string, raw: Uint8Array): Promise<void> {
    if (this.finished) throw new Error('object batch already finished');
    await this.unflushed.storeRaw(hash, raw);
    const file = this.unflushed.fileOf(hash);
    this.written.push(file);
    this.folders.add(path.dirname(file));
  }

  async commit(): Promise<{ objects: number }> {
    if (this.finished) throw new Error('object batch already finished');
    this.finished = true;
    if (this.durability === 'fsync' && this.written.length >= SYNCFS_MIN_FILES && (await syncFileSystem(this.unflushed.root))) {
      return { objects: this.written.length };
    }
    if (this.durability === 'fsync' && this.written.length > 0) {
      await forEachLimited(this.written, SYNC_CONCURRENCY, syncFile);
      await forEachLimited([...this.folders], SYNC_CONCURRENCY, async (folder) => {
        try {
          await syncFolder(folder);
        } catch (err) {
          throw asStorageError(err, folder);
        }
      });
      await syncFolder(this.unflushed.root);
    }
    return { objects: this.written.length };
  }

  async abort(): Promise<void> {
    // The written files stay as unreferenced objects for gc (another writer may already share them).
    this.finished = true;
  }
}

/**
 * Linux's syncfs(2) through coreutils' `sync -f`: one call that writes back every dirty file
 * and folder of the file system holding `folder` — on Linux the same guarantee as fsync on
 * each of them (the man page), and errors are reported (exit status) since Linux 5.8. False
 * when it is not available or fails; the caller then flushes file by file, which reports any
 * write-back error for our own files.
 */
async function syncFileSystem(folder: string): Promise<boolean> {
  if (process.platform !== 'linux') return false;
  try {
    await execFileAsync('sync', ['-f', folder], { timeout: 120_000 });
    return true;
  } catch {
    return false;
  }
}

async function syncFile(file: string): Promise<void> {
  const fd = await openAsync(file, 'r');
  try {
    await fsyncAsync(fd);
  } catch (err) {
    throw asStorageError(err, file);
  } finally {
    await closeAsync(fd);
  }
}

/** Run `work` over `items`, at most `limit` at a time; the first failure rejects (after the running ones settle). */
async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  const results = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, worker));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/**
 * `base` with deflate sized to each object when it is Node's zlib: `deflateSync` sets up a full
 * 32 KiB-window stream (about 256 KiB of state) per call, which costs several times more than
 * compressing a 1–2 KiB object. A window just larger than the object finds the same matches;
 * the stream stays standard zlib (its header names the window), read by git and every inflater.
 */
export function sizedCompression(base: Compression): Compression {
  if (base.name !== 'node-zlib') return base;
  return {
    name: base.name,
    inflate: (data, maxOutput) => base.inflate(data, maxOutput),
    deflate(data, level = 6) {
      // zlib needs MIN_LOOKAHEAD (262) bytes beyond the data in the window to see all of it.
      let windowBits = 9;
      while (windowBits < 15 && 1 << windowBits < data.length + 262) windowBits++;
      return zlib.deflateSync(data, { level, windowBits, memLevel: Math.max(1, Math.min(8, windowBits - 5)) });
    },
  };
}
