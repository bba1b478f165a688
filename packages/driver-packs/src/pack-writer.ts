import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import zlib from 'node:zlib';
import { CorruptObjectError } from '@gitty/core';
import { entryHeader, ofsDeltaDistance, packHeader, PackType } from './pack-format.js';
import { asStorageError, writeFully } from './pack-io.js';
import { deflateSized } from './small-deflate.js';

/** Where an object went in a pack: what the idx records for it. */
export interface PackedEntry {
  /** The object's hash (hex). */
  hash: string;
  /** Offset of its entry in the pack. */
  offset: number;
  /** CRC32 of the entry's bytes as stored (header and compressed payload). */
  crc: number;
}

const FLUSH_AT = 1 << 20;

/**
 * Writes a git pack v2 to a file, one entry at a time: whole objects and OFS_DELTA entries whose
 * base was written earlier. The entry count is patched into the header at the end and the sha1
 * trailer is computed over the finished file, so entries stream without being held in memory.
 * Every write is complete or throws (STORAGE_FULL when the disk, a quota or the file size limit
 * has no room): a short write never leaves a hole in the pack.
 */
export class PackWriter {
  readonly entries: PackedEntry[] = [];
  private offset = 12;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;

  private constructor(
    private readonly file: FileHandle,
    readonly path: string,
    private readonly level: number,
  ) {}

  /** Create (exclusively) the file at `path` and write a provisional header. */
  static async create(path: string, level = 6): Promise<PackWriter> {
    const file = await open(path, 'wx+', 0o444);
    const writer = new PackWriter(file, path, level);
    try {
      await writeFully(file, packHeader(0), 0, path);
    } catch (err) {
      await file.close();
      throw err;
    }
    return writer;
  }

  /** Bytes written so far (the next entry's offset). */
  get size(): number {
    return this.offset;
  }

  /** Append a whole object; returns its entry offset. */
  async addWhole(hash: string, type: number, data: Uint8Array): Promise<number> {
    return this.add(hash, entryHeader(type, data.length), data);
  }

  /** Append a delta against the entry at `baseOffset`; returns its entry offset. */
  async addOfsDelta(hash: string, baseOffset: number, delta: Uint8Array): Promise<number> {
    const header = [...entryHeader(PackType.ofsDelta, delta.length), ...ofsDeltaDistance(this.offset - baseOffset)];
    return this.add(hash, header, delta);
  }

  /**
   * Append an object as a delta on the entry at `base.offset` when the compressed delta is
   * smaller than the compressed object, else whole. Returns the offset and whether it is a delta.
   */
  async addSmaller(hash: string, type: number, data: Uint8Array, base?: { offset: number; delta: Uint8Array }): Promise<{ offset: number; delta: boolean }> {
    const whole = deflateSized(data, this.level);
    if (base) {
      const delta = deflateSized(base.delta, this.level);
      const header = [...entryHeader(PackType.ofsDelta, base.delta.length), ...ofsDeltaDistance(this.offset - base.offset)];
      if (delta.length + header.length < whole.length + entryHeader(type, data.length).length) {
        return { offset: await this.append(hash, header, delta), delta: true };
      }
    }
    return { offset: await this.append(hash, entryHeader(type, data.length), whole), delta: false };
  }

  /** Finish: patch the count, append the sha1 trailer, fsync and close. Returns the pack checksum (hex). */
  async finish(): Promise<string> {
    await this.flush();
    await writeFully(this.file, packHeader(this.entries.length), 0, this.path);
    const sha = createHash('sha1');
    const chunk = Buffer.alloc(FLUSH_AT);
    for (let at = 0; at < this.offset; ) {
      const { bytesRead } = await this.file.read(chunk, 0, Math.min(chunk.length, this.offset - at), at);
      if (bytesRead === 0) throw new CorruptObjectError(undefined, this.path, `ends at ${at} bytes, ${this.offset} were written`);
      sha.update(chunk.subarray(0, bytesRead));
      at += bytesRead;
    }
    const trailer = sha.digest();
    await writeFully(this.file, trailer, this.offset, this.path);
    try {
      await this.file.sync();
    } catch (err) {
      throw asStorageError(err, this.path);
    }
    await this.file.close();
    return trailer.toString('hex');
  }

  /** Close and leave the file for the caller to remove (after a failure). */
  async abandon(): Promise<void> {
    await this.file.close().catch(() => undefined);
  }

  private async add(hash: string, header: number[], payload: Uint8Array): Promise<number> {
    return this.append(hash, header, deflateSized(payload, this.level));
  }

  private async append(hash: string, header: number[], body: Uint8Array): Promise<number> {
    const head = Buffer.from(header);
    const offset = this.offset;
    this.entries.push({ hash, offset, crc: zlib.crc32(body, zlib.crc32(head)) });
    this.pending.push(head, body);
    this.pendingBytes += head.length + body.length;
    this.offset += head.length + body.length;
    if (this.pendingBytes >= FLUSH_AT) await this.flush();
    return offset;
  }

  private async flush(): Promise<void> {
    if (this.pendingBytes === 0) return;
    const data = Buffer.concat(this.pending, this.pendingBytes);
    const at = this.offset - this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
    await writeFully(this.file, data, at, this.path);
  }
}
