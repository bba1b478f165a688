import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { CorruptObjectError, isGittyError, type GitObject } from '@gitty/core';
import { PackFile } from './pack-reader.js';

const PACK_NAME = /^pack-[0-9a-f]{40}\.idx$/;

/** A pack that could not be attached, kept so lookups and fsck can name it. */
export interface BrokenPack {
  path: string;
  error: CorruptObjectError;
}

/**
 * The packs of one store's `objects/pack` folder. Packs are discovered by their idx (as git's
 * readers do): a pack is renamed into place before its idx, so an idx always has its pack.
 * `scan()` attaches new packs and retires vanished ones (another process merged them); retired
 * packs stay open until the next scan, so reads already under way finish.
 */
export class PackSet {
  private packs = new Map<string, PackFile>();
  private retired: PackFile[] = [];
  /** Packs whose idx or header is unreadable. */
  broken: BrokenPack[] = [];

  constructor(
    readonly folder: string,
    private readonly maxObjectSize: number,
  ) {}

  /** The attached packs, newest scan order. */
  get all(): PackFile[] {
    return [...this.packs.values()];
  }

  /** Attach packs that appeared and retire those that disappeared. */
  async scan(): Promise<void> {
    let names: string[];
    try {
      names = (await readdir(this.folder)).filter((n) => PACK_NAME.test(n));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') names = [];
      else throw err;
    }
    for (const old of this.retired.splice(0)) await old.close();
    const present = new Set(names.map((n) => path.join(this.folder, n.replace(/\.idx$/, '.pack'))));
    for (const [packPath, pack] of this.packs) {
      if (!present.has(packPath)) {
        this.packs.delete(packPath);
        this.retired.push(pack);
      }
    }
    const broken: BrokenPack[] = [];
    for (const packPath of present) {
      if (this.packs.has(packPath)) continue;
      try {
        this.packs.set(packPath, await PackFile.open(packPath, this.maxObjectSize));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') continue; // removed between readdir and open
        const error = isGittyError(err, 'CORRUPT_OBJECT')
          ? (err as CorruptObjectError)
          : new CorruptObjectError(undefined, packPath, `cannot open pack: ${(err as Error).message}`, { cause: err });
        broken.push({ path: packPath, error });
      }
    }
    this.broken = broken;
  }

  /** The pack holding `hash`, if any attached pack does. */
  find(hash: string): PackFile | undefined {
    for (const pack of this.packs.values()) if (pack.has(hash)) return pack;
    return undefined;
  }

  /** Read `hash` from whichever pack holds it. */
  async read(hash: string): Promise<GitObject | undefined> {
    return this.find(hash)?.read(hash);
  }

  /** Every packed hash, each once. */
  *hashes(): Iterable<string> {
    const seen = new Set<string>();
    for (const pack of this.packs.values()) {
      for (const hash of pack.index.hashes()) {
        if (!seen.has(hash)) {
          seen.add(hash);
          yield hash;
        }
      }
    }
  }

  /** Close every pack. */
  async close(): Promise<void> {
    for (const pack of [...this.packs.values(), ...this.retired.splice(0)]) await pack.close();
    this.packs.clear();
  }
}
