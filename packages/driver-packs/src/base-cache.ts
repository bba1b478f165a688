import type { GitObject } from '@gitty/core';

/** Bytes of delta bases kept by default, over all packs of the process. */
export const BASE_CACHE_BYTES = 64 * 1024 * 1024;

interface Node<V> {
  pack: number;
  key: number;
  value: V;
  size: number;
  newer: Node<V> | undefined;
  older: Node<V> | undefined;
}

/**
 * A least-recently-used map keyed by (pack id, number), bounded by the bytes its values hold.
 * Per-pack maps of numeric keys and an intrusive recency list: a hit moves one node and builds
 * no key string (reads look entries up once or more per object, so this is on the hot path).
 */
export class ByteLru<V> {
  private readonly packs = new Map<number, Map<number, Node<V>>>();
  private newest: Node<V> | undefined;
  private oldest: Node<V> | undefined;
  private held = 0;

  constructor(readonly maxBytes: number) {}

  /** Bytes held now. */
  get bytes(): number {
    return this.held;
  }

  get(pack: number, key: number): V | undefined {
    const node = this.packs.get(pack)?.get(key);
    if (node === undefined) return undefined;
    if (node !== this.newest) {
      this.unlink(node);
      this.pushNewest(node);
    }
    return node.value;
  }

  /** Keep `value` (of `size` bytes), evicting the least recently used entries over the budget. */
  set(pack: number, key: number, value: V, size: number): void {
    let entries = this.packs.get(pack);
    if (entries === undefined) this.packs.set(pack, (entries = new Map()));
    const old = entries.get(key);
    if (old !== undefined) this.remove(entries, old);
    const node: Node<V> = { pack, key, value, size, newer: undefined, older: undefined };
    entries.set(key, node);
    this.pushNewest(node);
    this.held += size;
    while (this.held > this.maxBytes && this.oldest !== undefined) {
      const victim = this.oldest;
      this.remove(this.packs.get(victim.pack)!, victim);
    }
  }

  /** Forget every entry of `pack`. */
  dropPack(pack: number): void {
    const entries = this.packs.get(pack);
    if (entries === undefined) return;
    for (const node of [...entries.values()]) this.remove(entries, node);
    this.packs.delete(pack);
  }

  private remove(entries: Map<number, Node<V>>, node: Node<V>): void {
    entries.delete(node.key);
    if (entries.size === 0) this.packs.delete(node.pack);
    this.unlink(node);
    this.held -= node.size;
  }

  private unlink(node: Node<V>): void {
    if (node.newer) node.newer.older = node.older;
    else this.newest = node.older;
    if (node.older) node.older.newer = node.newer;
    else this.oldest = node.newer;
    node.newer = node.older = undefined;
  }

  private pushNewest(node: Node<V>): void {
    node.older = this.newest;
    node.newer = undefined;
    if (this.newest) this.newest.newer = node;
    else this.oldest = node;
    this.newest = node;
  }
}

/**
 * Delta bases recently resolved, least recently used first out, bounded by the bytes they hold
 * (not by their number: one base may be as large as maxObjectSize). Keyed by pack and entry
 * offset; a base larger than a quarter of the budget is not kept, so one huge object never
 * flushes every other pack's bases.
 */
export class BaseCache {
  private readonly lru: ByteLru<GitObject>;

  constructor(readonly maxBytes = BASE_CACHE_BYTES) {
    this.lru = new ByteLru(maxBytes);
  }

  /** Bytes held now. */
  get bytes(): number {
    return this.lru.bytes;
  }

  get(pack: number, offset: number): GitObject | undefined {
    return this.lru.get(pack, offset);
  }

  set(pack: number, offset: number, value: GitObject): void {
    if (value.data.length > this.maxBytes / 4) return;
    this.lru.set(pack, offset, value, value.data.length);
  }

  /** Forget every base of `pack` (it was closed). */
  dropPack(pack: number): void {
    this.lru.dropPack(pack);
  }
}

/** The cache every pack of this process shares unless given its own. */
export const sharedBaseCache = new BaseCache();
