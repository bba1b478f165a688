import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { deflateSync } from 'node:zlib';
import type { RawObject } from './floor.js';

/**
 * The floor of an append-only journal (the "journal pack" design for single writes): per
 * version, frame, hash and deflate its blob and commit, append both with a head line to one
 * open file in a single write, and (with `sync`) one fdatasync — one flush per version instead
 * of a loose store's five (two object files, their folders, the head log). No index, no lock,
 * no read-back: what no design that writes one file per version can go below.
 */
export class JournalFloor {
  private handle: FileHandle | undefined;

  constructor(
    /** The journal file (created). */
    readonly file: string,
    readonly sync = false,
  ) {}

  async open(): Promise<void> {
    this.handle = await open(this.file, 'a');
  }

  /** Append one version (blob, commit, head line); resolves once it is written (and flushed with `sync`). */
  async writeVersion(name: string, blob: RawObject, commit: RawObject): Promise<void> {
    const parts: Buffer[] = [];
    let commitHash = '';
    for (const object of [blob, commit]) {
      const framed = Buffer.concat([Buffer.from(`${object.type} ${object.body.length}\0`), object.body]);
      commitHash = createHash('sha1').update(framed).digest('hex');
      const compressed = deflateSync(framed);
      const header = Buffer.alloc(4);
      header.writeUInt32BE(compressed.length);
      parts.push(header, compressed);
    }
    parts.push(Buffer.from(`${JSON.stringify({ name, new: commitHash })}\n`));
    await this.handle!.write(Buffer.concat(parts));
    if (this.sync) await this.handle!.datasync();
  }

  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
  }
}
