import { randomBytes } from 'node:crypto';
import { NotAtHeadError, RedisUnavailableError } from '@gitty/core';
import { runAnnounce, runCas, type AnnouncedObject, type RedisClient } from './cas-script.js';
import type { CatchUp } from './catch-up.js';
import { isReady, isReplyError } from './connection.js';
import type { KnownObjects } from './driver-support.js';
import type { HeadView } from './head-view.js';
import type { StoreKeys } from './keys.js';
import type { RedisDriverOptions } from './options.js';
import type { ReplicaState } from './replica-state.js';

/** What the write path needs from the driver. */
export interface HeadWriterDeps {
  cmd: RedisClient;
  keys: StoreKeys;
  state: ReplicaState;
  view: HeadView;
  catchUp: CatchUp;
  known: KnownObjects;
  node: string;
  options: RedisDriverOptions;
  /** Compressed bytes of a local object (undefined when it is gone). */
  localRaw(hash: string): Promise<Uint8Array | undefined>;
  /** The objects a head needs to be read: its commit and the commit's blob (those stored locally). */
  headObjects(head: string): Promise<string[]>;
}

const MAX_ANNOUNCED = 200;

/**
 * The write path of a node: head changes through the Lua CAS, carrying the announcement of the
 * objects stored here since the last change; objects stored without a head change; and the
 * settling of changes whose reply was lost.
 */
export class HeadWriter {
  /** Objects stored here and not yet announced to the other nodes. */
  readonly pending = new Set<string>();
  /** Head changes whose reply was lost, by request id. */
  readonly unresolved = new Map<string, { name: string; next: string | null }>();
  readonly resolved = { applied: 0, notApplied: 0 };
  private requestCounter = 0;
  private readonly inflight = new Set<Promise<void>>();
  // Request ids must never repeat, not even across restarts of a node with a configured id:
  // the CAS script answers a known id with its stored outcome (within requestTtlMs), so a
  // restarted node counting from 0 again would have new writes "acknowledged" without applying them.
  private readonly requestPrefix = randomBytes(8).toString('hex');

  constructor(private readonly d: HeadWriterDeps) {}

  /**
   * The CAS through Redis. Fails fast with REDIS_UNAVAILABLE when Redis is unreachable; when
   * the connection drops or times out after sending, the outcome is unknown to the caller
   * (REDIS_UNAVAILABLE) and is settled later from the request id — the request is never resent.
   */
  updateHead(name: string, expected: string | null, next: string | null): Promise<void> {
    const run = this.change(name, expected, next);
    this.inflight.add(run);
    void run.catch(() => undefined).finally(() => this.inflight.delete(run));
    return run;
  }

  /** Resolves when every head change under way has its outcome (close waits for them). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.inflight]);
  }

  private async change(name: string, expected: string | null, next: string | null): Promise<void> {
    const { cmd, keys, state, options } = this.d;
    if (!isReady(cmd) || state.epoch === null) {
      throw new RedisUnavailableError(`cannot change the head of "${name}": no connection to Redis`);
    }
    const requestId = `${this.d.node}-${this.requestPrefix}-${++this.requestCounter}`;
    // The head's own commit and blob always travel in its CAS, whatever else is pending (and
    // whether or not a concurrent CAS took them): otherwise the head could reach the other
    // nodes before its objects and be unreadable there once this node dies.
    const own = next ? await this.d.headObjects(next) : [];
    for (const hash of own) this.pending.delete(hash);
    if (this.pending.size > MAX_ANNOUNCED) {
      // Older objects first, so history saved without head changes precedes the head too.
      try {
        await this.announcePending();
      } catch (err) {
        own.forEach((hash) => this.pending.add(hash));
        throw new RedisUnavailableError(`cannot change the head of "${name}": ${(err as Error).message}`, { cause: err });
      }
    }
    const taken = [...own, ...this.take(MAX_ANNOUNCED - own.length)];
    const restore = () => taken.forEach((hash) => this.pending.add(hash));
    for (let attempt = 0; ; attempt++) {
      let outcome;
      try {
        const objects = await this.announcement(taken);
        outcome = await runCas(cmd, keys, {
          epoch: state.epoch!, name, expected, next, requestId, maxLen: options.maxLen,
          requestTtlMs: options.requestTtlMs, node: this.d.node, minSeq: state.highestSeq(), settleMs: options.settleMs,
          mergeWaitMs: options.mergeWaitMs, objects,
        });
      } catch (err) {
        restore();
        if (isReplyError(err)) throw new RedisUnavailableError(`Redis refused the head change of "${name}": ${(err as Error).message}`, { cause: err });
        this.unresolved.set(requestId, { name, next });
        throw new RedisUnavailableError(`the connection dropped while changing the head of "${name}"; the outcome is resolved after reconnect`, { cause: err });
      }
      if (outcome.kind === 'ok' && options.replicaAcks > 0) {
        // Applied on the master; acknowledged only once enough replicas have it, so that a
        // failover right now cannot lose it. Otherwise the caller learns "outcome unknown".
        const confirmed = await cmd.wait(options.replicaAcks, options.replicaAckTimeoutMs).catch(() => -1);
        if (confirmed < options.replicaAcks) {
          this.unresolved.set(requestId, { name, next });
          throw new RedisUnavailableError(
            `the head change of "${name}" was not confirmed by ${options.replicaAcks} replica(s) within ${options.replicaAckTimeoutMs} ms; the outcome is resolved later`,
          );
        }
      }
      if (outcome.kind === 'ok') {
        state.noteOwnStamp(outcome.stamp);
        if (next) this.d.known.add(next);
        this.d.view.apply(name, next, outcome.stamp, false);
        await this.d.view.flush();
        // Applied in Redis, but acknowledged only once its stamp is recorded here: a change this
        // node cannot journal (full disk) fails with STORAGE_FULL, its outcome unknown to the caller.
        await state.journalOwn(name, next, outcome.stamp);
        return;
      }
      if (outcome.kind === 'conflict') {
        restore();
        throw new NotAtHeadError(name, outcome.head, expected);
      }
      if (outcome.kind === 'settling') {
        restore();
        throw new RedisUnavailableError(
          `Redis lost the store moments ago; writes resume in ${outcome.waitMs} ms, once every node has merged its heads (the head of "${name}" was not changed)`,
        );
      }
      if (outcome.kind === 'awaiting') {
        restore();
        throw new RedisUnavailableError(
          `Redis lost the store; writes resume once node "${outcome.node}", active before the loss, has merged its heads (at most ${options.mergeWaitMs} ms after the loss; the head of "${name}" was not changed)`,
        );
      }
      // Redis lost the store, rolled back (regressed), or moved to a newer generation: re-seed
      // (a new generation and a merge), then try again.
      if (attempt >= 2) {
        restore();
        throw new RedisUnavailableError(`the store's epoch in Redis keeps changing; the head of "${name}" was not changed`);
      }
      try {
        await this.d.catchUp.sync();
      } catch (err) {
        restore();
        throw new RedisUnavailableError(`the connection dropped while re-seeding the store for the head change of "${name}" (it was not changed)`, { cause: err });
      }
    }
  }

  /** Announce objects stored without a head change (yet), in batches. */
  async announcePending(): Promise<void> {
    const { cmd, keys, state, options } = this.d;
    while (this.pending.size > 0 && isReady(cmd) && state.epoch) {
      const taken = this.take();
      const objects = await this.announcement(taken);
      if (objects.length > 0 && !(await runAnnounce(cmd, keys, state.epoch, options.maxLen, this.d.node, objects))) {
        taken.forEach((hash) => this.pending.add(hash));
        return;
      }
    }
  }

  /**
   * A CAS whose reply never came was applied exactly when its request key exists (the script
   * sets it in the same atomic step) or, if Redis lost its data meanwhile, when the re-seeded
   * head is the one it wrote. Commands on one connection run in order, so on a live connection
   * this check cannot overtake the CAS.
   */
  async resolveUnresolved(): Promise<void> {
    for (const [requestId, { name, next }] of [...this.unresolved]) {
      const [done, head] = await Promise.all([this.d.cmd.get(this.d.keys.requestKey(requestId)), this.d.cmd.hget(this.d.keys.heads, name)]);
      // Settled meanwhile by a concurrent call (a rescan beside a reconnect): count it once.
      if (!this.unresolved.has(requestId)) continue;
      const applied = done !== null || (next !== null && head === next);
      this.resolved[applied ? 'applied' : 'notApplied']++;
      this.unresolved.delete(requestId);
    }
  }

  private take(limit = MAX_ANNOUNCED): string[] {
    const taken = [...this.pending].slice(0, limit);
    for (const hash of taken) this.pending.delete(hash);
    return taken;
  }

  // Inline when small; larger objects go to a short-lived key first, so the script stays small.
  private async announcement(hashes: string[]): Promise<AnnouncedObject[]> {
    const fields: AnnouncedObject[] = [];
    for (const hash of hashes) {
      const raw = await this.d.localRaw(hash);
      if (!raw) continue;
      const bytes = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
      if (bytes.length <= this.d.options.inlineMax) {
        fields.push([`o:${hash}`, bytes]);
      } else {
        await this.d.cmd.set(this.d.keys.objectKey(hash), bytes, 'PX', this.d.options.objectTtlMs);
        fields.push([`r:${hash}`, '']);
      }
    }
    return fields;
  }
}
