import { InvalidArgumentError, NotFoundError, type FileEntry, type FileQuery, type Store } from '@gitty/core';

/** What `GET /files` asks: the store's filters, a name filter, a search, and a page. */
export interface ListRequest {
  /** The store's filters and order (no paging). */
  filters: Omit<FileQuery, 'limit' | 'offset'>;
  /** Only names containing this text (case-insensitive). */
  contains?: string;
  /** Full-text search of current content. */
  q?: string;
  /** Entries skipped before the page. */
  offset: number;
  /** Page size. */
  limit: number;
}

/** One page of a listing, the number of matches in all and the cursor of the next page. */
export interface ListPage {
  files: Array<FileEntry & { snippet?: string }>;
  total: number;
  /** Give as `cursor` for the next page; null on the last. */
  next: string | null;
}

/**
 * A cursor is an opaque token for "the page after this one". It carries the offset (the
 * store pages by offset): a file created or deleted before that point between two requests
 * shifts later pages by one, as in any offset paging.
 */
export function encodeCursor(offset: number): string {
  return Buffer.from(`o:${offset}`, 'utf8').toString('base64url');
}

/** The offset a cursor stands for; INVALID_ARGUMENT when it is not one of ours. */
export function decodeCursor(cursor: string): number {
  const match = /^o:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw new InvalidArgumentError('"cursor" is not a cursor this server gave out');
  return Number(match[1]);
}

const needsCommits = (filters: ListRequest['filters']) =>
  filters.author !== undefined || filters.tag !== undefined || filters.since !== undefined || filters.until !== undefined;

function nameMatcher(request: ListRequest): (name: string) => boolean {
  const prefix = request.filters.namePrefix;
  const contains = request.contains?.toLowerCase();
  return (name) => (prefix === undefined || name.startsWith(prefix)) && (contains === undefined || name.toLowerCase().includes(contains));
}

async function withCommits(store: Store, rows: Array<{ name: string; head: string; snippet?: string }>): Promise<ListPage['files']> {
  const files: ListPage['files'] = [];
  for (const row of rows) {
    try {
      files.push({ ...row, commit: await store.commit(row.head) });
    } catch (err) {
      // Deleted or replaced between the listing and this read: leave it out of this page.
      if (!(err instanceof NotFoundError)) throw err;
    }
  }
  return files;
}

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

function page<T>(rows: T[], request: ListRequest): { rows: T[]; next: string | null } {
  const end = request.offset + request.limit;
  return { rows: rows.slice(request.offset, end), next: end < rows.length ? encodeCursor(end) : null };
}

/**
 * Head names (filtered by extension, prefix and name text, in name order) of recent listings, so paging through a big store ("show more") does not read every head again. Any
 * head change this store sees (its own writes, and other processes' where the driver watches)
 * clears it; entries also expire after `ttlMs`, for changes it cannot see.
 */
export class ListingCache {
  private readonly entries = new Map<string, { at: number; names: Array<{ name: string; head: string }> }>();
  private readonly unsubscribe: () => void;

  constructor(store: Store, private readonly ttlMs = 5_000, private readonly maxEntries = 16) {
    this.unsubscribe = store.on('head', () => this.entries.clear());
  }

  /** The names cached for a filter, unless expired. */
  get(key: string): Array<{ name: string; head: string }> | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (performance.now() - entry.at > this.ttlMs) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.names;
  }

  set(key: string, names: Array<{ name: string; head: string }>): void {
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(key, { names, at: performance.now() });
  }

  /** Stop following the store's head changes. */
  close(): void {
    this.unsubscribe();
    this.entries.clear();
  }
}

/**
 * Answer a listing as cheaply as the query allows. Counting needs every match: by head names
 * alone (fast, from the driver's head list) unless a filter needs commit metadata (author, tag,
 * time), which reads every matching head's commit — from an index where the driver has one.
 * The page itself is one paged store query when there is no name filter or search.
 */
export async function listFiles(store: Store, request: ListRequest, cache?: ListingCache): Promise<ListPage> {
  const matches = nameMatcher(request);
  if (request.q !== undefined) {
    if (request.q.trim().length === 0) throw new InvalidArgumentError('"q" must not be blank');
    const hits = (await store.search(request.q, request.filters)).filter((hit) => matches(hit.name));
    const { rows, next } = page(hits, request);
    return { files: await withCommits(store, rows), total: hits.length, next };
  }
  if (needsCommits(request.filters)) return fullListing(store, request, matches);
  // Only name filters: count (and, with `contains`, pick the page) from the head names.
  const names = await headNames(store, request, matches, cache);
  const total = names.length;
  const end = request.offset + request.limit;
  const next = end < total ? encodeCursor(end) : null;
  if (request.contains === undefined) {
    const files: FileEntry[] = [];
    for await (const entry of store.files({ ...request.filters, offset: request.offset, limit: request.limit })) files.push(entry);
    return { files, total, next };
  }
  if (request.filters.order !== 'time') return { files: await withCommits(store, names.slice(request.offset, end)), total, next };
  // Time order of a name filter's matches needs their commits: read those of a few, list all otherwise.
  if (names.length > TIME_SORT_READS) return fullListing(store, request, matches);
  const entries = await withCommits(store, names);
  entries.sort((a, b) => b.commit.time - a.commit.time || byName(a, b));
  return { files: entries.slice(request.offset, end), total: entries.length, next: end < entries.length ? encodeCursor(end) : null };
}

/** Up to this many matches of a name filter are sorted by time from their own commits. */
const TIME_SORT_READS = 2_000;

/** Every match, from the store's listing (with its commits), filtered by name text and paged here. */
async function fullListing(store: Store, request: ListRequest, matches: (name: string) => boolean): Promise<ListPage> {
  const all: FileEntry[] = [];
  for await (const entry of store.files(request.filters)) if (matches(entry.name)) all.push(entry);
  const { rows, next } = page(all, request);
  return { files: rows, total: all.length, next };
}

/** The heads whose names pass the name filters, in name order (cached per filter). */
async function headNames(
  store: Store,
  request: ListRequest,
  matches: (name: string) => boolean,
  cache: ListingCache | undefined,
): Promise<Array<{ name: string; head: string }>> {
  const key = JSON.stringify([request.filters.ext, request.filters.namePrefix, request.contains?.toLowerCase()]);
  const cached = cache?.get(key);
  if (cached) return cached;
  const names: Array<{ name: string; head: string }> = [];
  for await (const entry of store.driver.heads(request.filters.ext !== undefined ? { ext: request.filters.ext } : {})) {
    if (matches(entry.name)) names.push(entry);
  }
  names.sort(byName);
  cache?.set(key, names);
  return names;
}
