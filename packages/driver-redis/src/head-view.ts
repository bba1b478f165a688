import { isGittyError, type Driver, type HeadChange } from '@gitty/core';
import { compareStamps } from './keys.js';
import type { PersistQueue } from './persist-queue.js';
import type { ReplicaState } from './replica-state.js';

/**
 * This node's view of the shared heads: in memory (so reads never wait for Redis), written
 * through to the inner store in order (so the local store stays a complete, usable store and
 * can re-seed Redis), and reported to `watch` listeners for changes made by other nodes.
 * A head is written to the inner store only after the replicated objects held before it
 * ({@link PersistQueue}) are there, so the inner store never has a head without its objects.
 */
export class HeadView {
  readonly heads = new Map<string, string>();
  /** How many names have each commit as head (a commit can head several names). */
  private readonly headCommits = new Map<string, number>();
  /** Names whose head the inner store failed to write (full disk, I/O error): retried, and saved in the state. */
  readonly unwritten = new Set<string>();
  private readonly listeners = new Set<(change: HeadChange) => void>();
  private innerWrites: Promise<void> = Promise.resolve();

  constructor(
    private readonly inner: Driver,
    private readonly state: ReplicaState,
    private readonly persist: PersistQueue,
  ) {}

  /**
   * Start from the inner store's heads (the truth as of this node's last run), except names
   * whose write failed last time: for those the saved state knows the head (the cursor has moved
   * past their change, so replay would not bring it again); they are written through now.
   */
  async load(): Promise<void> {
    for await (const { name, head } of this.inner.heads()) {
      this.heads.set(name, head);
      this.count(head, 1);
    }
    for (const name of this.state.unwritten) {
      const known = this.state.stamps.get(name);
      if (known) this.set(name, known[0], false);
    }
    this.state.unwritten.clear();
  }

  /** Write again the heads whose write failed (called when idle and on rescan). */
  retryUnwritten(): Promise<void> {
    for (const name of [...this.unwritten]) this.writeThrough(name);
    return this.innerWrites;
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
    if (old !== null) this.count(old, -1);
    if (next !== null) this.count(next, 1);
    this.writeThrough(name);
    if (notify) for (const listener of [...this.listeners]) listener({ name, old, new: next });
  }

  /** True when `hash` is the head of some name (its objects must always be fetchable). */
  isHead(hash: string): boolean {
    return this.headCommits.has(hash);
  }

  private count(hash: string, delta: number): void {
    const n = (this.headCommits.get(hash) ?? 0) + delta;
    if (n > 0) this.headCommits.set(hash, n);
    else this.headCommits.delete(hash);
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
  // inner store converges on the view even if a write is retried. The head written is one whose
  // objects were held before a wait for the held objects began, so they are in the inner store.
  private writeThrough(name: string): void {
    const done = this.persist.beginHeadWrite();
    this.innerWrites = this.innerWrites.then(async () => {
      let target = this.heads.get(name) ?? null;
      await this.persist.durable();
      for (let round = 0; round < 3; round++) {
        const now = this.heads.get(name) ?? null;
        if (now === target) break;
        await this.persist.durable();
        target = now;
      }
      for (let attempt = 0; attempt < 5; attempt++) {
        const current = (await this.inner.getHead(name)) ?? null;
        if (current === target) break;
        try {
          await this.inner.updateHead(name, current, target);
          break;
        } catch (err) {
          if (!isGittyError(err, 'NOT_AT_HEAD')) throw err; // by code: the inner driver may use another copy of core
        }
      }
      this.unwritten.delete(name);
    }).catch(() => {
      // The inner store refused (full disk, I/O error, closed while shutting down). The replay
      // cursor moves on regardless, so the name is remembered — in memory to retry when idle,
      // and in the saved state so a restart writes it from there instead of rolling it back.
      this.unwritten.add(name);
    }).finally(done);
  }
}
