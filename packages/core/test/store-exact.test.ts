import { describe, expect, it } from 'vitest';
import {
  CorruptObjectError, MemoryBacking, MemoryDriver, NotAtHeadError, Store, hashObject, nodeCompression,
  type Commit, type FileEntry, type FileQuery, type GitObject, type HeadEvent, type SearchHit,
} from '../src/index.js';

const MISSING = 'f'.repeat(40);
const enc = (text: string) => new TextEncoder().encode(text);

/** A memory driver that counts calls and can hide heads and objects until the next rescan. */
class SpyDriver extends MemoryDriver {
  rescans = 0;
  closes = 0;
  hiddenHeads = new Set<string>();
  hiddenObjects = new Set<string>();
  failLoad = new Map<string, Error>();
  updateError: Error | undefined;

  override async rescan(): Promise<void> {
    this.rescans++;
    this.hiddenHeads.clear();
    this.hiddenObjects.clear();
  }

  override async getHead(name: string): Promise<string | undefined> {
    if (this.hiddenHeads.has(name)) return undefined;
    return super.getHead(name);
  }

  override async loadObject(hash: string): Promise<GitObject | undefined> {
    const failure = this.failLoad.get(hash);
    if (failure) throw failure;
    if (this.hiddenObjects.has(hash)) return undefined;
    return super.loadObject(hash);
  }

  override async updateHead(name: string, expected: string | null, next: string | null): Promise<void> {
    if (this.updateError) throw this.updateError;
    return super.updateHead(name, expected, next);
  }

  override async close(): Promise<void> {
    this.closes++;
    return super.close();
  }
}

function storeOn(driver: MemoryDriver = new SpyDriver(), commitCacheSize?: number): Store {
  return new Store(driver, { compression: nodeCompression, maxObjectSize: 1000, ...(commitCacheSize === undefined ? {} : { commitCacheSize }) });
}

/** The rejection of a promise, so its code and message can be asserted exactly. */
async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string; head?: string }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { code?: string; head?: string };
  }
  throw new Error('expected a rejection');
}

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('Store: create', () => {
  it('refuses an existing file with FILE_EXISTS naming its head', async () => {
    const store = storeOn();
    const first = await store.create('a.pl', 'one');
    const err = await rejection(store.create('a.pl', 'two'));
    expect(err.code).toBe('FILE_EXISTS');
    expect(err.message).toBe(`File "a.pl" already exists (head ${first.commit})`);
    // Refused before anything is written: no orphan blob for gc to collect.
    expect(await store.has(hashObject('blob', enc('two')))).toBe(false);
  });

  it('turns a lost create race (NOT_AT_HEAD with a head) into FILE_EXISTS, and passes other failures on', async () => {
    const driver = new SpyDriver();
    const store = storeOn(driver);
    driver.updateError = new NotAtHeadError('a.pl', MISSING, null);
    const raced = await rejection(store.create('a.pl', 'one'));
    expect(raced.code).toBe('FILE_EXISTS');
    expect(raced.message).toBe(`File "a.pl" already exists (head ${MISSING})`);
    const noHead = new NotAtHeadError('a.pl', null, null);
    driver.updateError = noHead;
    expect(await rejection(store.create('a.pl', 'one'))).toBe(noHead);
    const other = new Error('disk');
    driver.updateError = other;
    expect(await rejection(store.create('a.pl', 'one'))).toBe(other);
  });

  it('tells listeners of the new head, with old null and origin local', async () => {
    const store = storeOn();
    const events: HeadEvent[] = [];
    store.on('head', (e) => events.push(e));
    const commit = await store.create('a.pl', 'one');
    expect(events).toEqual([{ name: 'a.pl', old: null, new: commit.commit, origin: 'local' }]);
  });

  it('records no previous on a first version', async () => {
    const store = storeOn();
    const commit = await store.create('a.pl', 'one', { time: 5 });
    expect(Object.keys(commit).sort()).toEqual(['commit', 'data', 'name', 'time']);
  });
});

describe('Store: update', () => {
  it('needs meta.previous, even when meta is missing', async () => {
    const store = storeOn();
    for (const meta of [undefined, {}]) {
      const err = await rejection(store.update('a.pl', 'x', meta as never));
      expect(err.code).toBe('INVALID_ARGUMENT');
      expect(err.message).toBe('update of "a.pl" needs meta.previous (the head it replaces)');
    }
  });

  it('refuses a previous of another file', async () => {
    const store = storeOn();
    const b = await store.create('b.pl', 'one');
    const err = await rejection(store.update('a.pl', 'x', { previous: b.commit }));
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.message).toBe(`previous ${b.commit} is a version of "b.pl", not of "a.pl"`);
  });

  it('chains onto previous and tells listeners old and new', async () => {
    const store = storeOn();
    const first = await store.create('a.pl', 'one');
    const events: HeadEvent[] = [];
    store.on('head', (e) => events.push(e));
    const second = await store.update('a.pl', 'two', { previous: first.commit });
    expect(second.previous).toBe(first.commit);
    expect(events).toEqual([{ name: 'a.pl', old: first.commit, new: second.commit, origin: 'local' }]);
  });
});

describe('Store: import', () => {
  it('reports its head changes as local events', async () => {
    const store = storeOn();
    const events: HeadEvent[] = [];
    store.on('head', (e) => events.push(e));
    await store.import([{ name: 'i.pl', data: 'x', meta: { time: 1 } }]);
    const head = await store.head('i.pl');
    expect(events).toEqual([{ name: 'i.pl', old: null, new: head, origin: 'local' }]);
  });
});

describe('Store: delete', () => {
  it('removes the head found by name, telling listeners', async () => {
    const store = storeOn();
    const first = await store.create('a.pl', 'one');
    const events: HeadEvent[] = [];
    store.on('head', (e) => events.push(e));
    await store.delete('a.pl');
    expect(await store.head('a.pl')).toBe(undefined);
    expect(events).toEqual([{ name: 'a.pl', old: first.commit, new: null, origin: 'local' }]);
  });

  it('uses a given previous as the expected head', async () => {
    const store = storeOn();
    await store.create('a.pl', 'one');
    const err = await rejection(store.delete('a.pl', { previous: MISSING }));
    expect(err.code).toBe('NOT_AT_HEAD');
    expect(await store.head('a.pl')).not.toBe(undefined);
  });

  it('refuses a missing file with NOT_FOUND', async () => {
    const err = await rejection(storeOn().delete('none.pl'));
    expect(err.code).toBe('NOT_FOUND');
    expect(err.message).toBe('No file "none.pl"');
  });
});

describe('Store: heads and objects missed until a rescan', () => {
  it('rescans once when a head is missing, then answers', async () => {
    const driver = new SpyDriver();
    const store = storeOn(driver);
    const first = await store.create('a.pl', 'one');
    driver.rescans = 0;
    expect(await store.head('a.pl')).toBe(first.commit);
    expect(driver.rescans).toBe(0);
    driver.hiddenHeads.add('a.pl');
    expect(await store.head('a.pl')).toBe(first.commit);
    expect(driver.rescans).toBe(1);
    expect(await store.head('b.pl')).toBe(undefined);
    expect(driver.rescans).toBe(2);
  });

  it('rescans once when an object is missing, then loads it', async () => {
    const driver = new SpyDriver();
    const store = storeOn(driver);
    const hash = await store.save('blob');
    driver.rescans = 0;
    expect(await store.load(hash)).toEqual({ type: 'blob', data: enc('blob') });
    expect(driver.rescans).toBe(0);
    driver.hiddenObjects.add(hash);
    expect(await store.load(hash)).toEqual({ type: 'blob', data: enc('blob') });
    expect(driver.rescans).toBe(1);
    const err = await rejection(store.load(MISSING));
    expect(err.code).toBe('NOT_FOUND');
    expect(err.message).toBe(`No object "${MISSING}"`);
  });
});

describe('Store: get and commit', () => {
  it('gives text decoded with a leading BOM kept', async () => {
    const store = storeOn();
    await store.create('a.pl', '\ufeffhi');
    const version = await store.get('a.pl');
    expect(version.text).toBe('\ufeffhi');
    expect(version.data).toEqual(enc('\ufeffhi'));
  });

  it('says NOT_FOUND naming the data object when a version lost it', async () => {
    const driver = new SpyDriver();
    const store = storeOn(driver);
    const commit = await store.create('a.pl', 'one');
    driver.backing.objects.delete(commit.data);
    const err = await rejection(store.get('a.pl'));
    expect(err.code).toBe('NOT_FOUND');
    expect(err.message).toBe(`No object "${commit.data}"`);
  });

  it('says NOT_FOUND for a missing commit, a non-commit object, and an unknown name', async () => {
    const store = storeOn();
    const blob = await store.save('x');
    let err = await rejection(store.commit(MISSING));
    expect(err.code).toBe('NOT_FOUND');
    expect(err.message).toBe(`No commit "${MISSING}"`);
    err = await rejection(store.commit(blob));
    expect(err.code).toBe('NOT_FOUND');
    expect(err.message).toBe(`No commit "${blob} (a blob)"`);
    err = await rejection(store.commit('none.pl'));
    expect(err.code).toBe('NOT_FOUND');
    expect(err.message).toBe('No file "none.pl"');
  });

  it('serves written and read commits from its cache, as copies', async () => {
    const driver = new SpyDriver();
    const store = storeOn(driver);
    const written = await store.create('a.pl', 'one', { tags: ['x'] });
    driver.backing.objects.delete(written.commit);
    const cached = await store.commit(written.commit);
    expect(cached).toEqual(written);
    cached.tags!.push('changed');
    expect((await store.commit(written.commit)).tags).toEqual(['x']);
    // A commit read from the driver is cached too.
    const other = new Store(driver, { compression: nodeCompression, maxObjectSize: 1000 });
    const b = await store.create('b.pl', 'two');
    const read = await other.commit(b.commit);
    read.name = 'changed';
    driver.backing.objects.delete(b.commit);
    expect((await other.commit(b.commit)).name).toBe('b.pl');
  });

  it('keeps only commitCacheSize commits', async () => {
    const driver = new SpyDriver();
    const store = storeOn(driver, 1);
    const a = await store.create('a.pl', 'one');
    const b = await store.create('b.pl', 'two');
    driver.backing.objects.delete(a.commit);
    driver.backing.objects.delete(b.commit);
    expect((await store.commit(b.commit)).name).toBe('b.pl');
    expect((await rejection(store.commit(a.commit))).code).toBe('NOT_FOUND');
  });
});

describe('Store: history', () => {
  it('refuses a depth that is not a non-negative integer', async () => {
    const store = storeOn();
    const first = await store.create('a.pl', 'one');
    for (const depth of [-1, 1.5, Number.NaN]) {
      const err = await rejection(store.history('a.pl', { depth }));
      expect(err.code).toBe('INVALID_ARGUMENT');
      expect(err.message).toBe(`history depth must be a non-negative integer, not ${String(depth)}`);
    }
    expect(await store.history('a.pl', { depth: 0 })).toEqual({ history: [first], skipped: 0 });
    const bad = await rejection(store.history('a.pl', { includes: 'nohash' }));
    expect(bad.code).toBe('INVALID_HASH');
  });

  it('stops quietly at an includes that is missing or not a commit, but not at a corrupt one', async () => {
    const driver = new SpyDriver();
    const store = storeOn(driver);
    const first = await store.create('a.pl', 'one');
    const blob = await store.save('x');
    expect(await store.history('a.pl', { includes: MISSING })).toEqual({ history: [first], skipped: 0 });
    expect(await store.history('a.pl', { includes: blob })).toEqual({ history: [first], skipped: 0 });
    const corrupt = new CorruptObjectError(blob, 'memory', 'bad');
    driver.failLoad.set(blob, corrupt);
    expect(await rejection(store.history('a.pl', { includes: blob }))).toBe(corrupt);
  });

  it('asks a query driver for the history (depth at least 1, default 5) unless includes is given', async () => {
    const calls: Array<[string, number]> = [];
    let answer: Commit[] = [];
    class QueryDriver extends SpyDriver {
      override readonly capabilities = { ...new MemoryDriver().capabilities, query: true };
      async queryHistory(start: string, depth: number): Promise<Commit[]> {
        calls.push([start, depth]);
        return answer;
      }
    }
    const store = storeOn(new QueryDriver());
    const first = await store.create('a.pl', 'one');
    const fake = { ...first, name: 'from-index' };
    answer = [fake];
    expect(await store.history('a.pl')).toEqual({ history: [fake], skipped: 0 });
    expect(await store.history('a.pl', { depth: 0 })).toEqual({ history: [fake], skipped: 0 });
    expect(await store.history('a.pl', { depth: 3 })).toEqual({ history: [fake], skipped: 0 });
    expect(calls).toEqual([[first.commit, 5], [first.commit, 1], [first.commit, 3]]);
    expect(await store.history('a.pl', { includes: first.commit })).toEqual({ history: [first], skipped: 0 });
    expect(calls.length).toBe(3);
    answer = [];
    expect(await store.history('a.pl')).toEqual({ history: [first], skipped: 0 });
  });

  it('does not ask queryHistory without the query capability', async () => {
    class NoCapability extends SpyDriver {
      async queryHistory(): Promise<Commit[]> {
        throw new Error('must not be called');
      }
    }
    const store = storeOn(new NoCapability());
    const first = await store.create('a.pl', 'one');
    expect(await store.history('a.pl')).toEqual({ history: [first], skipped: 0 });
  });
});

describe('Store: diff', () => {
  it('needs a version', async () => {
    const err = await rejection(storeOn().diff(null));
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.message).toBe('diff needs at least one version');
  });

  it('marks a first version initial, by one argument or against null, and not a later one', async () => {
    const store = storeOn();
    const first = await store.create('a.pl', 'one\n');
    const second = await store.update('a.pl', 'two\n', { previous: first.commit });
    expect((await store.diff(first.commit)).initial).toBe(true);
    expect((await store.diff(null, first.commit)).initial).toBe(true);
    expect((await store.diff(second.commit)).initial).toBe(undefined);
    expect((await store.diff(null, second.commit)).initial).toBe(undefined);
    expect((await store.diff(first.commit, second.commit)).initial).toBe(undefined);
    // Only a diff from nothing is initial, even when the target is a first version.
    expect((await store.diff(second.commit, first.commit)).initial).toBe(undefined);
    expect(await store.diff(second.commit)).toEqual(await store.diff(first.commit, second.commit));
  });
});

describe('Store: files and search on query and search drivers', () => {
  it('asks queryFiles and search when the capabilities say so, else scans', async () => {
    const entry: FileEntry = { name: 'index.pl', head: MISSING } as FileEntry;
    const hit: SearchHit = { name: 'index.pl', head: MISSING };
    const queries: FileQuery[] = [];
    class IndexDriver extends SpyDriver {
      override readonly capabilities = { ...new MemoryDriver().capabilities, query: true, search: true };
      async queryFiles(query: FileQuery): Promise<FileEntry[]> {
        queries.push(query);
        return [entry];
      }
      async search(text: string, query: FileQuery): Promise<SearchHit[]> {
        queries.push({ ...query, text } as FileQuery);
        return [hit];
      }
    }
    const indexed = storeOn(new IndexDriver());
    await indexed.create('a.pl', 'hello');
    expect(await all(indexed.files({ ext: 'pl' }))).toEqual([entry]);
    expect(await indexed.search('hello', { ext: 'pl' })).toEqual([hit]);
    expect(queries).toEqual([{ ext: 'pl' }, { ext: 'pl', text: 'hello' }]);

    class Unflagged extends SpyDriver {
      async queryFiles(): Promise<FileEntry[]> {
        throw new Error('must not be called');
      }
      async search(): Promise<SearchHit[]> {
        throw new Error('must not be called');
      }
    }
    const scanned = storeOn(new Unflagged());
    const a = await scanned.create('a.pl', 'hello');
    await scanned.create('b.pl', 'other');
    expect((await all(scanned.files())).map((f) => f.name)).toEqual(['a.pl', 'b.pl']);
    const hits = await scanned.search('hello', { limit: 1, offset: 0 });
    expect(hits.map((h) => [h.name, h.head])).toEqual([['a.pl', a.commit]]);
  });

  it('refuses an empty or non-string search text', async () => {
    for (const text of ['', 7]) {
      const err = await rejection(storeOn().search(text as string));
      expect(err.code).toBe('INVALID_ARGUMENT');
      expect(err.message).toBe('search needs a non-empty text');
    }
  });
});

describe('Store: objects and maintenance', () => {
  it('answers has and a full hash from resolveHash without looking', async () => {
    const store = storeOn();
    const hash = await store.save('x');
    expect(await store.has(hash)).toBe(true);
    expect(await store.has(MISSING)).toBe(false);
    expect(await store.resolveHash(MISSING)).toBe(MISSING);
    expect(await store.resolveHash(hash.slice(0, 6))).toBe(hash);
    expect(hash).toBe(hashObject('blob', enc('x')));
  });

  it('says UNSUPPORTED for repack, unpack, reindex without the capability, and calls them with it', async () => {
    const plain = storeOn();
    for (const [operation, call] of [
      ['repack', () => plain.repack()], ['unpack', () => plain.unpack()], ['reindex', () => plain.reindex()],
    ] as const) {
      const err = await rejection(call());
      expect(err.code).toBe('UNSUPPORTED');
      expect(err.message).toBe(`The memory driver does not support ${operation}`);
    }
    const seen: string[] = [];
    class Flagged extends SpyDriver {
      override readonly capabilities = { ...new MemoryDriver().capabilities, packs: true, reindex: true };
      async repack(options: unknown) {
        seen.push(`repack ${JSON.stringify(options)}`);
        return { packed: 3 } as never;
      }
      async unpack(options: unknown) {
        seen.push(`unpack ${JSON.stringify(options)}`);
        return { unpacked: 2 };
      }
      async reindex(options: unknown) {
        seen.push(`reindex ${JSON.stringify(options)}`);
      }
    }
    const flagged = storeOn(new Flagged());
    expect(await flagged.repack({ minFiles: 1 } as never)).toEqual({ packed: 3 });
    expect(await flagged.unpack()).toEqual({ unpacked: 2 });
    expect(await flagged.reindex()).toBe(undefined);
    expect(seen).toEqual(['repack {"minFiles":1}', 'unpack {}', 'reindex {}']);

    class Unflagged extends SpyDriver {
      async repack(): Promise<never> {
        throw new Error('must not be called');
      }
      async unpack(): Promise<never> {
        throw new Error('must not be called');
      }
      async reindex(): Promise<never> {
        throw new Error('must not be called');
      }
    }
    const unflagged = storeOn(new Unflagged());
    for (const call of [() => unflagged.repack(), () => unflagged.unpack(), () => unflagged.reindex()]) {
      expect((await rejection(call())).code).toBe('UNSUPPORTED');
    }
  });

  it('gives driver stats, or {} without them', async () => {
    expect(await storeOn().driverStats()).toEqual({});
    class WithStats extends SpyDriver {
      async stats() {
        return { objects: 4 };
      }
    }
    expect(await storeOn(new WithStats()).driverStats()).toEqual({ objects: 4 });
  });

  it('rescans on request and reports the largest object size', async () => {
    const driver = new SpyDriver();
    const store = storeOn(driver);
    await store.rescan();
    expect(driver.rescans).toBe(1);
    expect(store.maxObjectSize).toBe(1000);
  });
});

describe('Store: events and close', () => {
  it('delivers remote changes from another driver on the same backing', async () => {
    const backing = new MemoryBacking();
    const local = storeOn(new SpyDriver(backing));
    const remote = storeOn(new SpyDriver(backing));
    const events: HeadEvent[] = [];
    local.on('head', (e) => events.push(e));
    const commit = await remote.create('a.pl', 'one');
    expect(events).toEqual([{ name: 'a.pl', old: null, new: commit.commit, origin: 'remote' }]);
  });

  it('refuses an unknown event; unsubscribes; a throwing listener does not stop the others', async () => {
    const store = storeOn();
    const err = (() => {
      try {
        store.on('tail' as 'head', () => undefined);
      } catch (e) {
        return e as Error & { code?: string };
      }
      throw new Error('expected a throw');
    })();
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.message).toBe('unknown event "tail"');
    const seen: string[] = [];
    store.on('head', () => {
      throw new Error('listener');
    });
    const unsubscribe = store.on('head', (e) => seen.push(`first ${e.name}`));
    const second = (e: HeadEvent) => seen.push(`second ${e.name}`);
    store.on('head', second);
    await store.create('a.pl', 'one');
    unsubscribe();
    await store.create('b.pl', 'one');
    store.off('head', second);
    await store.create('c.pl', 'one');
    expect(seen).toEqual(['first a.pl', 'second a.pl', 'second b.pl']);
  });

  it('closes once and then refuses calls with CLOSED', async () => {
    const backing = new MemoryBacking();
    const driver = new SpyDriver(backing);
    const store = storeOn(driver);
    expect(store.isClosed).toBe(false);
    await store.close();
    await store.close();
    expect(driver.closes).toBe(1);
    expect(store.isClosed).toBe(true);
    const err = await rejection(store.head('a.pl'));
    expect(err.code).toBe('CLOSED');
    expect(err.message).toBe('The store is closed');
  });

  it('stops watching the driver when closed', async () => {
    const backing = new MemoryBacking();
    let unwatched = 0;
    class Watched extends SpyDriver {
      override watch(listener: Parameters<MemoryDriver['watch']>[0]): () => void {
        const stop = super.watch(listener);
        return () => {
          unwatched++;
          stop();
        };
      }
    }
    const store = storeOn(new Watched(backing));
    await store.close();
    expect(unwatched).toBe(1);
  });
});
