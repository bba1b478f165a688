import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashObject, openStore, type Store } from '@gitty/core';
import { startTestServer, type TestServer } from './helpers.js';

/** Two payloads whose `type` object hashes share their first 4 hex digits (a birthday search). */
function collidingPayloads(type: string, make: (i: number) => Uint8Array): [Uint8Array, Uint8Array] {
  const seen = new Map<string, Uint8Array>();
  for (let i = 0; ; i++) {
    const payload = make(i);
    const prefix = hashObject(type, payload).slice(0, 4);
    const earlier = seen.get(prefix);
    if (earlier) return [earlier, payload];
    seen.set(prefix, payload);
  }
}

// Issue 15 item 7: read routes take what `gitty log` prints (10 digits) and any unique prefix of
// at least 4, as git does; `previous` (a compare-and-swap precondition) takes only full hashes.
describe('abbreviated hashes over HTTP', () => {
  let store: Store;
  let t: TestServer;
  const v: string[] = [];
  let blob: string;
  let twin: string;
  let twins: string[];

  beforeAll(async () => {
    store = await openStore({ driver: 'memory' });
    let commit = await store.create('hello.txt', 'one\n');
    v.push(commit.commit);
    blob = commit.data;
    for (const text of ['two\n', 'three\n']) {
      commit = await store.update('hello.txt', text, { previous: commit.commit });
      v.push(commit.commit);
    }
    await store.create('cafe', 'a file named like a hash prefix\n');
    // Two commits sharing a 4-digit prefix, written raw (no head points at them).
    const encode = (i: number) => new TextEncoder().encode(`${JSON.stringify({ data: blob, name: 'twin.txt', time: i })}\n`);
    twins = [];
    for (const bytes of collidingPayloads('commit', encode)) {
      const hash = hashObject('commit', bytes);
      await store.driver.storeObject(hash, 'commit', bytes);
      twins.push(hash);
    }
    twins.sort();
    twin = twins[0]!.slice(0, 4);
    t = await startTestServer({ store, writeRateLimit: false });
  });
  afterAll(async () => {
    await t.close();
    await store.close();
  });

  it('GET /files/:name?version= takes a prefix of a commit of that file', async () => {
    const res = await t.call('GET', `/files/hello.txt?version=${v[0]!.slice(0, 10)}`);
    expect(res.status, res.text).toBe(200);
    expect(res.json.commit.commit).toBe(v[0]);
    expect(res.json.data).toBe('one\n');
    expect(res.headers.get('etag')).toBe(`"${v[0]}"`);
    // A commit of another file is not a version of this one.
    expect((await t.call('GET', `/files/cafe?version=${v[0]!.slice(0, 10)}`)).status).toBe(404);
  });

  it('GET /files/:name/history takes a commit prefix as the start and in `includes`', async () => {
    const from = await t.call('GET', `/files/${v[1]!.slice(0, 8)}/history`);
    expect(from.status, from.text).toBe(200);
    expect(from.json.history.map((c: { commit: string }) => c.commit)).toEqual([v[1], v[0]]);
    const includes = await t.call('GET', `/files/hello.txt/history?depth=1&includes=${v[0]!.slice(0, 7)}`);
    expect(includes.status, includes.text).toBe(200);
    expect(includes.json.history.map((c: { commit: string }) => c.commit)).toContain(v[0]);
  });

  it('GET /diff takes prefixes for from and to; a file named like a prefix wins', async () => {
    const diff = await t.call('GET', `/diff?from=${v[0]!.slice(0, 6)}&to=${v[2]!.slice(0, 10)}`);
    expect(diff.status, diff.text).toBe(200);
    expect([diff.json.from.commit, diff.json.to.commit]).toEqual([v[0], v[2]]);
    const single = await t.call('GET', `/diff?to=${v[1]!.slice(0, 5)}`);
    expect(single.status, single.text).toBe(200);
    expect(single.json.to.commit).toBe(v[1]);
    const named = await t.call('GET', '/diff?to=cafe');
    expect(named.status, named.text).toBe(200);
    expect(named.json.to.name).toBe('cafe');
  });

  it('GET /objects/:hash takes a prefix of any object', async () => {
    const res = await t.call('GET', `/objects/${blob.slice(0, 10)}`);
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({ hash: blob, type: 'blob', data: 'one\n' });
    // Only the full hash is cached for ever: a prefix may become ambiguous as the store grows.
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect((await t.call('GET', `/objects/${blob}`)).headers.get('cache-control')).toContain('immutable');
  });

  it('answers 400 AMBIGUOUS with the candidates when a prefix is not unique', async () => {
    for (const route of [`/objects/${twin}`, `/diff?to=${twin}`, `/files/${twin}/history`, `/files/twin.txt?version=${twin}`]) {
      const res = await t.call('GET', route);
      expect(res.status, `${route}: ${res.text}`).toBe(400);
      expect(res.json.code).toBe('AMBIGUOUS');
      expect(res.json.candidates.map((c: { hash: string }) => c.hash)).toEqual(twins);
    }
  });

  it('answers 404 for a prefix nothing has, 400 INVALID_HASH for fewer than 4 digits', async () => {
    let missing = 'ffff';
    for (let i = 0; [...v, blob, ...twins].some((h) => h.startsWith(missing)); i++) missing = (0xffff - i).toString(16);
    expect((await t.call('GET', `/objects/${missing}`)).status).toBe(404);
    expect((await t.call('GET', `/files/hello.txt?version=${missing}`)).status).toBe(404);
    const short = await t.call('GET', `/objects/${blob.slice(0, 3)}`);
    expect([short.status, short.json.code]).toEqual([400, 'INVALID_HASH']);
  });

  it('`previous` in PUT and DELETE takes only a full hash (a precondition is never guessed)', async () => {
    const head = v[2]!;
    const put = await t.call('PUT', '/files/hello.txt', { data: 'four\n', previous: head.slice(0, 10) });
    expect([put.status, put.json.code]).toEqual([400, 'INVALID_HASH']);
    const del = await t.call('DELETE', `/files/hello.txt?previous=${head.slice(0, 10)}`);
    expect([del.status, del.json.code]).toEqual([400, 'INVALID_HASH']);
    expect(await store.head('hello.txt')).toBe(head);
  });
});
