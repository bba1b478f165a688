import { NotAtHeadError, type Driver, type HeadChange } from '@gitty/core';
import { compareStamps } from './keys.js';
import type { ReplicaState } from './replica-state.js';

/**
 * This node's view of the shared heads: in memory (so reads never wait for Redis), written
 * through to the inner store in order (so the local store stays a complete, usable store and
 * can re-seed Redis), and reported to `watch` listeners for changes made by other nodes.
 */
export class HeadView {
  readonly heads = new Map<string, string>();
  private readonly listeners = new Set<(change: HeadChange) => void>();
  private innerWrites: Promise<void> = Promise.resolve();

  constructor(
    private readonly inner: Driver,
    private readonly state: ReplicaState,
  ) {}

  /** Start from the inner store's heads (the truth as of this node's last run). */
  async load(): Promise<void> {
    for await (const { name, head } of this.inner.heads()) this.heads.set(name, head);
  }

  /**
   * Apply a change whose stamp orders it among the changes of `name`: ignored when this node
   * already applied it or a newer one (own writes, replayed entries). `notify`: made elsewhere.
   */
  apply(name: string, next: string | null, stamp: string, notify: boolean): boolean {
    const known = this.state.stamps.get(name);
    if (known && compareStamps(stamp, known[1]) <= 0) return false;
    this.state.stamps.set(name, [next, stamp]);
    this.state.scheduleSave();
    this.set(name, next, notify);
    return true;
  }

  /** Set a head whatever its stamp (reconciling with Redis, which is authoritative in its generation). */
  set(name: string, next: string | null, notify: boolean): void {
    const old = this.heads.get(name) ?? null;
    if (old === next) return;
    if (next === null) this.heads.delete(name);
    else this.heads.set(name, next);
    this.writeThrough(name);
    if (notify) for (const listener of [...this.listeners]) listener({ name, old, new: next });
  }

  /** Resolves when every head change so far is in the inner store. */
  flush(): Promise<void> {
    return this.innerWrites;
  }

  /** Report changes made by other nodes; returns the unsubscribe function. */
  watch(listener: (change: HeadChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  clearListeners(): void {
    this.listeners.clear();
  }

  // In order, and to whatever the view says when the write runs, so bursts collapse and the
  // inner store converges on the view even if a write is retried.
  private writeThrough(name: string): void {
    this.innerWrites = this.innerWrites.then(async () => {
      for (let attempt = 0; attempt < 5; attempt++) {
        const target = this.heads.get(name) ?? null;
        const current = (await this.inner.getHead(name)) ?? null;
        if (current === target) return;
        try {
          await this.inner.updateHead(name, current, target);
          return;
        } catch (err) {
          if (!(err instanceof NotAtHeadError)) throw err;
        }
      }
    }).catch(() => {
      // The inner store refused (closed while shutting down): the view and Redis stay right,
      // and the next start reconciles the inner store from the stream.
    });
  }
}
