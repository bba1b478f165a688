import { parseExactJson, type Commit, type FileEntry, type FileQuery } from '@gitty/core';
import type { IndexDb } from './index-db.js';
import { nameKey, prefixEnd } from './schema.js';

/** A WHERE clause and its parameters. */
export interface Filter {
  where: string;
  params: unknown[];
}

/** Rows a listing reads: the head and its commit's canonical JSON. */
interface ListedRow {
  id: number;
  name: string;
  head: string;
  meta: string;
}

/**
 * The SQL form of the core's `matchesQuery` (scan-queries.ts), over `heads h`. Every filter
 * mirrors the scan's comparison exactly: `ext` is the text after the last dot, `namePrefix`
 * a code-unit prefix (a range over `name_key`), `author` only ever equal to a string author,
 * `tag` only among string tags, `since` inclusive and `until` exclusive on the float time.
 */
export function filterOf(query: FileQuery): Filter {
  const clauses: string[] = [];
  const params: unknown[] = [];
  if (query.ext !== undefined) {
    clauses.push('h.ext = ?');
    params.push(query.ext);
  }
  if (query.namePrefix !== undefined) {
    const start = nameKey(query.namePrefix);
    clauses.push('h.name_key >= ?');
    params.push(start);
    const end = prefixEnd(start);
    if (end) {
      clauses.push('h.name_key < ?');
      params.push(end);
    }
  }
  if (query.author !== undefined) {
    clauses.push('h.author = ?');
    params.push(query.author);
  }
  if (query.tag !== undefined) {
    clauses.push('EXISTS (SELECT 1 FROM head_tags t WHERE t.tag = ? AND t.head_id = h.id)');
    params.push(query.tag);
  }
  if (query.since !== undefined) {
    clauses.push('h.time >= ?');
    params.push(query.since);
  }
  if (query.until !== undefined) {
    clauses.push('h.time < ?');
    params.push(query.until);
  }
  return { where: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
}

/** The ORDER BY of `orderAndPage`: by name, or by time newest first and then by name. */
export function orderOf(query: FileQuery): string {
  return query.order === 'time' ? 'ORDER BY h.time DESC, h.name_key' : 'ORDER BY h.name_key';
}

/** JavaScript's ToIntegerOrInfinity, as `Array.prototype.slice` applies it to its bounds. */
function sliceIndex(value: number): number {
  if (Number.isNaN(value)) return 0;
  return Math.trunc(value);
}

/**
 * The `[start, end)` window `orderAndPage` takes with `slice(offset, offset + limit)`, as SQL
 * LIMIT/OFFSET; `count` -1 means no limit, 0 an empty page.
 */
export function pageOf(query: FileQuery): { offset: number; count: number } {
  const offset = Math.max(0, query.offset ?? 0);
  const start = Number.isNaN(offset) ? 0 : sliceIndex(offset);
  if (query.limit === undefined) return { offset: start, count: -1 };
  const end = sliceIndex(offset + Math.max(0, query.limit));
  if (end === Infinity) return { offset: start, count: -1 };
  return { offset: start, count: Math.max(0, end - start) };
}

/** `files(query)` from the index: the same entries, in the same order, as the scan fallback. */
export function queryFiles(index: IndexDb, query: FileQuery): FileEntry[] {
  const filter = filterOf(query);
  const page = pageOf(query);
  if (page.count === 0) return [];
  if (!Number.isFinite(page.offset)) return [];
  const sql =
    `SELECT h.id, h.name, h.head, c.meta FROM heads h JOIN commits c ON c.hash = h.head ` +
    `${filter.where} ${orderOf(query)} LIMIT ? OFFSET ?`;
  const rows = index.db.prepare<unknown[], ListedRow>(sql).all(...filter.params, page.count, page.offset);
  return rows.map((row) => ({ name: row.name, head: row.head, commit: commitOf(row.head, row.meta) }));
}

/** The listing rows without paging, for search (which pages its hits, not the files). */
export function listedRows(index: IndexDb, query: FileQuery, extraWhere?: Filter): ListedRow[] {
  const filter = filterOf(query);
  let where = filter.where;
  const params = [...filter.params];
  if (extraWhere) {
    where = where ? `${where} AND ${extraWhere.where}` : `WHERE ${extraWhere.where}`;
    params.push(...extraWhere.params);
  }
  const sql = `SELECT h.id, h.name, h.head, c.meta FROM heads h JOIN commits c ON c.hash = h.head ${where} ${orderOf(query)}`;
  return index.db.prepare<unknown[], ListedRow>(sql).all(...params);
}

/**
 * A file's history from the commits table: `start` and its `previous` chain, newest first, at
 * most `limit` commits. Stops early (returning what it has) where a commit is not in the table;
 * `missing` lets the caller load that commit and continue.
 */
export function historyFrom(index: IndexDb, start: string, limit: number): { commits: Commit[]; missing?: string } {
  const commits: Commit[] = [];
  const seen = new Set<string>();
  let hash: string | undefined = start;
  while (hash && commits.length < limit && !seen.has(hash)) {
    seen.add(hash);
    const commit = index.getCommit(hash);
    if (!commit) return { commits, missing: hash };
    commits.push(commit);
    hash = commit.previous;
  }
  return { commits };
}

export function commitOf(hash: string, meta: string): Commit {
  // Exact: a SWISH store's metadata may hold integers beyond 2^53.
  return { ...(parseExactJson(meta) as object), commit: hash } as Commit;
}
