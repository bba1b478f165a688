import type { GitObject } from '@gitty/core';

/** Bytes of delta bases kept by default, over all packs of the process. */
export const BASE_CACHE_BYTES = 64 * 1024 * 1024;

/**
 * Delta bases recently resolved, least recently used first out, bounded by the bytes they hold
 * (not by their number: one base may be as large as maxObjectSize). Keyed by pack and entry
 * offset; a base larger than a quarter of the budget is not kept, so one huge object never
 * flushes every other pack's bases.
 */
export class BaseCache {
  private readonly map = new Map<string, GitObject>();
  private held = 0;

  constructor(readonly maxBytes = BASE_CACHE_BYTES) {}

  /** Bytes held now. */
  get bytes(): number {
    return this.held;
  }

  get(pack: number, offset: number): GitObject | undefined {
    const key = `${pack}:${offset}`;
    const value = this.map.get(key);
    if (value !== undefined) {
      this.map.delete(key);
      this.map.set(key, value);
    }
    return value;
  }

  set(pack: number, offset: number, value: GitObject): void {
    if (value.data.length > this.maxBytes / 4) return;
    const key = `${pack}:${offset}`;
    this.remove(key);
    this.map.set(key, value);
    this.held += value.data.length;
    for (const [oldest, old] of this.map) {
      if (this.held <= this.maxBytes) break;
      this.map.delete(oldest);
      this.held -= old.data.length;
    }
  }

  /** Forget every base of `pack` (it was closed). */
  dropPack(pack: number): void {
    const prefix = `${pack}:`;
    for (const key of [...this.map.keys()]) if (key.startsWith(prefix)) this.remove(key);
  }

  private remove(key: string): void {
    const old = this.map.get(key);
    if (old === undefined) return;
    this.map.delete(key);
    this.held -= old.data.length;
  }
}

/** The cache every pack of this process shares unless given its own. */
export const sharedBaseCache = new BaseCache();
