import {
  decodeCommit, isGittyError, stringifyExactJson, type Commit, type GitObject, type ProgressListener,
} from '@gitty/core';
import { indexBody } from './index-body.js';
import type { HeadLogAccess, LogPosition } from './head-log-port.js';
import type { IndexDb, IndexedHead } from './index-db.js';
import { headsAfter, readAllHeads, readLog, replayRead, type TailRead } from './log-read.js';

/** Loads an object by hash (the inner driver's `loadObject`, through the recent-writes cache). */
export type ObjectLoader = (hash: string) => Promise<GitObject | undefined>;

/**
 * The outcome of a catch-up: how many head changes it read and the log position the index
 * then holds (the log's end as read, or the start of a line holding NUL bytes when
 * `stoppedAtNul`: read it again under the lock), or that the index needs a rebuild.
 */
export type CatchUpResult = { applied: number; position: LogPosition; stoppedAtNul: boolean } | { rebuild: 'missing' | 'epoch' };

/**
 * Where a rebuild committed the index, and whether it stopped before a line holding NUL bytes.
 * `committed` is false only when it stopped there and the shared index is already past that
 * line (another process read it under the lock): read again under the lock.
 */
export interface RebuildResult {
  position: LogPosition;
  stoppedAtNul: boolean;
  committed: boolean;
}

/** How many rounds a rebuild may find the index ahead of the log's end before it gives up. */
const MAX_STALLED_ROUNDS = 100;

/** How many commits a rebuild loads between two progress reports. */
const PROGRESS_EVERY = 1000;

/**
 * Keeps the index in step with the head log. The log is the truth: a catch-up applies the log's
 * tail after the index's position in one transaction; a rebuild reads the whole log and loads
 * each head's commit, data and history from the objects. Other processes may share the same
 * index file, so a catch-up commits only if the position it started from is still the index's
 * (otherwise someone else applied it, and it starts over). Lines apply by the log's replay rule
 * (see {@link headsAfter}). A reader without the lock (`stopAtNul`) stops before a line holding
 * NUL bytes and says so; the caller reads it again under the lock.
 */
export class IndexCatchUp {
  private readonly strict: boolean;

  constructor(
    private readonly index: IndexDb,
    private readonly log: Pick<HeadLogAccess, 'file' | 'readFrom' | 'scan' | 'strict'>,
    private readonly load: ObjectLoader,
  ) {
    this.strict = log.strict === true;
  }

  /** Apply the log tail after the index's position. No object is read when the tail is empty. */
  async catchUp(stopAtNul = false): Promise<CatchUpResult> {
    for (;;) {
      const position = this.index.position();
      if (!position) return { rebuild: 'missing' };
      const tail = await readLog(this.log, position, stopAtNul);
      // A tail of another epoch is the log carried over a compaction (driver-files follows its
      // links): it applies like any tail. A log read from its start (rebuilt) needs a rebuild.
      if (!tail || tail.reset) return { rebuild: 'epoch' };
      if (tail.offset === position.offset && tail.epoch === position.epoch) return { applied: 0, position, stoppedAtNul: tail.stoppedAtNul };
      // The index's heads are those at `position`; the commit below checks it is still there.
      const replay = replayRead(tail, this.strict, (name) => this.index.getHead(name) ?? null);
      if (replay.voided > 0) {
        const resynced = await this.resync(position, stopAtNul);
        if (resynced) return resynced;
        continue;
      }
      const updates = await this.resolve(replay.heads, false);
      const committed = this.index.transaction(() => {
        const now = this.index.position();
        if (!now || now.epoch !== position.epoch || now.offset !== position.offset) return false;
        apply(this.index, updates);
        this.index.setPosition({ epoch: tail.epoch, offset: tail.offset });
        return true;
      });
      if (committed) return { applied: tail.events.length, position: { epoch: tail.epoch, offset: tail.offset }, stoppedAtNul: tail.stoppedAtNul };
    }
  }

  /**
   * A tail held a line that does not apply to the index's heads: a void line (its writer lost
   * the lock to a stall), or an index that went wrong (e.g. one an older version built applying
   * void lines). Which it is takes the whole log, so replay it (the log only; objects are read
   * for changed heads alone) and set every head that differs from the log's. Resolves undefined
   * when the index moved meanwhile (the caller starts over).
   */
  private async resync(position: LogPosition, stopAtNul: boolean): Promise<CatchUpResult | undefined> {
    const all = await readAllHeads(this.log, stopAtNul);
    const full = all?.read;
    // A line that may not have arrived yet: decide under the lock, where it is final.
    if (full?.stoppedAtNul) return { applied: 0, position, stoppedAtNul: true };
    if (!full || full.epoch !== position.epoch || full.offset < position.offset) return { rebuild: 'epoch' };
    const logHeads = all!.heads;
    const changed = new Map<string, string | null>();
    for (const [name, head] of logHeads) if ((this.index.getHead(name) ?? null) !== head) changed.set(name, head);
    for (const { name } of this.index.heads()) if (!logHeads.has(name)) changed.set(name, null);
    const updates = await this.resolve(changed, false);
    const committed = this.index.transaction(() => {
      const now = this.index.position();
      if (!now || now.epoch !== position.epoch || now.offset !== position.offset) return false;
      apply(this.index, updates);
      this.index.setPosition({ epoch: full.epoch, offset: full.offset });
      return true;
    });
    return committed ? { applied: changed.size, position: { epoch: full.epoch, offset: full.offset }, stoppedAtNul: full.stoppedAtNul } : undefined;
  }

  /**
   * Rebuild the index from the whole head log and the objects it names: every head's commit
   * and text, and every commit of every head's history (so history never reads objects).
   * Loading the objects takes time, and other processes sharing the index may apply newer log
   * lines meanwhile: the rebuild commits only while the index is not ahead of the log position
   * it read (else it would move the shared index back, hiding acknowledged updates from every
   * reader and letting a stale CAS compare against an old head). Before each attempt it reads
   * the lines appended since its position and resolves them too, and it starts over when the log
   * was replaced meanwhile (a new epoch), so what it commits is the log's end as far as it can
   * see (with `stopAtNul`, up to a line holding NUL bytes). Returns the position committed.
   */
  async rebuild(onProgress?: ProgressListener, stopAtNul = false): Promise<RebuildResult> {
    const all = await readAllHeads(this.log, stopAtNul);
    let tail: TailRead = all?.read ?? { epoch: '', offset: 0, reset: true, events: [], stoppedAtNul: false };
    const heads = all?.heads ?? new Map<string, string | null>();
    // Every head as of the position read, for applying the rule to the lines read after it.
    const known = new Map(heads);
    const total = heads.size;
    onProgress?.({ phase: 'sqlite-reindex', done: 0, total });
    const updates = await this.resolve(heads, true, (done) => {
      if (done % PROGRESS_EVERY === 0) onProgress?.({ phase: 'sqlite-reindex', done, total });
    });
    const history = await this.histories(updates);
    let stalls = 0;
    for (;;) {
      const read: LogPosition = { epoch: tail.epoch, offset: tail.offset };
      const more = tail.epoch === '' ? undefined : await readLog(this.log, read, stopAtNul);
      // The log was replaced since the read (rebuilt): start over on the new log. A compaction
      // is carried over (a tail of the new epoch) and goes on like any tail.
      if (more?.reset) return this.rebuild(onProgress, stopAtNul);
      if (more && (more.offset > read.offset || more.epoch !== read.epoch)) {
        const moved = headsAfter(more, this.strict, (name) => known.get(name) ?? null);
        for (const [name, head] of moved) known.set(name, head);
        const newer = await this.resolve(moved, true);
        for (const [name, update] of newer) updates.set(name, update);
        history.push(...(await this.histories(newer)));
        tail = more;
        continue;
      }
      const committed = this.index.transaction(() => {
        if (isAhead(this.index.position(), read)) return false;
        this.index.clear();
        for (const [commit, body] of history) this.index.putCommit(commit, body);
        apply(this.index, updates);
        this.index.setPosition(read);
        return true;
      });
      const stoppedAtNul = tail.stoppedAtNul || (more?.stoppedAtNul ?? false);
      if (committed) {
        onProgress?.({ phase: 'sqlite-reindex', done: total, total });
        return { position: read, stoppedAtNul, committed: true };
      }
      // Ahead of a line this read cannot pass without the lock: reading again would spin.
      if (stoppedAtNul) return { position: read, stoppedAtNul, committed: false };
      // The index got ahead between the tail read and the commit: read the new lines next round.
      // With no new line to read, the index is ahead of the log's end: an error, not a spin.
      if ((more?.offset ?? read.offset) === read.offset && ++stalls >= MAX_STALLED_ROUNDS) {
        throw new Error(`The sqlite index of ${this.log.file} is ahead of its head log's end (${read.offset}); reindex after removing it`);
      }
    }
  }

  /**
   * Index again the heads that wait for one of `hashes` (their commit or data was missing when
   * they were indexed; see the `waiting` table), now that it may be stored. Each is written
   * only if it is still the head, so a concurrent catch-up's newer head is never replaced.
   */
  async indexWaiting(hashes: Iterable<string>): Promise<void> {
    const heads = new Map<string, string | null>();
    for (const hash of hashes) {
      for (const name of this.index.waitingFor(hash)) {
        const head = this.index.getHead(name);
        if (head !== undefined) heads.set(name, head);
      }
    }
    if (heads.size === 0) return;
    const updates = await this.resolve(heads, true);
    this.index.transaction(() => {
      for (const [name, update] of updates) {
        if (update && this.index.getHead(name) === update.commit.commit) this.index.setHead(name, update);
      }
    });
  }

  /** Commit and (when its data changed, or always on a rebuild) text of each new head. */
  private async resolve(
    heads: Map<string, string | null>,
    fresh: boolean,
    progress?: (done: number) => void,
  ): Promise<Map<string, IndexedHead | null>> {
    const updates = new Map<string, IndexedHead | null>();
    let done = 0;
    for (const [name, head] of heads) {
      progress?.(++done);
      if (head === null) {
        updates.set(name, null);
        continue;
      }
      if (!fresh && this.index.getHead(name) === head) continue;
      const { commit, body } = await this.commit(head, name, fresh);
      const indexed = fresh ? undefined : this.index.indexedData(name);
      let text: string | null | undefined;
      if (body === null) text = null;
      else if (indexed !== commit.data) {
        const blob = await this.load(commit.data);
        text = blob ? new TextDecoder().decode(blob.data) : null;
      }
      updates.set(name, { commit, body, text });
    }
    return updates;
  }

  /**
   * A commit from the index, or from its object when the index has not seen it. A head whose
   * commit is missing or damaged is still the head (the log is the truth; fsck reports it, and
   * deleting or updating it must stay possible): it gets a placeholder and no commits row, so
   * listings and search leave it out, as the scan fallback cannot list it either.
   */
  private async commit(hash: string, name: string, fresh: boolean): Promise<{ commit: Commit; body: string | null }> {
    const known = fresh ? undefined : this.index.getCommit(hash);
    if (known) {
      const { commit: _hash, ...stored } = known;
      return { commit: known, body: stringifyExactJson(stored) };
    }
    const placeholder = { commit: { commit: hash, name, data: '', time: 0 }, body: null };
    try {
      const object = await this.load(hash);
      if (!object || object.type !== 'commit') return placeholder;
      const commit = decodeCommit(object.data, hash, `head of "${name}"`);
      return { commit, body: indexBody(object.data, commit) };
    } catch (err) {
      if (isGittyError(err, 'CORRUPT_OBJECT')) return placeholder;
      throw err;
    }
  }

  /** Every older commit of every head's history (a rebuild fills the commits table with them). */
  private async histories(updates: Map<string, IndexedHead | null>): Promise<Array<[Commit, string]>> {
    const found: Array<[Commit, string]> = [];
    const seen = new Set<string>();
    for (const update of updates.values()) {
      let hash = update?.commit.previous;
      while (hash && !seen.has(hash)) {
        seen.add(hash);
        const object = await this.load(hash);
        if (!object || object.type !== 'commit') break;
        const commit = decodeCommit(object.data, hash);
        found.push([commit, indexBody(object.data, commit)]);
        hash = commit.previous;
      }
    }
    return found;
  }
}

/**
 * True when the index already holds a later position of the same log than `read`: committing
 * what was read there would move it back. An index of another epoch (the reason for most
 * rebuilds) or without a position is never ahead.
 */
function isAhead(now: LogPosition | undefined, read: LogPosition): boolean {
  return now !== undefined && now.epoch === read.epoch && now.offset > read.offset;
}

function apply(index: IndexDb, updates: Map<string, IndexedHead | null>): void {
  for (const [name, update] of updates) {
    if (update === null) index.deleteHead(name);
    else index.setHead(name, update);
  }
}
