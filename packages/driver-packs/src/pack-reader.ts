import { createHash, hash as oneShotHash } from 'node:crypto';
import { readSync } from 'node:fs';
import { open, readFile, type FileHandle } from 'node:fs/promises';
import zlib from 'node:zlib';
import { CorruptObjectError, hashObject, isGittyError, type GitObject } from '@gitty/core';
import { ByteLru, sharedBaseCache, type BaseCache } from './base-cache.js';
import { applyDelta } from './delta.js';
import { inflateInto, InflateError } from './inflate.js';
import { parseEntryHeader, PackType, typeName, type EntryHeader } from './pack-format.js';
import { PackIndex } from './pack-index.js';

/** Longest delta chain a reader follows before calling the pack corrupt (git's pack.depth maximum is 4095). */
export const MAX_CHAIN = 4096;
/** Identifies each opened pack in the shared base cache. */
let nextPackId = 1;
/** Bytes read at an entry's offset when its header straddles two chunks. */
const FIRST_READ = 4096;

/**
 * The most compressed bytes an entry of `size` bytes may take: zlib's most conservative
 * deflateBound (any level and memLevel, fixed-code blocks) is `size + size/8 + size/64 + 11`;
 * this is well above it. A stream running longer is corrupt, and no read grows past it.
 */
export function maxCompressedSize(size: number): number {
  return size + Math.ceil(size / 4) + 1024;
}

/** Payloads up to this size inflate through {@link inflateInto}; larger ones through zlib, which is faster on long streams. */
const JS_INFLATE_MAX = 64 * 1024;

/** One entry of a delta chain: its header and the bytes first read of its compressed payload. */
interface Link {
  offset: number;
  header: EntryHeader;
  buffer: Buffer;
  /** Where the payload starts in `buffer`, and how many of its bytes were read. */
  start: number;
  length: number;
}

/**
 * Pack bytes are read in aligned chunks of this size and kept (packs never change), so a random
 * read finds its entry and its delta bases in memory: git maps packs into memory for the same
 * reason. A delta's base lies before it and the writer keeps each file's versions together, so a
 * chain mostly stays within one or two chunks.
 */
const CHUNK = 64 * 1024;
/** Bytes of pack chunks kept by default, over all packs of the process. */
export const CHUNK_CACHE_BYTES = 32 * 1024 * 1024;
const sharedChunks = new ByteLru<Buffer>(CHUNK_CACHE_BYTES);
/** An entry header (type, size, base offset or hash) never takes more bytes than this. */
const MAX_HEADER = 64;
/** The (small) delta payload being applied. */
const DELTA_SCRATCH = Buffer.allocUnsafe(JS_INFLATE_MAX);
/** Object header and data, hashed in one call (sha1 of `<type> <size>\0<data>`). */
const hashScratch = Buffer.allocUnsafe(JS_INFLATE_MAX + 32);

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
      resolved = this.resolve(offset);
    } catch (err) {
      // A closed (retired) pack is the caller's miss to handle; anything else that breaks while
      // decoding this entry (an allocation the bytes asked for, say) is this pack's corruption.
      if (isGittyError(err) || (err as NodeJS.ErrnoException).code === 'EBADF') throw err;
      throw new CorruptObjectError(hash, this.path, `entry at offset ${offset} cannot be read: ${(err as Error).message}`, { cause: err });
    }
    const actual = hashOf(resolved.type, resolved.data);
    if (actual !== hash) throw new CorruptObjectError(hash, this.path, `entry at offset ${offset} hashes to ${actual}`);
    return { type: resolved.type, data: resolved.data };
  }

  /** CRC32 of the stored bytes of the entry at `offset` up to `end` (the next entry), for fsck. */
  async crcOf(offset: number, end: number): Promise<number> {
    const bytes = this.bytes(offset, end - offset);
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
    sharedChunks.dropPack(this.id);
    await this.file.close().catch(() => undefined);
  }

  /**
   * Follow the chain from `offset` down to a whole object (or a cached base), then apply the
   * deltas back up. Synchronous from start to end, so the module's scratch buffers (entry bytes
   * and delta payloads) are never shared by two reads at once.
   */
  private resolve(offset: number): GitObject {
    const chain: Link[] = [];
    let base: GitObject | undefined;
    let at = offset;
    for (;;) {
      if (chain.length > MAX_CHAIN) throw new CorruptObjectError(undefined, this.path, `delta chain longer than ${MAX_CHAIN} at offset ${offset}`);
      if (chain.some((link) => link.offset === at)) throw new CorruptObjectError(undefined, this.path, `delta cycle through offset ${at}`);
      const cached = this.bases.get(this.id, at);
      if (cached) {
        // A copy when handed out as is: callers may write into what they get.
        base = chain.length === 0 ? { type: cached.type, data: copyOf(cached.data) } : cached;
        break;
      }
      const link = this.readEntry(at);
      if (link.header.type !== PackType.ofsDelta && link.header.type !== PackType.refDelta) {
        const type = typeName(link.header.type);
        if (type === undefined) throw new CorruptObjectError(undefined, this.path, `entry at offset ${at} has type ${link.header.type}`);
        base = { type, data: this.inflate(link) };
        break;
      }
      chain.push(link);
      if (link.header.baseOffset !== undefined) {
        at = link.header.baseOffset;
      } else {
        const i = this.index.find(link.header.baseHash!);
        if (i < 0) throw new CorruptObjectError(undefined, this.path, `delta base ${link.header.baseHash} is not in the pack`);
        at = this.index.offsetAt(i);
      }
    }
    // Cache the bases we pass through: the next read of a neighbouring version reuses them.
    if (chain.length > 0) this.bases.set(this.id, at, base);
    for (let k = chain.length - 1; k >= 0; k--) {
      const link = chain[k]!;
      // The delta is consumed at once: it is inflated into scratch, never into a buffer of its own.
      // (Only small deltas use it: a large one gets zlib's buffer, so the scratch never pins megabytes.)
      const delta = this.inflate(link, DELTA_SCRATCH);
      base = { type: base.type, data: applyDelta(base.data, delta, this.path, this.maxObjectSize, link.offset) };
      if (k > 0) this.bases.set(this.id, link.offset, base);
    }
    return base;
  }

  /**
   * Read the entry at `offset`: its header and the bytes of its payload that its chunk holds
   * (bounded by the most a stream of its declared size may take), from the chunk cache.
   */
  private readEntry(offset: number): Link {
    const end = this.size - 20;
    if (offset < 12 || offset >= end) {
      throw new CorruptObjectError(undefined, this.path, `entry offset ${offset} is outside the pack`);
    }
    let buffer = this.chunk(Math.floor(offset / CHUNK));
    let at = offset % CHUNK;
    let available = Math.min(buffer.length - at, end - offset);
    if (available < MAX_HEADER && offset + available < end) {
      // The header may run into the next chunk: read this entry's start on its own.
      available = Math.min(FIRST_READ, end - offset);
      buffer = this.readInto(Buffer.allocUnsafe(available), 0, available, offset);
      at = 0;
    }
    const header = parseEntryHeader(buffer, offset, this.path, at, at + Math.min(MAX_HEADER, available));
    if (header.size > this.maxObjectSize) {
      throw new CorruptObjectError(undefined, this.path, `entry at offset ${offset} declares ${header.size} bytes, over the limit`);
    }
    const skip = header.dataOffset - offset;
    const length = Math.min(available - skip, maxCompressedSize(header.size));
    return { offset, header, buffer, start: at + skip, length };
  }

  /** Chunk `index` of the pack (the last one ends with the trailer), cached. */
  private chunk(index: number): Buffer {
    const cached = sharedChunks.get(this.id, index);
    if (cached !== undefined) return cached;
    const start = index * CHUNK;
    const length = Math.min(CHUNK, this.size - start);
    // Its own memory, not a slice of Buffer's pool: the cache accounts for every byte it pins.
    const chunk = this.readInto(Buffer.allocUnsafeSlow(length), 0, length, start);
    sharedChunks.set(this.id, index, chunk, length);
    return chunk;
  }

  /**
   * Inflate the payload of `link` (exactly its declared size) into `scratch` when given (it must
   * hold JS_INFLATE_MAX bytes; the result is then only valid until the next read), else into a
   * buffer of its own. An inflate bomb stops at the bound, and a stream that ends early or late is
   * corrupt. When the stream runs past the bytes first read, reads grow to zlib's usual size for the declared size, then to its worst
   * case (see {@link maxCompressedSize}) — never to the rest of the pack. Small payloads go
   * through {@link inflateInto} (no allocation per call); large ones through zlib.
   */
  private inflate(link: Link, scratch?: Buffer): Buffer {
    const { header, offset } = link;
    const limit = Math.min(this.size - 20 - header.dataOffset, maxCompressedSize(header.size));
    const guess = header.size + (header.size >> 10) + 64;
    const lengths = [link.length, ...[guess, limit].filter((n) => n > link.length && n <= limit)];
    for (const length of lengths) {
      const compressed = length === link.length
        ? link.buffer.subarray(link.start, link.start + length)
        : this.readInto(Buffer.allocUnsafe(length), 0, length, header.dataOffset);
      if (header.size <= JS_INFLATE_MAX) {
        const out = scratch ? scratch.subarray(0, header.size) : Buffer.allocUnsafe(header.size);
        try {
          inflateInto(compressed, 0, out);
          return out;
        } catch (err) {
          if (!(err instanceof InflateError)) throw err;
          if (err.reason === 'truncated' && length < limit) continue; // read more of the stream
          const reason = err.reason === 'too long' ? `inflates beyond its declared ${header.size} bytes`
            : err.reason === 'truncated' ? 'is truncated' : err.reason === 'too short' ? err.message : `cannot inflate (${err.message})`;
          throw new CorruptObjectError(undefined, this.path, `entry at offset ${offset} ${reason}`, { cause: err });
        }
      }
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

  /** Read `length` bytes at pack `offset` into `buffer` at `at`; returns that part of `buffer`. */
  private readInto(buffer: Buffer, at: number, length: number, offset: number): Buffer {
    // A closed FileHandle's fd is -1, which readSync refuses with ERR_OUT_OF_RANGE: report EBADF,
    // so a read of a closed (retired) pack stays its caller's miss, not corruption (see readAt).
    if (this.file.fd < 0) throw Object.assign(new Error(`EBADF: pack ${this.path} is closed`), { code: 'EBADF' });
    let done = 0;
    while (done < length) {
      const bytesRead = readSync(this.file.fd, buffer, at + done, length - done, offset + done);
      if (bytesRead === 0) throw new CorruptObjectError(undefined, this.path, `pack ends before offset ${offset + length}`);
      done += bytesRead;
    }
    return buffer.subarray(at, at + length);
  }

  /**
   * Read bytes at `offset`. Synchronous on purpose: a pread of a few KB from the page cache takes
   * microseconds, far less than a round trip through libuv's thread pool, and reads dominate.
   */
  private bytes(offset: number, length: number): Buffer {
    return this.readInto(Buffer.allocUnsafe(length), 0, length, offset);
  }
}

/** A copy of `data` in a buffer of its own. */
function copyOf(data: Uint8Array): Buffer {
  const copy = Buffer.allocUnsafe(data.length);
  copy.set(data);
  return copy;
}

/**
 * The object's hash (hex), as hashObject computes it: small objects go through one one-shot
 * hash call over header and data copied together, which costs less than a streaming hash.
 */
function hashOf(type: string, data: Uint8Array): string {
  if (data.length > JS_INFLATE_MAX) return hashObject(type, data);
  const headerLength = hashScratch.write(`${type} ${data.length}\0`, 0, 'latin1');
  hashScratch.set(data, headerLength);
  return oneShotHash('sha1', hashScratch.subarray(0, headerLength + data.length), 'hex');
}
