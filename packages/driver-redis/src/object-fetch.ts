import { CorruptObjectError, isHash, ObjectUnavailableError } from '@gitty/core';
import type { RedisClient } from './cas-script.js';
import { isReady } from './connection.js';
import { KnownObjects } from './driver-support.js';
import type { StoreKeys } from './keys.js';

/** What the fetcher needs of the local store. */
export interface LocalObjects {
  hasObject(hash: string): Promise<boolean>;
  /** Compressed bytes of a local object, to answer a peer. */
  loadRaw(hash: string): Promise<Uint8Array | undefined>;
  /** Verify fetched bytes and keep them, readable at once (throws CORRUPT_OBJECT when they do not hash to `hash`). */
  storeRaw(hash: string, raw: Uint8Array): Promise<unknown>;
}

/** Counters the driver reports in `stats()`. */
export interface FetchCounters {
  fetched: number;
  answered: number;
  /** Fetch answers whose bytes did not hash to the requested name. */
  fetchRejected: number;
}

const ASK_INTERVAL_MS = 300;
const CLAIM_MS = 1_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Lazy fetch of objects this node lacks. The requester publishes the hash on the store's fetch
 * channel; every peer that has the object races for a short-lived `SET NX` claim, and only the
 * winner answers (no "every node answers" storm), by writing the bytes to a short-lived key and
 * publishing on the ready channel. The requester polls that key too (a lost ready message only
 * costs a poll interval), asks again while no answer comes, and gives up at its deadline with
 * OBJECT_UNAVAILABLE. Fetched bytes are verified before they are stored.
 */
export class ObjectFetcher {
  readonly counters: FetchCounters = { fetched: 0, answered: 0, fetchRejected: 0 };
  // Objects of which this node was offered only damaged copies so far (in the stream or as a
  // fetch answer): when no good copy comes, the object is corrupt, not merely unavailable.
  private readonly corrupt = new KnownObjects();
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly waiters = new Map<string, Set<() => void>>();
  private closed = false;

  constructor(
    private readonly cmd: RedisClient,
    private readonly sub: RedisClient,
    private readonly keys: StoreKeys,
    private readonly node: string,
    private readonly local: LocalObjects,
    private readonly timing: { fetchTimeoutMs: number; objectTtlMs: number },
  ) {}

  /** Subscribe to the fetch and ready channels (ioredis resubscribes after reconnects). */
  async start(): Promise<void> {
    this.sub.on('message', (channel: string, message: string) => {
      if (channel === this.keys.fetchChannel) void this.answer(message).catch(() => undefined);
      else if (channel === this.keys.readyChannel) this.wake(message);
    });
    if (isReady(this.sub)) await this.sub.subscribe(this.keys.fetchChannel, this.keys.readyChannel).catch(() => undefined);
    else this.sub.once('ready', () => void this.sub.subscribe(this.keys.fetchChannel, this.keys.readyChannel).catch(() => undefined));
  }

  /** End every fetch under way (OBJECT_UNAVAILABLE) and refuse new ones: the node is closing. */
  close(): void {
    this.closed = true;
    for (const hash of [...this.waiters.keys()]) this.wake(hash);
  }

  /** A copy of `hash` offered elsewhere (the stream) did not hash to its name. */
  noteCorruptCopy(hash: string): void {
    this.corrupt.add(hash);
  }

  /** An intact copy of `hash` was stored here (from the stream or a fetch): earlier damaged copies no longer decide. */
  noteIntactCopy(hash: string): void {
    this.corrupt.delete(hash);
  }

  /**
   * Fetch `hash` from a peer and store it locally; one request per hash at a time. Fails with
   * CORRUPT_OBJECT when every copy this node was offered was damaged, else OBJECT_UNAVAILABLE.
   */
  fetch(hash: string): Promise<void> {
    let pending = this.inflight.get(hash);
    if (!pending) {
      pending = this.fetchOnce(hash).finally(() => this.inflight.delete(hash));
      this.inflight.set(hash, pending);
    }
    return pending;
  }

  private async fetchOnce(hash: string): Promise<void> {
    // Redis down: a read should not hang for the whole deadline on a connection that is gone.
    if (!isReady(this.cmd)) throw new ObjectUnavailableError(hash, 'Redis is unavailable, so no peer can be asked');
    // Monotonic: a wall clock that jumps (NTP step, VM resume) would end the fetch at once or hold it for the jump's length.
    const deadline = performance.now() + this.timing.fetchTimeoutMs;
    let nextAsk = 0;
    let reason = 'no node answered';
    while (performance.now() < deadline) {
      if (this.closed) throw new ObjectUnavailableError(hash, 'the node is closing');
      if (!isReady(this.cmd)) {
        reason = 'Redis is unavailable';
        await sleep(50);
        continue;
      }
      try {
        const raw = await this.cmd.getBuffer(this.keys.objectKey(hash));
        if (raw) {
          await this.local.storeRaw(hash, raw);
          this.counters.fetched++;
          return;
        }
        if (performance.now() >= nextAsk) {
          await this.cmd.publish(this.keys.fetchChannel, `${hash} ${this.node}`);
          nextAsk = performance.now() + ASK_INTERVAL_MS;
        }
      } catch (err) {
        // Corrupt bytes from a peer are never stored; keep asking until the deadline.
        if ((err as { code?: string }).code === 'CORRUPT_OBJECT') {
          this.counters.fetchRejected++;
          this.corrupt.add(hash);
        } else {
          // An answer came but could not be kept (or Redis failed): say so rather than "no node answered".
          reason = `the last attempt failed (${(err as Error).message})`;
        }
      }
      await this.waitReady(hash, Math.min(100, deadline - performance.now()));
    }
    if (this.corrupt.has(hash)) {
      throw new CorruptObjectError(hash, 'Redis replication', `every copy offered to this node was damaged, and no intact one came within ${this.timing.fetchTimeoutMs} ms`);
    }
    throw new ObjectUnavailableError(hash, `${reason} within ${this.timing.fetchTimeoutMs} ms`);
  }

  // A peer's request: answer only if we have the object and win the claim.
  private async answer(message: string): Promise<void> {
    const [hash, from] = message.split(' ');
    if (!hash || !isHash(hash) || from === this.node || !isReady(this.cmd)) return;
    if (!(await this.local.hasObject(hash))) return;
    // Already answered (the requester asked again before it read the answer): nothing to do.
    if ((await this.cmd.exists(this.keys.objectKey(hash))) === 1) return;
    const claimed = await this.cmd.set(this.keys.claimKey(hash), this.node, 'PX', CLAIM_MS, 'NX');
    if (claimed !== 'OK') return;
    const raw = await this.local.loadRaw(hash);
    if (!raw) return;
    await this.cmd.set(this.keys.objectKey(hash), Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength), 'PX', this.timing.objectTtlMs);
    await this.cmd.publish(this.keys.readyChannel, hash);
    this.counters.answered++;
  }

  private waitReady(hash: string, ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const set = this.waiters.get(hash) ?? new Set();
      this.waiters.set(hash, set);
      const done = () => {
        clearTimeout(timer);
        set.delete(done);
        if (set.size === 0) this.waiters.delete(hash);
        resolve();
      };
      const timer = setTimeout(done, ms);
      set.add(done);
    });
  }

  private wake(hash: string): void {
    for (const done of [...(this.waiters.get(hash) ?? [])]) done();
  }
}
