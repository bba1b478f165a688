import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '@gitty/core';
import { DRIVER_CASES, startTestServer, type StoreSetup, type TestServer } from './helpers.js';
import { registerBuiltinDrivers } from '../src/index.js';

const COUNT = 120;
const name = (i: number) => `f${String(i).padStart(3, '0')}.${i % 2 ? 'pl' : 'md'}`;

describe.each(DRIVER_CASES)('GET /files pages with a total and a cursor, filters, sorts and searches on the server ($name driver; issue 15, item 4)', (driverCase) => {
  let setup: StoreSetup;
  let store: Store;
  let t: TestServer;

  beforeAll(async () => {
    setup = await driverCase.open();
    await registerBuiltinDrivers();
    store = await openStore(setup.config);
    // Created in reverse name order, so time order and name order differ.
    for (let i = COUNT - 1; i >= 0; i--) {
      await store.create(name(i), i % 10 === 0 ? `special needle ${i}\n` : `plain ${i}\n`, {
        author: i % 3 === 0 ? 'ann' : 'bob', tags: i % 4 === 0 ? ['four'] : [], time: 1_700_000_000 + (COUNT - i),
      });
    }
    t = await startTestServer({ store, writeRateLimit: false });
  }, 120_000);

  afterAll(async () => {
    await t?.close();
    await store?.close();
    await setup?.cleanup();
  });

  const names = (files: Array<{ name: string }>) => files.map((f) => f.name);

  it('walks every page by cursor: pages of `limit`, the total on each, null after the last', async () => {
    const seen: string[] = [];
    let cursor: string | null = '';
    let pages = 0;
    while (cursor !== null) {
      const res = await t.call('GET', `/files?limit=50${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      expect(res.json.total).toBe(COUNT);
      seen.push(...names(res.json.files));
      cursor = res.json.next;
      pages++;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(Array.from({ length: COUNT }, (_, i) => name(i)));
    const first = await t.call('GET', '/files');
    expect(first.json.files).toHaveLength(100);
    expect(first.json.files[0].commit).toMatchObject({ name: 'f000.md', author: 'ann', tags: ['four'] });
  });

  it('filters by name text, author, tag and extension with the total of all matches', async () => {
    const contains = await t.call('GET', '/files?contains=F11&limit=5');
    expect(contains.json.total).toBe(10);
    expect(names(contains.json.files)).toEqual(['f110.md', 'f111.pl', 'f112.md', 'f113.pl', 'f114.md']);
    const more = await t.call('GET', `/files?contains=F11&limit=5&cursor=${contains.json.next}`);
    expect(names(more.json.files)).toEqual(['f115.pl', 'f116.md', 'f117.pl', 'f118.md', 'f119.pl']);
    expect(more.json.next).toBeNull();
    expect((await t.call('GET', '/files?author=ann&limit=1')).json.total).toBe(40);
    expect((await t.call('GET', '/files?tag=four&limit=1')).json.total).toBe(30);
    expect((await t.call('GET', '/files?ext=pl&limit=1')).json.total).toBe(60);
    expect((await t.call('GET', '/files?ext=pl&contains=1&prefix=f1&limit=1')).json.total).toBe(10);
  });

  it('sorts by time (newest first) and searches content, paged', async () => {
    const byTime = await t.call('GET', '/files?order=time&limit=3');
    expect(names(byTime.json.files)).toEqual(['f000.md', 'f001.pl', 'f002.md']);
    const timeAndName = await t.call('GET', '/files?order=time&contains=9&limit=2');
    expect(names(timeAndName.json.files)).toEqual(['f009.pl', 'f019.pl']);
    const search = await t.call('GET', '/files?q=needle&limit=5');
    expect(search.json.total).toBe(12);
    expect(search.json.files).toHaveLength(5);
    expect(search.json.files.every((f: { name: string }) => Number(f.name.slice(1, 4)) % 10 === 0)).toBe(true);
    const rest = await t.call('GET', `/files?q=needle&limit=10&cursor=${search.json.next}`);
    expect(rest.json.files).toHaveLength(7);
    expect(rest.json.next).toBeNull();
  });

  it('counts a file written meanwhile at once (cached counts follow head changes)', async () => {
    const before = await t.call('GET', '/files?limit=1&contains=zz');
    expect(before.json.total).toBe(0);
    expect((await t.call('GET', '/files?limit=1')).json.total).toBe(COUNT);
    expect((await t.call('POST', '/files/zz-new.md', { data: 'x' })).status).toBe(201);
    expect((await t.call('GET', '/files?limit=1')).json.total).toBe(COUNT + 1);
    expect(names((await t.call('GET', '/files?limit=5&contains=zz')).json.files)).toEqual(['zz-new.md']);
    expect((await t.call('DELETE', '/files/zz-new.md')).status).toBe(204);
    expect((await t.call('GET', '/files?limit=1')).json.total).toBe(COUNT);
  });

  it('refuses a cursor it did not give out', async () => {
    const res = await t.call('GET', '/files?cursor=bm9wZQ');
    expect([res.status, res.json.code]).toEqual([400, 'INVALID_ARGUMENT']);
  });
});
