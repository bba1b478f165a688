/**
 * The layout of `index.sqlite`. Everything in it is a cache of the objects and the head log:
 * deleting the file loses nothing, and a file with another `SCHEMA_VERSION` is rebuilt.
 */

/** Bumped whenever a table changes shape; an index of another version is rebuilt, never migrated. */
export const SCHEMA_VERSION = 2;

/** The index file's name inside the store folder. */
export const INDEX_FILE = 'index.sqlite';

/**
 * Tables:
 * - `meta`: key/value facts: `schema` (SCHEMA_VERSION), `epoch` (the head log's epoch the index
 *   was built against) and `log_offset` (bytes of the head log applied so far).
 * - `heads`: one row per file: its head commit and the head commit's facts queries filter on.
 *   `name_key` is the name as UTF-16BE bytes: SQLite compares blobs with memcmp, which on
 *   big-endian code units is exactly JavaScript's string order, so `ORDER BY name_key` agrees
 *   with the core's scan fallback even beyond the Basic Multilingual Plane. `author` holds the
 *   head's author only when it is a string (a non-string author never equals a queried one).
 *   `id` is also the row of the file's text in `contents` and `contents_fts`.
 * - `head_tags`: the head's string tags, for `tag` filters.
 * - `commits`: every commit seen (from objects or written through this driver): its canonical
 *   JSON body in `meta`, so history and listings never read objects.
 * - `contents`: the head's data decoded as UTF-8 (as the scan fallback decodes it), kept for
 *   snippets and the exact substring check.
 * - `contents_fts`: FTS5 over the lower-cased contents with the trigram tokenizer (see
 *   search.ts for why); contentless, since `contents` holds the text.
 * - `waiting`: heads indexed before an object they need was stored (the head's commit, or its
 *   data blob): the object's hash and the file name. Storing that object re-indexes the head
 *   (a replicated head can arrive before its objects).
 */
export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS heads (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  name_key BLOB NOT NULL,
  ext TEXT NOT NULL,
  head TEXT NOT NULL,
  data TEXT NOT NULL,
  time REAL NOT NULL,
  author TEXT,
  tags TEXT
);
CREATE INDEX IF NOT EXISTS heads_by_key ON heads (name_key);
CREATE INDEX IF NOT EXISTS heads_by_ext ON heads (ext, name_key);
CREATE INDEX IF NOT EXISTS heads_by_time ON heads (time DESC, name_key);
CREATE INDEX IF NOT EXISTS heads_by_author ON heads (author, name_key);
CREATE TABLE IF NOT EXISTS head_tags (
  tag TEXT NOT NULL,
  head_id INTEGER NOT NULL,
  PRIMARY KEY (tag, head_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS head_tags_by_head ON head_tags (head_id);
CREATE TABLE IF NOT EXISTS commits (
  hash TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  previous TEXT,
  data TEXT NOT NULL,
  time REAL NOT NULL,
  meta TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS contents (
  id INTEGER PRIMARY KEY,
  data TEXT NOT NULL,
  text TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS waiting (
  hash TEXT NOT NULL,
  name TEXT NOT NULL,
  PRIMARY KEY (hash, name)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS waiting_by_name ON waiting (name);
CREATE VIRTUAL TABLE IF NOT EXISTS contents_fts USING fts5 (
  lower,
  tokenize = 'trigram case_sensitive 1',
  content = '',
  contentless_delete = 1
);
`;

/** Names of every table, dropped in this order before a rebuild. */
export const TABLES = ['contents_fts', 'contents', 'head_tags', 'heads', 'commits', 'waiting', 'meta'] as const;

/** `name` as UTF-16BE bytes: memcmp order on these equals JavaScript's `<` on strings. */
export function nameKey(name: string): Buffer {
  const bytes = Buffer.alloc(name.length * 2);
  for (let i = 0; i < name.length; i++) bytes.writeUInt16BE(name.charCodeAt(i), i * 2);
  return bytes;
}

/** The smallest key greater than every key starting with `prefix`, or undefined when none is. */
export function prefixEnd(prefix: Buffer): Buffer | undefined {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] !== 0xff) {
      end[i]! += 1;
      return end.subarray(0, i + 1);
    }
  }
  return undefined;
}
