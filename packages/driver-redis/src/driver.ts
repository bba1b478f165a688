import { randomBytes } from 'node:crypto';
import {
  assertHash, ClosedError, decodeCommit, decodeObject, extensionOf, frameObject,
  type CommitFormat, type Driver, type DriverCapabilities, type DriverContext, type GitObject, type HeadChange, type HeadEntry,
} from '@gitty/core';
import { runLeave, type RedisClient } from './cas-script.js';
import { CatchUp } from './catch-up.js';
import { connectQuietly, isReady } from './connection.js';
import { HeadView } from './head-view.js';
import { HeadWriter } from './head-writer.js';
import { StoreKeys } from './keys.js';
import { ObjectFetcher } from './object-fetch.js';
import type { RedisDriverOptions } from './options.js';
import { PersistQueue } from './persist-queue.js';
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
  /**
   * Replicated objects and head writes readable here but not yet written to the inner store
   * (they are written in the background; `close()` and `rescan()` wait for them).
   */
  persisting: number;
}

/**
 * A node of a replicated store: objects and heads in a local (inner) driver, heads shared
 * through Redis by a Lua CAS, new objects pushed to every node through a stream, missing ones
 * fetched from peers on demand. See the package README for the protocol.
 */
export class RedisDriver implements Driver {
  readonly name: string;
  readonly capabilities: DriverCapabilities;
  /** The inner store's commit format (a SWISH inner store gets SWISH commits). */
  readonly commitFormat: CommitFormat | undefined;
  readonly node: string;
  readonly keys: StoreKeys;
  private readonly view: HeadView;
  private readonly persist: PersistQueue;
  private readonly catchUp: CatchUp;
  private readonly fetcher: ObjectFetcher;
  private readonly follower: StreamFollower;
  private readonly known = new KnownObjects();
  private readonly writer: HeadWriter;
  private closing: Promise<void> | undefined;
  private watchdog: NodeJS.Timeout | undefined;
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
    this.commitFormat = inner.commitFormat;
    this.node = options.nodeId ?? randomBytes(8).toString('hex');
    this.keys = new StoreKeys(options.prefix, options.storeId);
    this.cmd = connections.cmd;
    this.persist = new PersistQueue(inner, options);
    this.view = new HeadView(inner, state, this.persist);
    // A saved cursor must not pass an entry whose objects or head the inner store lacks.
    state.beforeSave = () => this.flushLocal();
    state.pendingWrites = () => this.view.unwritten;
    this.fetcher = new ObjectFetcher(this.cmd, connections.sub, this.keys, this.node, {
      hasObject: (hash) => this.hasLocal(hash),
      loadRaw: (hash) => this.localRaw(hash),
      // Held like a stream object, not written first: a node whose disk is full must still read
      // a head whose objects it had to fetch (the chaos campaign's redis-files run: every node
      // but the writer failed such reads with "no node answered" while the writer answered).
      storeRaw: async (hash, raw) => this.holdVerified(hash, raw),
    }, options);
    this.catchUp = new CatchUp({
      cmd: this.cmd, keys: this.keys, state, view: this.view, node: this.node, maxLen: options.maxLen,
      hasLocal: (hash) => this.hasLocal(hash),
      holdVerified: (hash, raw) => this.holdVerified(hash, raw),
      room: () => this.persist.room(),
      ensureHead: (head) => ensureHeadObjects(head, this.localObjects, (hash) => this.fetcher.fetch(hash), this.known),
      remember: (hash) => this.known.add(hash),
      rejected: (hash) => this.fetcher.noteCorruptCopy(hash),
    });
    this.follower = new StreamFollower(connections.follower, this.keys, options.blockMs, {
      cursor: () => this.state.cursor,
      onEntries: (entries) => this.catchUp.onEntries(entries),
      onIdle: () => this.checkEpoch(),
    });
    this.writer = new HeadWriter({
      cmd: this.cmd, keys: this.keys, state, view: this.view, catchUp: this.catchUp, known: this.known, node: this.node, options,
      localRaw: (hash) => this.localRaw(hash),
      headObjects: (head) => this.headObjects(head),
    });
    delegateOptional(this, inner, () => this.check());
  }

  /** Connect, catch up with Redis (or start stale when it is unreachable) and follow the stream. */
  async start(): Promise<void> {
    await this.view.load();
    for (const head of this.view.heads.values()) this.known.add(head);
    const closing = () => this.closing !== undefined;
    await Promise.all([this.cmd, this.connections.follower, this.connections.sub].map((client) => connectQuietly(client, closing)));
    await this.fetcher.start();
    if (isReady(this.cmd)) await this.catchUp.sync().catch(() => undefined);
    this.cmd.on('ready', () => void this.onReconnect());
    this.cmd.on('close', () => (this.catchUp.synced = false));
    this.follower.start();
    // The pub/sub connection owes no reply while idle, so a silently dead one would never be
    // noticed: ping it (its socket timeout reconnects it when no answer comes).
    this.watchdog = setInterval(() => {
      if (isReady(this.connections.sub)) void this.connections.sub.ping().catch(() => undefined);
    }, this.options.blockMs);
    this.watchdog.unref();
  }

  async storeObject(hash: string, type: string, data: Uint8Array): Promise<boolean> {
    this.check();
    assertHash(hash);
    const stored = await this.inner.storeObject(hash, type, data);
    if (stored) this.writer.pending.add(hash);
    // Many objects without a head change (raw saves, imports): announce them without waiting.
    if (this.writer.pending.size >= 400) void this.writer.announcePending().catch(() => undefined);
    return stored;
  }

  // A local miss is fetched from a peer only for objects known to exist (announced, a head, or
  // referenced by a commit read here); any other miss is an ordinary "absent".
  async loadObject(hash: string): Promise<GitObject | undefined> {
    this.check();
    assertHash(hash);
    let found = await this.loadLocal(hash);
    if (!found && (this.known.has(hash) || this.view.isHead(hash))) {
      await this.fetcher.fetch(hash);
      found = await this.loadLocal(hash);
    }
    if (found?.type === 'commit') this.known.addReferences(found.data);
    return found;
  }

  async hasObject(hash: string): Promise<boolean> {
    this.check();
    return this.hasLocal(hash);
  }

  // Held objects are listed once: the inner store's listing skips those held when it began,
  // which are listed after it (some may have reached the inner store meanwhile).
  async *objects(): AsyncIterable<string> {
    this.check();
    const held = this.persist.hashes();
    const skip = new Set(held);
    for await (const hash of this.inner.objects()) if (!skip.has(hash)) yield hash;
    yield* held;
  }

  async deleteObject(hash: string): Promise<boolean> {
    this.check();
    assertHash(hash);
    this.known.delete(hash);
    this.writer.pending.delete(hash);
    // A held object is deleted after its write to the inner store, or that write would bring it back.
    await this.persist.drop(hash);
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

  /** The CAS through Redis; see {@link HeadWriter.updateHead}. */
  async updateHead(name: string, expected: string | null, next: string | null): Promise<void> {
    this.check();
    if (next !== null) assertHash(next);
    return this.writer.updateHead(name, expected, next);
  }

  /**
   * Push objects stored here but not yet announced, then pull what other nodes changed; resolves
   * once what it pulled is in the inner store too (as far as the inner store accepts writes).
   */
  async rescan(): Promise<void> {
    this.check();
    if (isReady(this.cmd)) {
      await this.writer.announcePending().catch(() => undefined);
      await this.catchUp.catchUp().catch(() => undefined);
      await this.catchUp.backfilled();
      // Settle writes whose reply was lost now, rather than at the follower's next idle read
      // (which a busy stream or a slow reconnect can put off for seconds).
      if (this.writer.unresolved.size > 0) await this.writer.resolveUnresolved().catch(() => undefined);
    }
    await this.persist.retryFailed();
    await this.view.retryUnwritten();
    await this.flushLocal();
  }

  watch(listener: (change: HeadChange) => void): () => void {
    return this.view.watch(listener);
  }

  /** Replication health: connected, possibly stale, unresolved writes. */
  status(): ReplicationStatus {
    const connected = isReady(this.cmd);
    // A follower that heard nothing for longer than a blocked read may take is on a dead link.
    const silent = performance.now() - this.follower.lastReply > this.options.blockMs + this.options.commandTimeoutMs;
    return {
      connected, stale: !connected || !isReady(this.connections.follower) || silent || !this.catchUp.synced, epoch: this.state.epoch, cursor: this.state.cursor, unresolved: this.writer.unresolved.size,
      persisting: this.persist.pending,
    };
  }

  async stats(): Promise<Record<string, number>> {
    this.check();
    const own: Record<string, number> = {};
    for (const [key, value] of Object.entries({ ...this.catchUp.counters, ...this.fetcher.counters })) own[`redis.${key}`] = value;
    own['redis.stale'] = this.status().stale ? 1 : 0;
    own['redis.unresolved'] = this.writer.unresolved.size;
    own['redis.persisting'] = this.persist.pending;
    own['redis.resolvedApplied'] = this.writer.resolved.applied;
    own['redis.resolvedNotApplied'] = this.writer.resolved.notApplied;
    return { ...((await this.inner.stats?.()) ?? {}), ...own };
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    clearInterval(this.watchdog);
    this.view.clearListeners();
    // A stream batch waiting for room in a queue the inner store refuses to drain would hold the close.
    this.persist.unblock();
    await this.follower.stop();
    // Fetches nobody answers would hold the close for fetchTimeoutMs each; head changes under
    // way finish (their callers get a definite outcome, and the local store and state have them).
    this.fetcher.close();
    this.catchUp.stop();
    await this.writer.settled();
    // Objects stored since the last head change still reach the other nodes.
    await this.writer.announcePending().catch(() => undefined);
    await this.catchUp.exclusive(async () => undefined);
    // Everything it wrote is in Redis: after a later loss nobody needs to wait for this node.
    // (Not when it has not joined the current generation: then it may hold changes Redis lost.)
    const joined = this.catchUp.joined;
    if (joined !== null && joined === this.state.epoch && isReady(this.cmd)) {
      await runLeave(this.cmd, this.keys, joined, this.node).catch(() => undefined);
    }
    await this.catchUp.backfilled();
    // Replicated versions readable here but still being written reach the inner store first.
    await this.flushLocal();
    await this.persist.close();
    await this.view.retryUnwritten();
    await this.state.save();
    this.connections.sub.disconnect();
    this.cmd.disconnect();
    await this.inner.close();
  }

  // After Redis comes back: catch up (or re-seed), then settle writes whose reply was lost.
  private async onReconnect(): Promise<void> {
    if (this.closing) return;
    try {
      await this.catchUp.sync();
      await this.writer.resolveUnresolved();
    } catch {
      // Dropped again: the next 'ready' retries.
    }
  }

  // The follower is idle: a good moment to notice a flushed or rolled-back Redis and to settle lost replies.
  private async checkEpoch(): Promise<void> {
    if (this.closing || !isReady(this.cmd)) return;
    try {
      await this.catchUp.verify();
      await this.persist.retryFailed();
      if (this.view.unwritten.size > 0) await this.view.retryUnwritten();
      if (this.writer.unresolved.size > 0) await this.writer.resolveUnresolved();
    } catch {
      // Unreachable again; retried at the next idle read or reconnect.
    }
  }

  private async localRaw(hash: string): Promise<Uint8Array | undefined> {
    const held = this.persist.get(hash);
    if (held) return this.rawOf(held);
    if (this.inner.loadRaw) return this.inner.loadRaw(hash);
    return this.rawOf(await this.inner.loadObject(hash));
  }

  // This node's objects: the inner store's and those replicated but not written there yet.
  private readonly localObjects = {
    hasObject: (hash: string) => this.hasLocal(hash),
    loadObject: (hash: string) => this.loadLocal(hash),
  };

  private async hasLocal(hash: string): Promise<boolean> {
    return this.persist.has(hash) || this.inner.hasObject(hash);
  }

  private async loadLocal(hash: string): Promise<GitObject | undefined> {
    return this.persist.get(hash) ?? this.inner.loadObject(hash);
  }

  /** Resolves when every replicated object and head change so far was written to the inner store (or failed to be). */
  private async flushLocal(): Promise<void> {
    await this.persist.settled();
    await this.view.flush();
  }

  private async headObjects(head: string): Promise<string[]> {
    const commit = await this.loadLocal(head);
    if (commit?.type !== 'commit') return [];
    let data: unknown;
    try {
      data = decodeCommit(commit.data, head).data;
    } catch {
      return [head]; // a damaged commit is still announced; its readers reject it
    }
    return typeof data === 'string' && (await this.hasLocal(data)) ? [head, data] : [head];
  }

  private rawOf(object: GitObject | undefined): Uint8Array | undefined {
    return object && this.context.compression.deflate(frameObject(object.type, object.data));
  }

  // Readable at once; the inner store gets it in the background (see PersistQueue).
  private holdVerified(hash: string, raw: Uint8Array): void {
    const object = decodeObject(raw, hash, 'replicated object', this.context.compression, this.context.maxObjectSize);
    this.persist.add(hash, object.type, object.data);
    this.fetcher.noteIntactCopy(hash);
  }

  private check(): void {
    if (this.closing) throw new ClosedError('redis driver');
  }
}
