import { mkdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { decodeCommit, encodeCommit, frameObject, hashObject, type Commit, type HeadChange } from '@gitty/core';
import { IndexDb } from '../../src/index-db.js';

/** One generated file: its head commit and the text of its head. */
export interface BulkFile {
  commit: Commit;
  body: string;
  text: string;
}

/** What {@link writeBulkObjects} wrote. */
export interface BulkStore {
  /** Head of every file, in creation order. */
  files: BulkFile[];
  /** Every older commit (for the commits table). */
  older: Array<{ commit: Commit; body: string }>;
  /** The head changes, in order, as the head log must record them. */
  changes: HeadChange[];
}

/** How many distinct blobs a bulk store shares among its files (writing 100k blobs would dominate). */
const DISTINCT_TEXTS = 64;

/**
 * Write a store of `files` × `versions` straight to disk as git loose objects (the format the
 * files driver reads), skipping the Store API's per-write fsync and lock: building 100,000
 * files through the API would take minutes. Blobs are shared among files; commits are not.
 */
export async function writeBulkObjects(dir: string, options: { files: number; versions?: number }): Promise<BulkStore> {
  const versions = options.versions ?? 1;
  const objects = join(dir, 'objects');
  for (let i = 0; i < 256; i++) mkdirSync(join(objects, i.toString(16).padStart(2, '0')), { recursive: true });
  const written = new Set<string>();
  // Writes overlap with hashing and deflating: a batch of them is in flight in libuv's pool.
  let inFlight: Array<Promise<void>> = [];
  const put = async (type: string, data: Uint8Array): Promise<string> => {
    const hash = hashObject(type, data);
    if (!written.has(hash)) {
      written.add(hash);
      inFlight.push(writeFile(join(objects, hash.slice(0, 2), hash.slice(2)), deflateSync(frameObject(type, data), { level: 1 })));
      if (inFlight.length >= 64) {
        await Promise.all(inFlight);
        inFlight = [];
      }
    }
    return hash;
  };
  const texts = Array.from({ length: DISTINCT_TEXTS }, (_, i) => `:- module(m${i}, []).\n% text number ${i}\nfact(${i}).\n`);
  const blobs: string[] = [];
  for (const text of texts) blobs.push(await put('blob', new TextEncoder().encode(text)));
  const result: BulkStore = { files: [], older: [], changes: [] };
  for (let i = 0; i < options.files; i++) {
    const name = `file${String(i).padStart(6, '0')}.${i % 3 === 0 ? 'md' : 'pl'}`;
    let previous: string | undefined;
    for (let v = 0; v < versions; v++) {
      const t = (i * versions + v) % DISTINCT_TEXTS;
      const meta = {
        name, data: blobs[t]!, time: 1_700_000_000 + i + v / 100, author: `user${i % 7}`, tags: i % 5 === 0 ? ['exam'] : [],
        ...(previous ? { previous } : {}),
      };
      const bytes = encodeCommit(meta);
      const hash = await put('commit', bytes);
      const commit = decodeCommit(bytes, hash);
      const body = new TextDecoder().decode(bytes);
      result.changes.push({ name, old: previous ?? null, new: hash });
      if (v === versions - 1) result.files.push({ commit, body, text: texts[t]! });
      else result.older.push({ commit, body });
      previous = hash;
    }
  }
  await Promise.all(inFlight);
  return result;
}

/** Write the index for a bulk store directly (as a rebuild would), at the given log position. */
export function writeBulkIndex(path: string, store: BulkStore, position: { epoch: string; offset: number }): void {
  const index = IndexDb.open(path);
  try {
    index.transaction(() => {
      for (const { commit, body } of store.older) index.putCommit(commit, body);
      for (const file of store.files) index.setHead(file.commit.name, { commit: file.commit, body: file.body, text: file.text });
      index.setPosition(position);
    });
  } finally {
    index.close();
  }
}
