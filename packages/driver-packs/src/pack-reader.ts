import { createHash } from 'node:crypto';
import { readSync } from 'node:fs';
import { open, readFile, type FileHandle } from 'node:fs/promises';
import zlib from 'node:zlib';
import { CorruptObjectError, hashObject, isGittyError, type GitObject } from '@gitty/core';
import { sharedBaseCache, type BaseCache } from './base-cache.js';
import { applyDelta, deltaSizes } from './delta.js';
import { parseEntryHeader, PackType, typeName, type EntryHeader } from './pack-format.js';
import { PackIndex } from './pack-index.js';

/** Longest delta chain a reader follows before calling the pack corrupt (git's pack.depth maximum is 4095). */
export const MAX_CHAIN = 4096;
/** Identifies each opened pack in the shared base cache. */
let nextPackId = 1;
/** Bytes read at an entry's offset at first: its header and, for most objects, all its payload. */
const FIRST_READ = 4096;

/**
 * The most compressed bytes an entry of `size` bytes may take: zlib's most conservative
 * deflateBound (any level and memLevel, fixed-code blocks) is `size + size/8 + size/64 + 11`;
 * this is well above it. A stream running longer is corrupt, and no read grows past it.
 */
export function maxCompressedSize(size: number): number {
  return size + Math.ceil(size / 4) + 1024;
}

/** One entry read from a pack: its type name and bytes, with its header. */
interface Resolved extends GitObject {
  header: EntryHeader;
}

/**
 * A pack attached through its idx: lookups binary-search the idx, reads pread the pack file,
 * inflate each payload bounded by its declared size, resolve OFS_DELTA and REF_DELTA chains with
 * a small cache of bases, detect cycles and over-long chains, and verify every object's hash.
 * Every failure is CORRUPT_OBJECT naming the pack.
 */
export class PackFile {
  private readonly id = nextPackId++;

  private constructor(
    readonly path: string,
    readonly index: PackIndex,
    private readonly file: FileHandle,
    /** Size of the pack file. */
    readonly size: number,
    private readonly maxObjectSize: number,
    private readonly bases: BaseCache,
  ) {}

  /**
   * Open `pack-X.pack` through `pack-X.idx`; the idx must describe this pack (matching checksum).
   * Delta bases go to `bases` (by default one cache shared by every pack of the process).
   */
  static async open(packPath: string, maxObjectSize: number, bases: BaseCache = sharedBaseCache): Promise<PackFile> {
    const idxPath = packPath.replace(/\.pack$/, '.idx');
    const index = new PackIndex(await readFile(idxPath), idxPath);
    const file = await open(packPath, 'r');
    try {
      const { size } = await file.stat();
      if (size < 32) throw new CorruptObjectError(undefined, packPath, 'pack file is truncated');
      const head = Buffer.alloc(12);
      await file.read(head, 0, 12, 0);
      if (head.toString('latin1', 0, 4) !== 'PACK' || head.readUInt32BE(4) !== 2) {
        throw new CorruptObjectError(undefined, packPath, 'not a version 2 pack');
      }
      if (head.readUInt32BE(8) !== index.count) {
        throw new CorruptObjectError(undefined, packPath, `pack holds ${head.readUInt32BE(8)} entries, its idx ${index.count}`);
      }
      const trailer = Buffer.alloc(20);
      await file.read(trailer, 0, 20, size - 20);
      if (trailer.toString('hex') !== index.packChecksum) {
        throw new CorruptObjectError(undefined, packPath, 'pack trailer does not match its idx');
      }
      return new PackFile(packPath, index, file, size, maxObjectSize, bases);
    } catch (err) {
      await file.close();
      throw err;
    }
  }

  /** True when the pack holds `hash`. */
  has(hash: string): boolean {
    return this.index.find(hash) >= 0;
  }

  /** The verified object, or undefined when this pack lacks it. */
  async read(hash: string): Promise<GitObject | undefined> {
    const i = this.index.find(hash);
    if (i < 0) return undefined;
    return this.readAt(this.index.offsetAt(i), hash);
  }

  /** The object at entry `offset`, resolved through its delta chain and checked to hash to `hash`. */
  async readAt(offset: number, hash: string): Promise<GitObject> {
    let resolved: GitObject;
    try {
      resolved = await this.resolve(offset);
    } catch (err) {
      // A closed (retired) pack is the caller's miss to handle; anything else that breaks while
      // decoding this entry (an allocation the bytes asked for, say) is this pack's corruption.
      if (isGittyError(err) || (err as NodeJS.ErrnoException).code === 'EBADF') throw err;
      throw new CorruptObjectError(hash, this.path, `entry at offset ${offset} cannot be read: ${(err as Error).message}`, { cause: err });
    }
    const actual = hashObject(resolved.type, resolved.data);
    if (actual !== hash) throw new CorruptObjectError(hash, this.path, `entry at offset ${offset} hashes to ${actual}`);
    return { type: resolved.type, data: resolved.data };
  }

  /** CRC32 of the stored bytes of the entry at `offset` up to `end` (the next entry), for fsck. */
  async crcOf(offset: number, end: number): Promise<number> {
    const bytes = await this.bytes(offset, end - offset);
    return zlib.crc32(bytes);
  }

  /** sha1 over the pack's bytes before the trailer equals the trailer. */
  async checksumMatches(): Promise<boolean> {
    const sha = createHash('sha1');
    const chunk = Buffer.alloc(1 << 20);
    const end = this.size - 20;
    for (let at = 0; at < end; ) {
      const { bytesRead } = await this.file.read(chunk, 0, Math.min(chunk.length, end - at), at);
      if (bytesRead === 0) return false;
      sha.update(chunk.subarray(0, bytesRead));
      at += bytesRead;
    }
    return sha.digest('hex') === this.index.packChecksum;
  }

  /** Release the file handle. */
  async close(): Promise<void> {
    this.bases.dropPack(this.id);
    await this.file.close().catch(() => undefined);
  }

  /** Follow the chain from `offset` down to a whole object, then apply deltas back up. */
  private async resolve(offset: number): Promise<GitObject> {
    const chain: { offset: number; header: EntryHeader; delta: Uint8Array }[] = [];
    const seen = new Set<number>();
    let base: GitObject | undefined;
    let at = offset;
    for (;;) {
      if (seen.has(at)) throw new CorruptObjectError(undefined, this.path, `delta cycle through offset ${at}`);
      if (chain.length > MAX_CHAIN) throw new CorruptObjectError(undefined, this.path, `delta chain longer than ${MAX_CHAIN} at offset ${offset}`);
      seen.add(at);
      const cached = this.bases.get(this.id, at);
      if (cached) {
        // A copy when handed out as is: callers may write into what they get.
        base = chain.length === 0 ? { type: cached.type, data: Uint8Array.from(cached.data) } : cached;
        break;
      }
      const entry = await this.entry(at);
      if (entry.header.type !== PackType.ofsDelta && entry.header.type !== PackType.refDelta) {
        base = { type: entry.type, data: entry.data };
        break;
      }
      chain.push({ offset: at, header: entry.header, delta: entry.data });
      if (entry.header.baseOffset !== undefined) {
        at = entry.header.baseOffset;
      } else {
        const i = this.index.find(entry.header.baseHash!);
        if (i < 0) throw new CorruptObjectError(undefined, this.path, `delta base ${entry.header.baseHash} is not in the pack`);
        at = this.index.offsetAt(i);
      }
    }
    // Cache the bases we pass through: the next read of a neighbouring version reuses them.
    if (chain.length > 0) this.bases.set(this.id, at, base);
    for (let k = chain.length - 1; k >= 0; k--) {
      const link = chain[k]!;
      const where = `${this.path} (delta at offset ${link.offset})`;
      base = { type: base.type, data: applyDelta(base.data, link.delta, where, this.maxObjectSize) };
      if (k > 0) this.bases.set(this.id, link.offset, base);
    }
    return base;
  }

  /** Read and inflate one entry; delta entries come back as their delta bytes. */
  private async entry(offset: number): Promise<Resolved> {
    if (offset < 12 || offset >= this.size - 20) {
      throw new CorruptObjectError(undefined, this.path, `entry offset ${offset} is outside the pack`);
    }
    // One read usually covers the header and the whole payload of a small object.
    const first = await this.bytes(offset, Math.min(FIRST_READ, this.size - 20 - offset));
    const header = parseEntryHeader(first.subarray(0, 64), offset, this.path);
    if (header.size > this.maxObjectSize) {
      throw new CorruptObjectError(undefined, this.path, `entry at offset ${offset} declares ${header.size} bytes, over the limit`);
    }
    const data = await this.inflate(header, offset, first.subarray(header.dataOffset - offset));
    if (header.type === PackType.ofsDelta || header.type === PackType.refDelta) {
      const { resultSize } = deltaSizes(data, this.path);
      if (resultSize > this.maxObjectSize) throw new CorruptObjectError(undefined, this.path, `delta at offset ${offset} declares ${resultSize} bytes, over the limit`);
      return { type: 'delta', data, header };
    }
    return { type: typeName(header.type)!, data, header };
  }

  /**
   * Inflate the payload of an entry, bounded by its declared size: an inflate bomb stops at the
   * bound, and a stream that ends early or late is corrupt. `start` holds the bytes already read;
   * when the stream runs past them, reads grow to zlib's usual size for the declared size, then
   * to its worst case (see {@link maxCompressedSize}) — never to the rest of the pack.
   */
  private async inflate(header: EntryHeader, offset: number, start: Buffer): Promise<Uint8Array> {
    const limit = Math.min(this.size - 20 - header.dataOffset, maxCompressedSize(header.size));
    const guess = header.size + (header.size >> 10) + 64;
    const lengths = [start.length, ...[guess, limit].filter((n) => n > start.length && n <= limit)];
    for (const length of lengths) {
      const compressed = length === start.length ? start : await this.bytes(header.dataOffset, length);
      let data: Buffer;
      try {
        data = zlib.inflateSync(compressed, { maxOutputLength: Math.max(1, header.size) });
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === 'Z_BUF_ERROR' && length < limit) continue; // read more of the stream
        const reason = code === 'ERR_BUFFER_TOO_LARGE' ? `inflates beyond its declared ${header.size} bytes` : `cannot inflate (${code ?? String(err)})`;
        throw new CorruptObjectError(undefined, this.path, `entry at offset ${offset} ${reason}`, { cause: err });
      }
      if (data.length !== header.size) {
        throw new CorruptObjectError(undefined, this.path, `entry at offset ${offset} inflates to ${data.length} bytes, declared ${header.size}`);
      }
      return data;
    }
    throw new CorruptObjectError(undefined, this.path, `entry at offset ${offset} is truncated`);
  }

  /**
   * Read bytes at `offset`. Synchronous on purpose: a pread of a few KB from the page cache takes
   * microseconds, far less than a round trip through libuv's thread pool, and reads dominate.
   */
  private async bytes(offset: number, length: number): Promise<Buffer> {
    const buffer = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const bytesRead = readSync(this.file.fd, buffer, done, length - done, offset + done);
      if (bytesRead === 0) throw new CorruptObjectError(undefined, this.path, `pack ends before offset ${offset + length}`);
      done += bytesRead;
    }
    return buffer;
  }
}
