import type { Commit } from './commit-codec.js';
import type { Driver, FileEntry, FileQuery, SearchHit } from './driver.js';
import type { GitObject } from './object-codec.js';
import { extensionOf } from './names.js';

/** True when a head commit passes the filters of a query (all but paging and order). */
export function matchesQuery(name: string, commit: Commit, query: FileQuery): boolean {
  if (query.ext !== undefined && extensionOf(name) !== query.ext) return false;
  if (query.namePrefix !== undefined && !name.startsWith(query.namePrefix)) return false;
  if (query.author !== undefined && commit.author !== query.author) return false;
  if (query.tag !== undefined && !(Array.isArray(commit.tags) && commit.tags.includes(query.tag))) return false;
  if (query.since !== undefined && !(commit.time >= query.since)) return false;
  if (query.until !== undefined && !(commit.time < query.until)) return false;
  return true;
}

/** Sort and page listed files as every driver must: by name, or by time newest first (then name). */
export function orderAndPage(entries: FileEntry[], query: FileQuery): FileEntry[] {
  const byName = (a: FileEntry, b: FileEntry) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  entries.sort(query.order === 'time' ? (a, b) => b.commit.time - a.commit.time || byName(a, b) : byName);
  const offset = Math.max(0, query.offset ?? 0);
  return entries.slice(offset, query.limit === undefined ? undefined : offset + Math.max(0, query.limit));
}

/** `files()` for drivers without an index: read every head commit and filter. */
export async function* scanFiles(
  driver: Driver,
  loadCommit: (hash: string) => Promise<Commit>,
  query: FileQuery,
): AsyncIterable<FileEntry> {
  const entries: FileEntry[] = [];
  for await (const { name, head } of driver.heads({ ext: query.ext })) {
    if (query.namePrefix !== undefined && !name.startsWith(query.namePrefix)) continue;
    const commit = await loadCommit(head);
    if (matchesQuery(name, commit, query)) entries.push({ name, head, commit });
  }
  yield* orderAndPage(entries, query);
}

/** Case-insensitive substring search over current content, for drivers without full-text search. */
export async function scanSearch(
  files: AsyncIterable<FileEntry>,
  loadObject: (hash: string) => Promise<GitObject | undefined>,
  text: string,
  query: FileQuery,
): Promise<SearchHit[]> {
  const needle = text.toLowerCase();
  const hits: SearchHit[] = [];
  for await (const entry of files) {
    const blob = await loadObject(entry.commit.data);
    if (!blob) continue;
    const content = new TextDecoder().decode(blob.data);
    const at = content.toLowerCase().indexOf(needle);
    if (at < 0) continue;
    hits.push({ name: entry.name, head: entry.head, snippet: content.slice(Math.max(0, at - 30), at + needle.length + 30) });
  }
  const offset = Math.max(0, query.offset ?? 0);
  return hits.slice(offset, query.limit === undefined ? undefined : offset + query.limit);
}
