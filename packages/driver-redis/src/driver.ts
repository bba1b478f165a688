import { randomBytes } from 'node:crypto';
import {
  assertHash, ClosedError, decodeObject, extensionOf, frameObject, NotAtHeadError, RedisUnavailableError,
  type Driver, type DriverCapabilities, type DriverContext, type GitObject, type HeadChange, type HeadEntry,
} from '@gitty/core';
import { runAnnounce, runCas, type AnnouncedObject, type RedisClient } from './cas-script.js';
import { CatchUp } from './catch-up.js';
import { connectQuietly, isReady, isReplyError } from './connection.js';
import { HeadView } from './head-view.js';
import { StoreKeys } from './keys.js';
import { ObjectFetcher } from './object-fetch.js';
import type { RedisDriverOptions } from './options.js';
import { ReplicaState } from './replica-state.js';
import { StreamFollower } from './stream-follower.js';
import { delegateOptional, ensureHeadObjects, KnownObjects } from './driver-support.js';

/** The three connections of a node: commands, the blocking stream reader, pub/sub. */
export interface RedisConnections {
  cmd: RedisClient;
  follower: RedisClient;
  sub: RedisClient;
}

/** Replication health, for callers that want to flag possibly stale reads. */
export interface ReplicationStatus {
  /** The command connection is up. */
  connected: boolean;
  /** Reads may miss changes made elsewhere (Redis unreachable, or not yet caught up). */
  stale: boolean;
  epoch: string | null;
  cursor: string;
  /** Head changes whose reply was lost and which are not yet resolved. */
  unresolved: number;
}

const MAX_ANNOUNCED = 200;

/**
 * A node of a replicated store: objects and heads in a local (inner) driver, heads shared
 * through Redis by a Lua CAS, new objects pushed to every node through a stream, missing ones
 * fetched from peers on demand. See the package README for the protocol.
 */
export class RedisDriver implements Driver {
  readonly name: string;
  readonly capabilities: DriverCapabilities;
  readonly node: string;
  readonly keys: StoreKeys;
  private readonly view: HeadView;
  private readonly catchUp: CatchUp;
  private readonly fetcher: ObjectFetcher;
  private readonly follower: StreamFollower;
  private readonly known = new KnownObjects();
  private readonly pending = new Set<string>();
  private readonly unresolved = new Map<string, { name: string; next: string | null }>();
  private readonly resolvedCounts = { applied: 0, notApplied: 0 };
  private requestCounter = 0;
  private closing: Promise<void> | undefined;
  private readonly cmd: RedisClient;

  constructor(
    private readonly options: RedisDriverOptions,
    readonly inner: Driver,
    private readonly state: ReplicaState,
    private readonly context: DriverContext,
    private readonly connections: RedisConnections,
  ) {
    this.name = `redis(${inner.name})`;
    this.capabilities = { ...inner.capabilities, watch: true, sharedHeads: true, rawObjects: true };
    this.node = options.nodeId ?? randomBytes(8).toString('hex');
    this.keys = new StoreKeys(options.prefix, options.storeId);
    this.cmd = connections.cmd;
    this.view = new HeadView(inner, state);
    state.beforeSave = () => this.view.flush();
    this.fetcher = new ObjectFetcher(this.cmd, connections.sub, this.keys, this.node, {
      hasObject: (hash) => inner.hasObject(hash),
      loadRaw: (hash) => this.localRaw(hash),
      storeRaw: (hash, raw) => this.storeVerified(hash, raw),
    }, options);
    this.catchUp = new CatchUp({
      cmd: this.cmd, keys: this.keys, state, view: this.view, inner, node: this.node, maxLen: options.maxLen,
      storeVerified: (hash, raw) => this.storeVerified(hash, raw),
      ensureHead: (head) => ensureHeadObjects(head, inner, (hash) => this.fetcher.fetch(hash), this.known),
      remember: (hash) => this.known.add(hash),
    });
    this.follower = new StreamFollower(connections.follower, this.keys, options.blockMs, {
      cursor: () => this.state.cursor,
      onEntries: (entries) => this.catchUp.onEntries(entries),
      onIdle: () => this.checkEpoch(),
    });
    delegateOptional(this, inner, () => this.check());
  }

  /** Connect, catch up with Redis (or start stale when it is unreachable) and follow the stream. */
  async start(): Promise<void> {
    await this.view.load();
    for (const head of this.view.heads.values()) this.known.add(head);
    await Promise.all([connectQuietly(this.cmd), connectQuietly(this.connections.follower), connectQuietly(this.connections.sub)]);
    await this.fetcher.start();
    if (isReady(this.cmd)) await this.catchUp.sync().catch(() => undefined);
    this.cmd.on('ready', () => void this.onReconnect());
    this.cmd.on('close', () => (this.catchUp.synced = false));
    this.follower.start();
  }

  async storeObject(hash: string, type: string, data: Uint8Array): Promise<boolean> {
    this.check();
    assertHash(hash);
    const stored = await this.inner.storeObject(hash, type, data);
    if (stored) this.pending.add(hash);
    return stored;
  }

  // A local miss is fetched from a peer only for objects known to exist (announced, a head, or
  // referenced by a commit read here); any other miss is an ordinary "absent".
  async loadObject(hash: string): Promise<GitObject | undefined> {
    this.check();
    assertHash(hash);
    let found = await this.inner.loadObject(hash);
    if (!found && this.known.has(hash)) {
      await this.fetcher.fetch(hash);
      found = await this.inner.loadObject(hash);
    }
    if (found?.type === 'commit') this.known.addReferences(found.data);
    return found;
  }

  async hasObject(hash: string): Promise<boolean> {
    this.check();
    return this.inner.hasObject(hash);
  }

  async *objects(): AsyncIterable<string> {
    this.check();
    yield* this.inner.objects();
  }

  async deleteObject(hash: string): Promise<boolean> {
    this.check();
    assertHash(hash);
    this.known.delete(hash);
    this.pending.delete(hash);
    return this.inner.deleteObject(hash);
  }

  async loadRaw(hash: string): Promise<Uint8Array | undefined> {
    this.check();
    assertHash(hash);
    return (await this.localRaw(hash)) ?? this.rawOf(await this.loadObject(hash));
  }

  async storeRaw(hash: string, raw: Uint8Array): Promise<boolean> {
    this.check();
    assertHash(hash);
    const object = decodeObject(raw, hash, 'raw object', this.context.compression, this.context.maxObjectSize);
    return this.storeObject(hash, object.type, object.data);
  }

  async getHead(name: string): Promise<string | undefined> {
    this.check();
    return this.view.heads.get(name);
  }

  async *heads(options: { ext?: string } = {}): AsyncIterable<HeadEntry> {
    this.check();
    for (const [name, head] of [...this.view.heads]) {
      if (options.ext === undefined || extensionOf(name) === options.ext) yield { name, head };
    }
  }

  /**
   * The CAS through Redis. Fails fast with REDIS_UNAVAILABLE when Redis is unreachable; when
   * the connection drops after sending, the outcome is unknown to the caller (REDIS_UNAVAILABLE)
   * and is resolved after reconnect from the request id — the request is never resent.
   */
  async updateHead(name: string, expected: string | null, next: string | null): Promise<void> {
    this.check();
    if (next !== null) assertHash(next);
    if (!isReady(this.cmd) || this.state.epoch === null) {
      throw new RedisUnavailableError(`cannot change the head of "${name}": no connection to Redis`);
    }
    const requestId = `${this.node}-${++this.requestCounter}`;
    const taken = [...this.pending].slice(0, MAX_ANNOUNCED);
    for (const hash of taken) this.pending.delete(hash);
    const restore = () => taken.forEach((hash) => this.pending.add(hash));
    for (let attempt = 0; ; attempt++) {
      let outcome;
      try {
        const objects = await this.announcement(taken);
        outcome = await runCas(this.cmd, this.keys, {
          epoch: this.state.epoch!, name, expected, next, requestId, maxLen: this.options.maxLen,
          requestTtlMs: this.options.requestTtlMs, node: this.node, objects,
        });
      } catch (err) {
        restore();
        if (isReplyError(err)) throw new RedisUnavailableError(`Redis refused the head change of "${name}": ${(err as Error).message}`, { cause: err });
        this.unresolved.set(requestId, { name, next });
        throw new RedisUnavailableError(`the connection dropped while changing the head of "${name}"; the outcome is resolved after reconnect`, { cause: err });
      }
      if (outcome.kind === 'ok') {
        if (next) this.known.add(next);
        this.view.apply(name, next, outcome.stamp, false);
        await this.view.flush();
        return;
      }
      if (outcome.kind === 'conflict') {
        restore();
        throw new NotAtHeadError(name, outcome.head, expected);
      }
      // Redis lost the store (or moved to a newer generation): re-seed, then try again.
      if (attempt >= 2) {
        restore();
        throw new RedisUnavailableError(`the store's epoch in Redis keeps changing; the head of "${name}" was not changed`);
      }
      await this.catchUp.sync();
    }
  }

  /** Push objects stored here but not yet announced, then pull what other nodes changed. */
  async rescan(): Promise<void> {
    this.check();
    if (isReady(this.cmd)) {
      await this.announcePending().catch(() => undefined);
      await this.catchUp.catchUp().catch(() => undefined);
      await this.catchUp.backfilled();
    }
    await this.view.flush();
  }

  watch(listener: (change: HeadChange) => void): () => void {
    return this.view.watch(listener);
  }

  /** Replication health: connected, possibly stale, unresolved writes. */
  status(): ReplicationStatus {
    const connected = isReady(this.cmd);
    return {
      connected, stale: !connected || !this.catchUp.synced, epoch: this.state.epoch, cursor: this.state.cursor, unresolved: this.unresolved.size,
    };
  }

  async stats(): Promise<Record<string, number>> {
    this.check();
    const own: Record<string, number> = {};
    for (const [key, value] of Object.entries({ ...this.catchUp.counters, ...this.fetcher.counters })) own[`redis.${key}`] = value;
    own['redis.stale'] = this.status().stale ? 1 : 0;
    own['redis.unresolved'] = this.unresolved.size;
    own['redis.resolvedApplied'] = this.resolvedCounts.applied;
    own['redis.resolvedNotApplied'] = this.resolvedCounts.notApplied;
    return { ...((await this.inner.stats?.()) ?? {}), ...own };
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.view.clearListeners();
    await this.follower.stop();
    // Objects stored since the last head change still reach the other nodes.
    await this.announcePending().catch(() => undefined);
    await this.catchUp.exclusive(async () => undefined);
    await this.catchUp.backfilled();
    await this.view.flush();
    await this.state.save();
    this.connections.sub.disconnect();
    this.cmd.disconnect();
    await this.inner.close();
  }

  // Objects stored without a head change (yet): announced on their own, in batches.
  private async announcePending(): Promise<void> {
    while (this.pending.size > 0 && isReady(this.cmd) && this.state.epoch) {
      const taken = [...this.pending].slice(0, MAX_ANNOUNCED);
      for (const hash of taken) this.pending.delete(hash);
      const objects = await this.announcement(taken);
      if (objects.length > 0 && !(await runAnnounce(this.cmd, this.keys, this.state.epoch, this.options.maxLen, this.node, objects))) {
        taken.forEach((hash) => this.pending.add(hash));
        return;
      }
    }
  }

  // After Redis comes back: catch up (or re-seed), then settle writes whose reply was lost.
  private async onReconnect(): Promise<void> {
    if (this.closing) return;
    try {
      await this.catchUp.sync();
      await this.resolveUnresolved();
    } catch {
      // Dropped again: the next 'ready' retries.
    }
  }

  // A CAS whose reply never came was applied exactly when its request key exists (the script
  // sets it in the same atomic step) or, if Redis lost its data meanwhile, when the re-seeded
  // head is the one it wrote. Commands on one connection run in order, so on a live connection
  // the check cannot overtake the CAS. Never resent.
  private async resolveUnresolved(): Promise<void> {
    for (const [requestId, { name, next }] of [...this.unresolved]) {
      const [done, head] = await Promise.all([this.cmd.get(this.keys.requestKey(requestId)), this.cmd.hget(this.keys.heads, name)]);
      const applied = done !== null || (next !== null && head === next);
      this.resolvedCounts[applied ? 'applied' : 'notApplied']++;
      this.unresolved.delete(requestId);
    }
  }

  // The follower is idle: a good moment to notice a flushed Redis and to settle lost replies.
  private async checkEpoch(): Promise<void> {
    if (this.closing || !isReady(this.cmd)) return;
    try {
      const epoch = await this.cmd.get(this.keys.epoch);
      if (epoch !== this.state.epoch || !this.catchUp.synced) await this.catchUp.sync();
      if (this.unresolved.size > 0) await this.resolveUnresolved();
    } catch {
      // Unreachable again; retried at the next idle read or reconnect.
    }
  }

  // Inline when small; larger objects go to a short-lived key first, so the script stays small.
  private async announcement(hashes: string[]): Promise<AnnouncedObject[]> {
    const fields: AnnouncedObject[] = [];
    for (const hash of hashes) {
      const raw = await this.localRaw(hash);
      if (!raw) continue;
      const bytes = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
      if (bytes.length <= this.options.inlineMax) {
        fields.push([`o:${hash}`, bytes]);
      } else {
        await this.cmd.set(this.keys.objectKey(hash), bytes, 'PX', this.options.objectTtlMs);
        fields.push([`r:${hash}`, '']);
      }
    }
    return fields;
  }

  private async localRaw(hash: string): Promise<Uint8Array | undefined> {
    if (this.inner.loadRaw) return this.inner.loadRaw(hash);
    return this.rawOf(await this.inner.loadObject(hash));
  }

  private rawOf(object: GitObject | undefined): Uint8Array | undefined {
    return object && this.context.compression.deflate(frameObject(object.type, object.data));
  }

  private async storeVerified(hash: string, raw: Uint8Array): Promise<void> {
    const object = decodeObject(raw, hash, 'replicated object', this.context.compression, this.context.maxObjectSize);
    await this.inner.storeObject(hash, object.type, object.data);
  }

  private check(): void {
    if (this.closing) throw new ClosedError('redis driver');
  }
}
