import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { CorruptObjectError, isGittyError, type GitObject } from '@gitty/core';
import { PackFile } from './pack-reader.js';

const PACK_NAME = /^pack-[0-9a-f]{40}\.idx$/;
/** How long a vanished pack stays open for reads already under way. */
const RETIRE_GRACE_MS = 10_000;

/** A pack that could not be attached, kept so lookups and fsck can name it. */
export interface BrokenPack {
  path: string;
  error: CorruptObjectError;
}

/**
 * The packs of one store's `objects/pack` folder. Packs are discovered by their idx (as git's
 * readers do): a pack is renamed into place before its idx, so an idx always has its pack.
 * `scan()` attaches new packs and retires vanished ones (another process merged them); retired
 * packs stay open for a grace period, so reads already under way finish.
 */
export class PackSet {
  private packs = new Map<string, PackFile>();
  private retired: { pack: PackFile; since: number }[] = [];
  private running?: Promise<void>;
  private queued?: Promise<void>;
  /** Set by close(): a scan still running then attaches nothing, and later scans do nothing. */
  private closed = false;
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

  /**
   * Attach packs that appeared and retire those that disappeared. Scans never overlap: a call
   * made while one runs joins the single scan queued after it, which sees the folder as it is now.
   */
  scan(): Promise<void> {
    if (this.queued) return this.queued;
    if (!this.running) return this.start();
    this.queued = this.running.catch(() => undefined).then(() => {
      this.queued = undefined;
      return this.start();
    });
    return this.queued;
  }

  private start(): Promise<void> {
    this.running = this.scanNow().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async scanNow(): Promise<void> {
    if (this.closed) return;
    let names: string[];
    try {
      names = (await readdir(this.folder)).filter((n) => PACK_NAME.test(n));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') names = [];
      else throw err;
    }
    const now = Date.now();
    const expired = this.retired.filter((r) => now - r.since > RETIRE_GRACE_MS);
    this.retired = this.retired.filter((r) => now - r.since <= RETIRE_GRACE_MS);
    for (const old of expired) await old.pack.close();
    const present = new Set(names.map((n) => path.join(this.folder, n.replace(/\.idx$/, '.pack'))));
    for (const [packPath, pack] of this.packs) {
      if (!present.has(packPath)) {
        this.packs.delete(packPath);
        this.retired.push({ pack, since: now });
      }
    }
    const broken: BrokenPack[] = [];
    for (const packPath of present) {
      if (this.packs.has(packPath)) continue;
      try {
        const pack = await PackFile.open(packPath, this.maxObjectSize);
        // Closed while this scan ran: close() has already closed what it saw, so nobody else
        // would ever close this one.
        if (this.closed) {
          await pack.close();
          continue;
        }
        this.packs.set(packPath, pack);
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

  /** Read `hash` from a pack that holds it; a corrupt copy is skipped when another pack has a good one. */
  async read(hash: string): Promise<GitObject | undefined> {
    let failure: unknown;
    for (const pack of this.packs.values()) {
      const i = pack.index.find(hash); // one search: the position gives the offset
      if (i < 0) continue;
      try {
        return await pack.readAt(pack.index.offsetAt(i), hash);
      } catch (err) {
        failure ??= err;
      }
    }
    if (failure) throw failure;
    return undefined;
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
    this.closed = true;
    for (const pack of [...this.packs.values(), ...this.retired.splice(0).map((r) => r.pack)]) await pack.close();
    this.packs.clear();
  }
}
