import { StorageFullError } from '@gitty/core';
import { appendFile, mkdir, readFile, rename, truncate, writeFile } from 'node:fs/promises';
import { compareStamps } from './keys.js';
import path from 'node:path';

/** What a node remembers of its place in the replication, per name and overall. */
export interface ReplicaSnapshot {
  /** The Redis epoch (`<generation>:<random>`) the cursor belongs to; null before the first sync. */
  epoch: string | null;
  /** Id of the last stream entry applied. */
  cursor: string;
  /** Sequence number of the last stream entry applied (gaps mean entries were trimmed). */
  seq: number;
  /** name → [head or null for deleted, stamp of that change]. */
  stamps: Record<string, [string | null, string]>;
  /** Names whose head (as in `stamps`) the inner store failed to write: written at the next start. */
  unwritten?: string[];
  /** The members of the store as last read from Redis: node id → the generation it last joined. */
  members?: Record<string, number>;
}

const FILE = 'redis-replica.json';

/**
 * The node's replication state, kept in a small JSON file in the inner store's folder (or only
 * in memory). Saved lazily: an older saved cursor only means replaying entries again, which is
 * idempotent (objects are content-addressed, head events carry stamps).
 */
export class ReplicaState {
  epoch: string | null = null;
  cursor = '0-0';
  seq = 0;
  /** Highest sequence number of this epoch in a stamp of this node's own writes (not yet read back, maybe). */
  ownSeq = 0;
  readonly stamps = new Map<string, [string | null, string]>();
  /**
   * The store's members as last read from Redis (node id → generation it last joined). Kept
   * across restarts: after Redis lost them too, the merging nodes name who else to wait for.
   */
  readonly members = new Map<string, number>();
  /** Loaded from the file: names to write to the inner store at start (see {@link ReplicaSnapshot.unwritten}). */
  readonly unwritten = new Set<string>();
  /** Names whose inner write has failed, asked for after the inner writes before a save are done. */
  pendingWrites: () => Iterable<string> = () => [];
  private timer: NodeJS.Timeout | undefined;
  private saving: Promise<void> = Promise.resolve();
  /** Awaited after the snapshot is taken and before it is written (the inner heads it describes must be written first). */
  beforeSave: () => Promise<void> = async () => {};

  // Own acknowledged changes are appended here before the caller learns of them, so a node
  // killed before its next save still knows their stamps; two files take turns so a save can
  // empty the one its snapshot covers while new lines go to the other.
  private journalIndex: 0 | 1 = 0;
  private readonly journalWrites: [Promise<void>, Promise<void>] = [Promise.resolve(), Promise.resolve()];

  private constructor(private readonly file: string | undefined) {}

  private journalFile(index: 0 | 1): string {
    return `${this.file!}.own-${index}`;
  }

  /**
   * Record an acknowledged change this node made, before it is acknowledged. Without it, a node
   * killed between the acknowledgement and its next save restarts with the change in its inner
   * store but not its stamp, and would merge it after a Redis loss with the unknown stamp `0:0`,
   * losing against any older state another node brings (the chaos campaign's redis-sqlite seed 9).
   * Throws (STORAGE_FULL when there is no room) when the line could not be written.
   */
  async journalOwn(name: string, head: string | null, stamp: string): Promise<void> {
    if (!this.file) return;
    const index = this.journalIndex;
    const file = this.journalFile(index);
    const line = `${JSON.stringify([name, head, stamp])}\n`;
    const append = this.journalWrites[index].then(() => appendFile(file, line).catch(async (err: unknown) => {
      if ((err as { code?: unknown }).code !== 'ENOENT') throw err;
      await mkdir(path.dirname(file), { recursive: true }); // a state folder not made yet
      await appendFile(file, line);
    }));
    this.journalWrites[index] = append.catch(() => undefined);
    try {
      await append;
    } catch (err) {
      // Not recorded (full disk, the folder gone): the caller must not acknowledge the change.
      // The inner store's head write (which needs room too) is no substitute: without its stamp
      // a restarted node merges the head as 0:0, and a delete not at all, so a Redis that loses
      // the change while this node restarts loses it for good (the chaos campaign's redis-files
      // run, seed 1497455174: a delete and a create acknowledged on a full tmpfs were undone).
      const code = (err as { code?: unknown }).code;
      if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EFBIG') throw new StorageFullError(file, { cause: err });
      throw err;
    }
  }

  // Changes in the journals newer than the saved state: adopted, and written to the inner store at start.
  private async loadJournals(): Promise<void> {
    for (const index of [0, 1] as const) {
      let text: string;
      try {
        text = await readFile(this.journalFile(index), 'utf8');
      } catch {
        continue;
      }
      for (const line of text.split('\n')) {
        let entry: unknown;
        try {
          entry = JSON.parse(line);
        } catch {
          continue; // the last line of a node killed while appending
        }
        if (!Array.isArray(entry) || typeof entry[0] !== 'string' || typeof entry[2] !== 'string' || (entry[1] !== null && typeof entry[1] !== 'string')) continue;
        const [name, head, stamp] = entry as [string, string | null, string];
        const known = this.stamps.get(name);
        if (known && compareStamps(stamp, known[1]) <= 0) continue;
        this.stamps.set(name, [head, stamp]);
        this.unwritten.add(name);
      }
    }
  }

  /** Load the state from `dir` (none there, or no dir: a fresh state). */
  static async open(dir: string | undefined, storeId: string): Promise<ReplicaState> {
    const file = dir === undefined ? undefined : path.join(dir, storeId === 'default' ? FILE : `redis-replica-${storeId.replace(/[^A-Za-z0-9_.-]/g, '_')}.json`);
    const state = new ReplicaState(file);
    if (!file) return state;
    try {
      const parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<ReplicaSnapshot>;
      if (typeof parsed.epoch === 'string') state.epoch = parsed.epoch;
      if (typeof parsed.cursor === 'string' && /^\d+-\d+$/.test(parsed.cursor)) state.cursor = parsed.cursor;
      if (Number.isSafeInteger(parsed.seq)) state.seq = parsed.seq as number;
      for (const [name, entry] of Object.entries(parsed.stamps ?? {})) {
        if (Array.isArray(entry) && typeof entry[1] === 'string') state.stamps.set(name, [typeof entry[0] === 'string' ? entry[0] : null, entry[1]]);
      }
      for (const name of Array.isArray(parsed.unwritten) ? parsed.unwritten : []) if (typeof name === 'string') state.unwritten.add(name);
      for (const [node, gen] of Object.entries(parsed.members ?? {})) if (Number.isSafeInteger(gen)) state.members.set(node, gen);
    } catch {
      // Missing or unreadable: start fresh; the next sync replays or reconciles.
    }
    await state.loadJournals();
    return state;
  }

  /** Start over in another generation: the cursor of the old stream means nothing there. */
  restart(epoch: string): void {
    this.epoch = epoch;
    this.cursor = '0-0';
    this.seq = 0;
    this.ownSeq = 0;
    this.scheduleSave();
  }

  /** Remember the sequence number of an own write's stamp (`<generation>:<seq>`) in this epoch. */
  noteOwnStamp(stamp: string): void {
    const seq = Number(stamp.split(':')[1]);
    if (Number.isSafeInteger(seq) && seq > this.ownSeq) this.ownSeq = seq;
  }

  /**
   * The highest sequence number of this epoch the node has seen (applied or written). Redis's
   * counter is never below it unless Redis lost acknowledged changes.
   */
  highestSeq(): number {
    return Math.max(this.seq, this.ownSeq);
  }

  /** Save soon (coalesces bursts of applied entries into one write). */
  scheduleSave(): void {
    if (!this.file || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.save();
    }, 100);
  }

  /** Write the file now (temp file, then rename, so a crash never leaves half a file). */
  async save(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const file = this.file;
    if (!file) return;
    this.saving = this.saving.then(async () => {
      // New journal lines go to the other file from now on; this snapshot covers the current one.
      const covered = this.journalIndex;
      this.journalIndex = covered === 0 ? 1 : 0;
      const snapshot: ReplicaSnapshot = {
        epoch: this.epoch, cursor: this.cursor, seq: this.seq, stamps: Object.fromEntries(this.stamps), members: Object.fromEntries(this.members),
      };
      await this.beforeSave();
      // Failed inner writes as of now: their heads are in the snapshot's stamps (or newer ones,
      // which a replay from the snapshot's cursor brings again).
      const unwritten = [...this.pendingWrites()];
      if (unwritten.length > 0) snapshot.unwritten = unwritten;
      await mkdir(path.dirname(file), { recursive: true });
      const temp = `${file}.${process.pid}.tmp`;
      await writeFile(temp, JSON.stringify(snapshot));
      await rename(temp, file);
      await this.journalWrites[covered];
      await truncate(this.journalFile(covered)).catch(() => undefined); // none written: nothing to empty
    }).catch(() => {
      // The store folder vanished (removed after close): nothing worth keeping.
    });
    await this.saving;
  }
}
