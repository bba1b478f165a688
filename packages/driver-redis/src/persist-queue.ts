import type { Driver } from '@gitty/core';

/** A verified replicated object, held in memory until the inner store has it. */
export interface HeldObject {
  type: string;
  data: Uint8Array;
}

interface Entry extends HeldObject {
  /** Settles after the first attempt to store it (whatever its outcome). */
  attempted: Promise<void>;
}

/** How much the queue may hold before applying the stream waits for the inner store. */
export interface PersistLimits {
  persistQueueEntries: number;
  persistQueueBytes: number;
}

const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 5_000;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/**
 * Replicated objects between verification and the inner store. A version another node wrote is
 * readable here as soon as its objects are verified and held (the overlay), while the inner
 * store writes them in the background; the node's head writes wait for {@link durable} first,
 * so the inner store never holds a head before its objects. Bounded: {@link room} holds the
 * stream's application while the queue is full. A store that fails (full disk) is retried
 * until it succeeds or the node closes; the object stays readable from memory meanwhile.
 */
export class PersistQueue {
  private readonly held = new Map<string, Entry>();
  private bytes = 0;
  /** Head writes queued or under way (they count against the entry limit too). */
  private headWrites = 0;
  private readonly failed = new Set<string>();
  private tail: Promise<void> = Promise.resolve();
  private waiters: Array<() => void> = [];
  private closed = false;
  private unblocked = false;

  constructor(
    private readonly inner: Driver,
    private readonly limits: PersistLimits,
  ) {}

  /** A copy of the held object (a reader may change what it gets), if `hash` is waiting for the inner store. */
  get(hash: string): HeldObject | undefined {
    const entry = this.held.get(hash);
    return entry && { type: entry.type, data: entry.data.slice() };
  }

  has(hash: string): boolean {
    return this.held.has(hash);
  }

  /** Hashes held now (a snapshot). */
  hashes(): string[] {
    return [...this.held.keys()];
  }

  /** Objects and head writes not yet in the inner store. */
  get pending(): number {
    return this.held.size + this.headWrites;
  }

  /** Hold a verified object (readable at once) and start writing it to the inner store. */
  add(hash: string, type: string, data: Uint8Array): void {
    if (this.held.has(hash)) return;
    let settle!: () => void;
    const entry: Entry = { type, data, attempted: new Promise<void>((resolve) => (settle = resolve)) };
    this.held.set(hash, entry);
    this.bytes += data.byteLength;
    const previous = this.tail;
    this.tail = Promise.all([previous, entry.attempted]).then(() => undefined);
    void this.persist(hash, entry, settle);
  }

  /**
   * Resolves once every object held so far had its first attempt; throws when some object is
   * still not in the inner store (a failed write, being retried): a head must not be written then.
   */
  async durable(): Promise<void> {
    await this.tail;
    if (this.failed.size > 0) throw new Error(`${this.failed.size} replicated object(s) could not be written to the inner store yet`);
  }

  /** Resolves once every object held so far had its first attempt (never throws). */
  settled(): Promise<void> {
    return this.tail;
  }

  /**
   * Forget a held object (it is being deleted): once its first attempt settled, no retry writes
   * it again. Resolves after that attempt.
   */
  async drop(hash: string): Promise<void> {
    const entry = this.held.get(hash);
    if (!entry) return;
    await entry.attempted;
    if (this.held.get(hash) !== entry) return;
    this.held.delete(hash);
    this.bytes -= entry.data.byteLength;
    this.failed.delete(hash);
    this.wake();
  }

  /** Resolves when there is room for more (the stream's application waits here while the queue is full). */
  async room(): Promise<void> {
    while (!this.unblocked && this.full()) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Count a head write against the limit until the returned function is called. */
  beginHeadWrite(): () => void {
    this.headWrites++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.headWrites--;
      this.wake();
    };
  }

  /** Stop holding the stream's application back (the node is closing). */
  unblock(): void {
    this.unblocked = true;
    this.wake();
  }

  /** Try the failed objects once more now, and stop retrying them later (the node is closing). */
  async close(): Promise<void> {
    this.unblock();
    await this.retryFailed();
    this.closed = true;
  }

  /** Try every failed object once more now (rescan, idle). */
  async retryFailed(): Promise<void> {
    await Promise.all([...this.failed].map(async (hash) => {
      const entry = this.held.get(hash);
      if (entry && (await this.attempt(hash, entry))) this.failed.delete(hash);
    }));
  }

  private full(): boolean {
    const entries = this.held.size + this.headWrites;
    // A single object larger than the byte limit still passes when nothing else is held.
    return entries >= this.limits.persistQueueEntries || (this.held.size > 0 && this.bytes >= this.limits.persistQueueBytes);
  }

  private async persist(hash: string, entry: Entry, settle: () => void): Promise<void> {
    if (await this.attempt(hash, entry)) {
      settle();
      return;
    }
    this.failed.add(hash);
    settle();
    for (let delay = RETRY_FIRST_MS; !this.closed && this.held.get(hash) === entry; delay = Math.min(delay * 2, RETRY_MAX_MS)) {
      await sleep(delay);
      if (this.closed || this.held.get(hash) !== entry) break;
      if (await this.attempt(hash, entry)) break;
    }
    // Nothing to clear here: a successful attempt and drop() clear the failure themselves. Once
    // the entry is gone, the hash may be held again by a newer entry whose failure must stay.
  }

  // True once the inner store has the object (then it leaves the overlay: reads find it there).
  private async attempt(hash: string, entry: Entry): Promise<boolean> {
    try {
      await this.inner.storeObject(hash, entry.type, entry.data);
    } catch {
      return false;
    }
    if (this.held.get(hash) === entry) {
      this.held.delete(hash);
      this.bytes -= entry.data.byteLength;
      this.failed.delete(hash);
      this.wake();
    }
    return true;
  }

  private wake(): void {
    if (this.full() && !this.unblocked) return;
    for (const resolve of this.waiters.splice(0)) resolve();
  }
}
