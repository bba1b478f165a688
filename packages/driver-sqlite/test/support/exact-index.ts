// Helpers of the *-exact tests: a real index.sqlite in a temp folder, filled row by row through
// IndexDb (no store, no head log), so a test states every row it then reads back.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Commit } from '@gitty/core';
import { IndexDb } from '../../src/index-db.js';

/** A 40-hex hash made of one repeated character, readable in failures. */
export const hash = (c: string): string => c.repeat(40);

/** A fresh index file in a new temp folder; `remove` closes it and deletes the folder. */
export function freshIndex(): { index: IndexDb; dir: string; file: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'gitty-sqlite-exact-'));
  const file = join(dir, 'index.sqlite');
  const index = IndexDb.open(file);
  return {
    index, dir, file,
    remove: () => {
      index.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The canonical JSON body the index keeps for `commit` (its own hash left out, as in the object). */
export function bodyOf(commit: Commit): string {
  const { commit: _hash, ...stored } = commit;
  return JSON.stringify(Object.fromEntries(Object.entries(stored).sort(([a], [b]) => (a < b ? -1 : 1))));
}

/** Make `commit` the head of its file with text `text`, as a catch-up does. */
export function putHead(index: IndexDb, commit: Commit, text: string | null = ''): void {
  index.transaction(() => index.setHead(commit.name, { commit, body: bodyOf(commit), text }));
}
