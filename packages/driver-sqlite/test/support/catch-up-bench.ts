// One IndexCatchUp set up as the catch-up tests (exact and mutants) need it: a real index file, a
// head log held in memory, and objects in a Map with every load recorded, so a test can stage
// another writer of the index "meanwhile" and see exactly what was loaded.
import { encodeCommit, hashObject, type GitObject, type HeadChange } from '@gitty/core';
import { IndexCatchUp } from '../../src/catch-up.js';
import type { IndexDb } from '../../src/index-db.js';
import { freshIndex } from './exact-index.js';
import { StandInLog } from './stand-in-log.js';

/** A head log line moving `name` from `old` to `next`. */
export const change = (name: string, old: string | null, next: string | null): HeadChange => ({ name, old, new: next });

/** Commit times of `version`: one clock for the whole test file, as each test stores its versions. */
let clock = 0;

export class CatchUpBench {
  readonly index: IndexDb;
  /** Close the index and delete its folder (for afterEach). */
  readonly remove: () => void;
  readonly log = new StandInLog();
  readonly objects = new Map<string, GitObject>();
  /** Every hash the catch-up asked for, in order. */
  readonly loads: string[] = [];
  /** Runs on each load before it answers (to change the index while a catch-up loads objects). */
  onLoad: ((hash: string) => void) | undefined;
  readonly catchUp: IndexCatchUp;

  constructor() {
    ({ index: this.index, remove: this.remove } = freshIndex());
    this.catchUp = new IndexCatchUp(this.index, this.log, async (h) => {
      this.loads.push(h);
      this.onLoad?.(h);
      return this.objects.get(h);
    });
  }

  /** Store a version of `name` (blob and commit objects) and return its commit hash and blob hash. */
  version(name: string, text: string, previous?: string, extra: Record<string, unknown> = {}): { commit: string; data: string } {
    const bytes = new TextEncoder().encode(text);
    const data = hashObject('blob', bytes);
    this.objects.set(data, { type: 'blob', data: bytes });
    const body = encodeCommit({ name, data, time: ++clock, ...(previous ? { previous } : {}), ...extra } as never);
    const commit = hashObject('commit', body);
    this.objects.set(commit, { type: 'commit', data: body });
    return { commit, data };
  }

  /** The text the index holds for the head of `name`. */
  text(name: string): string | undefined {
    return this.index.db.prepare<[string], { text: string }>('SELECT c.text FROM heads h JOIN contents c ON c.id = h.id WHERE h.name = ?').get(name)?.text;
  }
}
