import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync, readdirSync } from 'node:fs';
import path from 'node:path';
import {
  CorruptObjectError, TermReader, PrologSyntaxError, decodeObject, isHash, type FsckIssue, type GitObject, type Term,
} from '@gitty/core';
import { isMissing } from '../fs-sync.js';
import { gzipCompression } from './gzip.js';

/** One object listed in a SWISH pack's header. */
export interface SwishPackEntry {
  hash: string;
  type: string;
  /** Uncompressed data size (the object header's size). */
  size: number;
  /** Where its gzip member starts in the pack file. */
  offset: number;
  /** Its gzip member's length in bytes. */
  fileSize: number;
}

const END_OF_HEADER = 'end_of_header.\n';
const MAX_HEADER_BYTES = 256 * 1024 * 1024;

function integerArg(term: Term): number | undefined {
  if (term.kind !== 'integer') return undefined;
  const n = Number(term.value);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/**
 * Read a SWISH pack's header (SWISH's `gitty_driver_files.pl`): `gitty(1).`, then one
 * `obj(Hash,Type,Size,FileSize).` per object, then `end_of_header.`; the objects' gzip members
 * follow in header order. Throws CORRUPT_OBJECT naming the file when the header does not parse.
 */
export function readSwishPackHeader(file: string): { version: number; dataOffset: number; entries: SwishPackEntry[]; fileBytes: number } {
  const fd = openSync(file, 'r');
  try {
    const fileBytes = fstatSync(fd).size;
    let length = Math.min(fileBytes, 64 * 1024);
    let text: string;
    let end: number;
    for (;;) {
      const buffer = Buffer.alloc(length);
      const read = readSync(fd, buffer, 0, length, 0);
      // latin1 keeps one character per byte, so the index is the byte offset; the header is ASCII.
      text = buffer.subarray(0, read).toString('latin1');
      end = text.indexOf(END_OF_HEADER);
      if (end >= 0 || length >= fileBytes || length >= MAX_HEADER_BYTES) break;
      length = Math.min(fileBytes, length * 4);
    }
    if (end < 0) throw new CorruptObjectError(undefined, file, 'SWISH pack header has no end_of_header');
    const reader = new TermReader(text.slice(0, end + END_OF_HEADER.length));
    const entries: SwishPackEntry[] = [];
    let version: number | undefined;
    const dataOffset = end + END_OF_HEADER.length;
    let offset = dataOffset;
    try {
      for (;;) {
        const term = reader.readClause();
        if (term.kind === 'atom' && term.name === 'end_of_header') break;
        if (term.kind === 'compound' && term.name === 'gitty' && term.args.length === 1 && version === undefined) {
          version = integerArg(term.args[0]!);
          continue;
        }
        if (term.kind !== 'compound' || term.name !== 'obj' || term.args.length !== 4 || version === undefined) {
          throw new CorruptObjectError(undefined, file, `unexpected term in the SWISH pack header at offset ${reader.offset}`);
        }
        const [h, t, s, f] = term.args as [Term, Term, Term, Term];
        const size = integerArg(s);
        const fileSize = integerArg(f);
        if (h.kind !== 'atom' || !isHash(h.name) || t.kind !== 'atom' || size === undefined || fileSize === undefined) {
          throw new CorruptObjectError(undefined, file, `malformed obj/4 entry in the SWISH pack header at offset ${reader.offset}`);
        }
        entries.push({ hash: h.name, type: t.name, size, offset, fileSize });
        offset += fileSize;
      }
    } catch (err) {
      if (err instanceof PrologSyntaxError) throw new CorruptObjectError(undefined, file, `SWISH pack header does not parse (${err.message})`, { cause: err });
      throw err;
    }
    if (version !== 1) throw new CorruptObjectError(undefined, file, `SWISH pack version ${String(version)} is not 1`);
    // A truncated pack stays attached: objects before the cut read fine, the others fail with
    // CORRUPT_OBJECT naming the pack (readRaw), and fsck reports the pack.
    return { version, dataOffset, entries, fileBytes };
  } finally {
    closeSync(fd);
  }
}

/** One attached SWISH pack: its header in memory, objects read with one pread each. */
export class SwishPack {
  readonly entries = new Map<string, SwishPackEntry>();

  constructor(
    readonly file: string,
    entries: readonly SwishPackEntry[],
    private readonly maxObjectSize: number,
  ) {
    for (const entry of entries) this.entries.set(entry.hash, entry);
  }

  /** Open a pack file (reads the header only). */
  static attach(file: string, maxObjectSize: number): SwishPack {
    return new SwishPack(file, readSwishPackHeader(file).entries, maxObjectSize);
  }

  /** The gzip member of `hash` as stored, or undefined when this pack lacks it. */
  readRaw(hash: string): Uint8Array | undefined {
    const entry = this.entries.get(hash);
    if (!entry) return undefined;
    const fd = openSync(this.file, 'r');
    try {
      const buffer = Buffer.alloc(entry.fileSize);
      const read = readSync(fd, buffer, 0, entry.fileSize, entry.offset);
      if (read !== entry.fileSize) throw new CorruptObjectError(hash, this.file, 'the SWISH pack ends inside this object');
      return new Uint8Array(buffer.buffer, buffer.byteOffset, read);
    } finally {
      closeSync(fd);
    }
  }

  /** The object, inflated within bounds and verified against its hash and header entry. */
  load(hash: string): GitObject | undefined {
    const raw = this.readRaw(hash);
    if (!raw) return undefined;
    const object = decodeObject(raw, hash, this.file, gzipCompression, this.maxObjectSize);
    const entry = this.entries.get(hash)!;
    if (object.type !== entry.type || object.data.length !== entry.size) {
      throw new CorruptObjectError(hash, this.file, `header lists ${entry.type} ${entry.size}, the object is ${object.type} ${object.data.length}`);
    }
    return object;
  }

  /**
   * SWISH's `fsck_pack`: the file's sha1 equals the name, and every object inflates, matches its
   * header entry and hashes to its name. Problems are returned, never thrown.
   */
  fsck(): FsckIssue[] {
    const issues: FsckIssue[] = [];
    const name = path.basename(this.file);
    const expected = /^pack-([0-9a-f]{40})\.pack$/.exec(name)?.[1];
    const sha = createHash('sha1');
    const fd = openSync(this.file, 'r');
    try {
      const buffer = Buffer.alloc(1 << 20);
      for (let position = 0; ; ) {
        const read = readSync(fd, buffer, 0, buffer.length, position);
        if (read === 0) break;
        sha.update(buffer.subarray(0, read));
        position += read;
      }
    } finally {
      closeSync(fd);
    }
    const actual = sha.digest('hex');
    if (expected !== actual) issues.push({ code: 'CORRUPT_PACK', message: `${this.file}: the file's sha1 is ${actual}, its name says ${expected ?? '(no hash)'}` });
    for (const hash of this.entries.keys()) {
      try {
        this.load(hash);
      } catch (err) {
        issues.push({ code: 'CORRUPT_OBJECT', hash, message: err instanceof Error ? err.message : String(err) });
      }
    }
    return issues;
  }
}

/**
 * The SWISH packs of a store (`<store>/pack/*.pack`), attached like SWISH's
 * `gitty_attach_packs`. {@link scan} picks up packs other processes wrote and drops vanished
 * ones; a pack whose header does not read is left out and reported by {@link problems}, so the
 * rest of the store stays usable.
 */
export class SwishPackSet {
  private packs = new Map<string, SwishPack>();
  private failed = new Map<string, string>();

  constructor(
    readonly folder: string,
    private readonly maxObjectSize: number,
  ) {}

  /** Attach new packs, drop vanished ones. */
  scan(): void {
    let names: string[];
    try {
      names = readdirSync(this.folder).filter((n) => n.endsWith('.pack'));
    } catch (err) {
      if (!isMissing(err)) throw err;
      names = [];
    }
    const next = new Map<string, SwishPack>();
    const failed = new Map<string, string>();
    for (const name of names) {
      const file = path.join(this.folder, name);
      const known = this.packs.get(file);
      if (known) {
        next.set(file, known);
        continue;
      }
      try {
        next.set(file, SwishPack.attach(file, this.maxObjectSize));
      } catch (err) {
        if (isMissing(err)) continue; // removed by a repack meanwhile
        failed.set(file, err instanceof Error ? err.message : String(err));
      }
    }
    this.packs = next;
    this.failed = failed;
  }

  /** Attached packs. */
  get all(): SwishPack[] {
    return [...this.packs.values()];
  }

  /** The pack holding `hash`, if any. */
  find(hash: string): SwishPack | undefined {
    for (const pack of this.packs.values()) if (pack.entries.has(hash)) return pack;
    return undefined;
  }

  /** Every packed hash (each once). */
  hashes(): Set<string> {
    const all = new Set<string>();
    for (const pack of this.packs.values()) for (const hash of pack.entries.keys()) all.add(hash);
    return all;
  }

  /** Pack files that could not be attached, with why. */
  problems(): FsckIssue[] {
    return [...this.failed].map(([file, reason]) => ({ code: 'CORRUPT_PACK', message: `${file}: ${reason}` }));
  }
}
