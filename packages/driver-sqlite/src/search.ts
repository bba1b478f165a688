import type { FileQuery, SearchHit } from '@gitty/core';
import type { IndexDb } from './index-db.js';
import { filterOf, orderOf } from './queries.js';

/**
 * Full-text search with the same answers as the core's scan fallback (`scanSearch`): a file
 * matches when its current content, decoded as UTF-8 and lower-cased by JavaScript, contains
 * the lower-cased text as a substring; hits come in listing order (name, or time with
 * `order: 'time'`), then `offset`/`limit` page the hits.
 *
 * Tokenization: FTS5's `trigram` tokenizer, case-sensitive, over text that JavaScript already
 * lower-cased (`contents_fts.lower`). A trigram phrase query finds every row containing the
 * phrase as a substring, so FTS narrows the candidates without word-boundary semantics that the
 * scan does not have, and lower-casing in JavaScript on both sides avoids SQLite's different
 * case folding. Texts shorter than three characters have no trigram: they are checked against
 * every listed file's indexed text (still no object is read), as are texts with a lone surrogate
 * (SQLite would bind them as U+FFFD). Every candidate is then checked
 * with the scan's own `indexOf`, which also yields the snippet, so the two agree exactly.
 */
export function searchIndex(index: IndexDb, text: string, query: FileQuery): SearchHit[] {
  const needle = text.toLowerCase();
  const filter = filterOf(query);
  const params = [...filter.params];
  let where = filter.where;
  if ([...needle].length >= 3 && needle.isWellFormed()) {
    const match = 'h.id IN (SELECT rowid FROM contents_fts WHERE contents_fts MATCH ?)';
    where = where ? `${where} AND ${match}` : `WHERE ${match}`;
    params.push(`"${needle.replaceAll('"', '""')}"`);
  }
  const sql =
    `SELECT h.name, h.head, t.text FROM heads h JOIN contents t ON t.id = h.id ${where} ${orderOf(query)}`;
  const hits: SearchHit[] = [];
  for (const row of index.db.prepare<unknown[], { name: string; head: string; text: string }>(sql).iterate(...params)) {
    const at = row.text.toLowerCase().indexOf(needle);
    if (at < 0) continue;
    hits.push({ name: row.name, head: row.head, snippet: row.text.slice(Math.max(0, at - 30), at + needle.length + 30) });
  }
  // The scan's paging, verbatim: hits, not files, are paged.
  const offset = Math.max(0, query.offset ?? 0);
  return hits.slice(offset, query.limit === undefined ? undefined : offset + query.limit);
}
