import { randomBytes } from 'node:crypto';
import { assertName, isHash } from '@gitty/core';
import { runEpochSwap, runJoin, runMerge, type MergeEntry, type RedisClient } from './cas-script.js';
import type { HeadView } from './head-view.js';
import { boundedStamp, compareStreamIds, generationOf, UNKNOWN_STAMP, type StoreKeys } from './keys.js';
import type { ReplicaState } from './replica-state.js';
import { toEntries, type StreamEntry } from './stream-follower.js';

/** Counters the driver reports in `stats()`. */
export interface ReplicaCounters {
  replicated: number;
  duplicates: number;
  rejected: number;
  malformed: number;
  reconciles: number;
  merges: number;
  /** Times Redis was found rolled back within an epoch (restarted from an older copy, lagging replica promoted). */
  rollbacks: number;
}

/** What catching up needs from the driver. */
export interface CatchUpDeps {
  cmd: RedisClient;
  keys: StoreKeys;
  state: ReplicaState;
  view: HeadView;
  node: string;
  maxLen: number;
  /** This node has the object: held in memory or in the inner store. */
  hasLocal(hash: string): Promise<boolean>;
  /**
   * Verify compressed bytes against `hash` (throws CORRUPT_OBJECT) and hold the object: readable
   * here at once, written to the inner store in the background.
   */
  holdVerified(hash: string, raw: Uint8Array): void;
  /** Resolves when the objects and head writes waiting for the inner store are below their limits. */
  room(): Promise<void>;
  /** Make sure a head's commit and blob are local, fetching from peers (errors are counted, not thrown). */
  ensureHead(head: string): Promise<void>;
  /** Remember that an object exists somewhere, so a local miss is fetched rather than reported absent. */
  remember(hash: string): void;
  /** The stream's copy of an object was damaged (a fetch that finds no intact one reports CORRUPT_OBJECT). */
  rejected(hash: string): void;
}

const PAGE = 500;
const MERGE_CHUNK = 300;
// Heads whose objects are fetched at once after a reconcile: a fetch nobody answers costs
// fetchTimeoutMs, so a rescan waiting for many of them takes (missing / this) × that.
const BACKFILL_PARALLEL = 32;

/**
 * Bringing a node up to date with Redis, all under one lock so entries apply in stream order:
 * - apply: stream entries after the cursor; objects are verified and held (readable, written to
 *   the inner store in the background) before the head events that follow them; every entry
 *   carries the generation's sequence number, so a gap (entries trimmed before this node read
 *   them) is detected and answered with a reconcile;
 * - replay: everything after the cursor (a node that was down or frozen);
 * - reconcile: adopt all heads from Redis (HGETALL, consistent with the stream position in one
 *   MULTI) and fetch the objects of heads this node lacks;
 * - sync: check the epoch. A missing epoch means Redis lost the store: the first node to notice
 *   starts a new generation, and every node merges its heads and tombstones into it (the newer
 *   stamp wins per name), then replays the new stream from its start.
 */
export class CatchUp {
  readonly counters: ReplicaCounters = { replicated: 0, duplicates: 0, rejected: 0, malformed: 0, reconciles: 0, merges: 0, rollbacks: 0 };
  /** True once the node has synced with the current epoch and not lost the connection since. */
  synced = false;
  /** The epoch this process has joined as a member (merged into, or followed with nothing to merge). */
  joined: string | null = null;
  private lock: Promise<unknown> = Promise.resolve();
  private backfill: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly d: CatchUpDeps) {}

  /** Run `task` alone: entries, replays, reconciles and syncs never interleave. */
  exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.lock.then(task, task);
    this.lock = run.catch(() => undefined);
    return run;
  }

  /** Entries from the follower. */
  onEntries(entries: StreamEntry[]): Promise<void> {
    return this.exclusive(() => this.apply(entries));
  }

  /** Replay everything after the cursor (rescan). */
  catchUp(): Promise<void> {
    return this.exclusive(() => (this.synced ? this.replay() : this.syncNow()));
  }

  /** Check the epoch, merge if Redis lost the store or this node joins a new generation, then replay. */
  sync(): Promise<void> {
    return this.exclusive(() => this.syncNow());
  }

  /**
   * The idle check: sync when the epoch moved or the node is not synced, and treat a Redis that
   * went back in time within the epoch as a loss (new generation and merge).
   */
  verify(): Promise<void> {
    return this.exclusive(async () => {
      if (!this.synced || (await this.probe()) !== 'ok') await this.syncNow();
    });
  }

  /**
   * Is Redis still the one this node followed? 'epoch': the epoch changed (flush, newer
   * generation). 'rollback': same epoch, but the redis-server process is not the one the
   * generation started on (a restart or failover, which may have lost changes no node has
   * seen yet), or Redis visibly went back in time — its counter is below a
   * sequence number this node saw, or the entry at the node's cursor vanished from a stream
   * that was not trimmed past it (restarted from an older snapshot, failover to a lagging
   * replica). Either way acknowledged changes may be gone from Redis.
   */
  private async probe(): Promise<'ok' | 'epoch' | 'rollback'> {
    const { cmd, keys, state } = this.d;
    const replies = await cmd.multi().get(keys.epoch).get(keys.seq).xrange(keys.stream, state.cursor, state.cursor)
      .xrange(keys.stream, '-', '+', 'COUNT', 1).get(keys.server).info('server').hgetall(keys.members).exec();
    if (!replies) throw new Error('probe transaction aborted');
    for (const [err] of replies) if (err) throw err;
    const [epoch, seq, atCursor, first, server, info, members] = replies.map(([, value]) => value) as [
      string | null, string | null, Array<[string, string[]]>, Array<[string, string[]]>, string | null, string, Record<string, string>,
    ];
    if (epoch !== state.epoch) return 'epoch';
    this.learnMembers(epoch, members);
    // Restarted or failed over since the generation started: what it lost is unknown.
    if (server !== /run_id:([0-9a-f]+)/.exec(info)?.[1]) return 'rollback';
    if (Number(seq ?? 0) < state.highestSeq()) return 'rollback';
    const firstId = first[0]?.[0];
    if (state.cursor !== '0-0' && atCursor.length === 0 && firstId !== undefined && compareStreamIds(firstId, state.cursor) <= 0) return 'rollback';
    return 'ok';
  }

  private async syncNow(): Promise<void> {
    const { cmd, keys, state } = this.d;
    for (let attempt = 0; attempt < 5; attempt++) {
      let epoch = await cmd.get(keys.epoch);
      const mine = state.epoch;
      const rolledBack = epoch !== null && epoch === mine && (await this.probe()) === 'rollback';
      if (epoch === null || generationOf(epoch) < generationOf(mine) || rolledBack) {
        // Lost (or restored from an older copy): start the next generation, unless a peer just
        // did. Generations are numbered by Redis's clock (never this node's, which may be ahead)
        // and always above every one this node saw, so two generations started after separate
        // losses are still ordered.
        const floor = Math.max(generationOf(mine) + 1, generationOf(epoch) + 1);
        // A node that never followed a generation is seeding (e.g. an existing store put behind
        // Redis for the first time): nothing acknowledged through Redis can be lost, no settling.
        // Members active in the generation this node followed are waited for before writes resume.
        const lostFrom = mine === null ? null : generationOf(mine);
        epoch = await runEpochSwap(cmd, keys, epoch ?? '', floor, randomBytes(6).toString('hex'), lostFrom);
      }
      if (epoch !== mine) {
        if (!(await this.merge(epoch))) continue;
        if (!(await this.adoptMerged(epoch))) continue;
        this.counters.merges++;
        if (rolledBack) this.counters.rollbacks++;
      }
      // Only now has everything this node holds reached the generation: join, so writes after a
      // loss stop waiting for it (and name the members it knows, which a flush took away).
      if (this.joined !== epoch) {
        if ((await runJoin(cmd, keys, epoch, this.d.node, state.members)) < 0) continue;
        this.joined = epoch;
      }
      await this.replay();
      this.synced = true;
      return;
    }
    throw new Error('the Redis epoch kept changing during sync');
  }

  // This node's heads and tombstones, each with the stamp of the change that made it.
  private async merge(epoch: string): Promise<boolean> {
    const { view, state } = this.d;
    const entries: MergeEntry[] = [];
    for (const name of new Set([...view.heads.keys(), ...state.stamps.keys()])) {
      const head = view.heads.get(name) ?? null;
      const known = state.stamps.get(name);
      const stamp = known && known[0] === head ? known[1] : UNKNOWN_STAMP;
      if (head === null && stamp === UNKNOWN_STAMP) continue;
      entries.push({ name, head, stamp });
    }
    for (let i = 0; i < entries.length; i += MERGE_CHUNK) {
      const done = await runMerge(this.d.cmd, this.d.keys, epoch, this.d.maxLen, this.d.node, entries.slice(i, i + MERGE_CHUNK));
      if (done < 0) return false;
    }
    return true;
  }

  /**
   * After this node's merge Redis holds, per name, the newest state any node brought. Where that
   * is not this node's (it lost the merge against a newer change, or never knew the name), no
   * stream entry may ever tell it: a merge announces only changes of Redis's heads, and a
   * generation started after a rollback keeps the heads the old copy had. So adopt Redis's
   * heads and stamps now; the replay that follows ignores entries they already cover.
   * The node takes the new epoch only together with them, after the read succeeded: had it
   * taken the epoch first, a failed read (timeout, dropped link, crash) would leave it in the
   * new generation without them, and its next sync, seeing the epoch unchanged, would only
   * replay. False when the epoch moved on meanwhile.
   */
  private async adoptMerged(epoch: string): Promise<boolean> {
    const { cmd, keys, state, view } = this.d;
    const replies = await cmd.multi().get(keys.epoch).hgetall(keys.heads).hgetall(keys.stamps).hgetall(keys.members).exec();
    if (!replies) throw new Error('merge adoption transaction aborted');
    for (const [err] of replies) if (err) throw err;
    const [current, heads, stamps, members] = replies.map(([, value]) => value) as [
      string | null, Record<string, string>, Record<string, string>, Record<string, string>,
    ];
    if (current !== epoch) return false;
    state.restart(epoch);
    // Added to what this node knows (not replacing it): its join passes them all on.
    for (const [node, gen] of Object.entries(members)) if (Number(gen) > (state.members.get(node) ?? -1)) state.members.set(node, Number(gen));
    const adopted: string[] = [];
    for (const name of new Set([...Object.keys(heads), ...Object.keys(stamps)])) {
      const head = heads[name] ?? null;
      const stamp = boundedStamp(stamps[name] ?? UNKNOWN_STAMP, epoch);
      const known = state.stamps.get(name);
      if ((view.heads.get(name) ?? null) === head && known?.[0] === head && known[1] === stamp) continue;
      if (head) {
        this.d.remember(head);
        adopted.push(head);
      }
      state.stamps.set(name, [head, stamp]);
      view.set(name, head, true);
    }
    state.scheduleSave();
    await this.backfillHeads(adopted);
    return true;
  }

  // Fetched outside the lock: replication goes on while the history is backfilled.
  private async backfillHeads(heads: string[]): Promise<void> {
    const missing: string[] = [];
    for (const head of heads) if (!(await this.d.hasLocal(head))) missing.push(head);
    this.backfill = this.backfill.then(async () => {
      for (let i = 0; i < missing.length && !this.stopped; i += BACKFILL_PARALLEL) {
        await Promise.all(missing.slice(i, i + BACKFILL_PARALLEL).map((h) => this.d.ensureHead(h)));
      }
    });
  }

  private async replay(): Promise<void> {
    const { cmd, keys, state } = this.d;
    while (true) {
      const replies = await cmd.multi().xrangeBuffer(keys.stream, `(${state.cursor}`, '+', 'COUNT', PAGE).get(keys.seq)
        .get(keys.epoch).hgetall(keys.members).exec();
      if (!replies) throw new Error('replay transaction aborted');
      const [[rangeErr, range], [seqErr, seqText], [epochErr, epoch], [membersErr, members]] = replies as [
        [Error | null, Array<[Buffer, Buffer[]]>], [Error | null, string | null], [Error | null, string | null], [Error | null, Record<string, string>],
      ];
      if (rangeErr || seqErr || epochErr || membersErr) throw rangeErr ?? seqErr ?? epochErr ?? membersErr;
      this.learnMembers(epoch, members);
      if (range.length === 0) {
        // Nothing after the cursor, yet the counter is ahead: the stream was trimmed or deleted.
        if (Number(seqText ?? 0) > state.seq) await this.reconcile();
        return;
      }
      await this.apply(toEntries(range));
    }
  }

  // Redis's members replace what this node knew once it has joined the epoch they belong to
  // (its own knowledge has been passed on by then; members Redis dropped are gone for good).
  private learnMembers(epoch: string | null, members: Record<string, string>): void {
    if (epoch === null || epoch !== this.d.state.epoch || epoch !== this.joined) return;
    this.d.state.members.clear();
    for (const [node, gen] of Object.entries(members)) {
      const value = Number(gen);
      if (Number.isSafeInteger(value)) this.d.state.members.set(node, value);
    }
  }

  private async apply(entries: StreamEntry[]): Promise<void> {
    const { state } = this.d;
    if (state.epoch === null) {
      // Entries read before the first sync (Redis was down at start): sync first, which replays them.
      await this.syncNow();
      return;
    }
    let probed = false;
    for (const entry of entries) {
      if (compareStreamIds(entry.id, state.cursor) <= 0) continue;
      const seq = Number(entry.fields.get('seq')?.toString());
      const type = entry.fields.get('type')?.toString();
      if (!Number.isSafeInteger(seq) || seq <= 0 || (type !== 'objects' && type !== 'head')) {
        this.counters.malformed++;
        state.cursor = entry.id;
        continue;
      }
      if (seq <= state.seq) {
        // After the cursor, yet numbered at or below it: a copy of an applied entry, or Redis
        // went back in time (then the epoch or the counter tells, and this node re-seeds).
        if (!probed) {
          probed = true;
          if ((await this.probe()) !== 'ok') {
            this.synced = false;
            await this.syncNow();
            return;
          }
        }
        // A copy of an entry already applied: never applied twice.
        this.counters.duplicates++;
        state.cursor = entry.id;
        continue;
      }
      if (seq > state.seq + 1) {
        await this.reconcile();
        continue;
      }
      await this.d.room();
      if (type === 'objects') await this.storeAnnounced(entry);
      else this.applyHead(entry, seq);
      state.cursor = entry.id;
      state.seq = seq;
      state.scheduleSave();
    }
  }

  // The objects of one entry are verified and held (their large-object keys read concurrently);
  // the head events after it apply only when all are held, so a visible head's objects are here.
  private async storeAnnounced(entry: StreamEntry): Promise<void> {
    const own = entry.fields.get('node')?.toString() === this.d.node;
    const stores: Array<Promise<void>> = [];
    for (const [field, value] of entry.fields) {
      const kind = field.slice(0, 2);
      if (kind !== 'o:' && kind !== 'r:') continue;
      const hash = field.slice(2);
      if (!isHash(hash)) {
        this.counters.malformed++;
        continue;
      }
      this.d.remember(hash);
      stores.push(this.storeOne(hash, kind === 'o:' ? value : undefined, own));
    }
    await Promise.all(stores);
  }

  private async storeOne(hash: string, inline: Buffer | undefined, own: boolean): Promise<void> {
    // Our own announcements are normally here already, but a node restarted on an empty store
    // under the same node id takes them like any other.
    if (await this.d.hasLocal(hash)) {
      if (!own) this.counters.duplicates++;
      return;
    }
    const raw = inline ?? (await this.d.cmd.getBuffer(this.d.keys.objectKey(hash)).catch(() => null));
    if (!raw) return; // expired: fetched from a peer when needed
    try {
      this.d.holdVerified(hash, raw);
      this.counters.replicated++;
    } catch (err) {
      if ((err as { code?: string }).code !== 'CORRUPT_OBJECT') throw err;
      this.counters.rejected++;
      this.d.rejected(hash);
    }
  }

  private applyHead(entry: StreamEntry, seq: number): void {
    const text = (key: string) => entry.fields.get(key)?.toString('utf8') ?? '';
    const name = text('name');
    const next = text('new') || null;
    const stamp = text('stamp');
    try {
      assertName(name);
    } catch {
      this.counters.malformed++;
      return;
    }
    if (!this.plausibleStamp(stamp, seq) || (next !== null && !isHash(next))) {
      this.counters.malformed++;
      return;
    }
    if (next) this.d.remember(next);
    this.d.view.apply(name, next, stamp, text('node') !== this.d.node);
  }

  // A stamp orders every later change of its name, so one from the future would freeze the name
  // on every node: it must belong to this generation or an older one (merged entries carry their
  // original stamps), and within this generation not lie beyond the entry's own number.
  private plausibleStamp(stamp: string, seq: number): boolean {
    const match = /^(\d{1,16}):(\d{1,16})$/.exec(stamp);
    if (!match) return false;
    const gen = Number(match[1]);
    const current = generationOf(this.d.state.epoch);
    return gen < current || (gen === current && Number(match[2]) <= seq);
  }

  /** Adopt every head from Redis and move the cursor to the stream's end, in one consistent snapshot. */
  private async reconcile(): Promise<void> {
    const { cmd, keys, state, view } = this.d;
    const replies = await cmd.multi().get(keys.epoch).hgetall(keys.heads).hgetall(keys.stamps).get(keys.seq)
      .xrevrange(keys.stream, '+', '-', 'COUNT', 1).exec();
    if (!replies) throw new Error('reconcile transaction aborted');
    for (const [err] of replies) if (err) throw err;
    const [epoch, heads, stamps, seq, last] = replies.map(([, value]) => value) as [
      string | null, Record<string, string>, Record<string, string>, string | null, Array<[string, string[]]>,
    ];
    if (epoch !== state.epoch) {
      // Redis lost the store meanwhile: start over through the merge.
      this.synced = false;
      await this.syncNow();
      return;
    }
    for (const [name, head] of Object.entries(heads)) {
      this.d.remember(head);
      view.set(name, head, true);
    }
    for (const name of [...view.heads.keys()]) if (!(name in heads)) view.set(name, null, true);
    state.stamps.clear();
    for (const [name, stamp] of Object.entries(stamps)) state.stamps.set(name, [heads[name] ?? null, boundedStamp(stamp, epoch)]);
    state.cursor = last[0]?.[0] ?? '0-0';
    state.seq = Number(seq ?? 0);
    state.scheduleSave();
    this.counters.reconciles++;
    await this.backfillHeads(Object.values(heads));
  }

  /** Stop backfilling (the node is closing; a later start reconciles again). */
  stop(): void {
    this.stopped = true;
  }

  /** Resolves when the objects of heads adopted by a reconcile so far have been fetched (or given up on). */
  backfilled(): Promise<void> {
    return this.backfill;
  }
}
