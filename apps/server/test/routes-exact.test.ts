import { afterEach, describe, expect, it } from 'vitest';
import { hashObject, openStore, type Store } from '@gitty/core';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { createServer, type GittyServer } from '../src/index.js';
import type { ServerOptions } from '../src/options.js';

// Every file and object route in the test process (fastify's inject, no socket) on a memory
// store: each status, the exact body, and the headers each route sets. Expected commits are
// read from the store itself (the server sets their time).

let store: Store;
let server: GittyServer;

async function serve(options: Partial<ServerOptions> = {}): Promise<void> {
  store = await openStore({ driver: 'memory' });
  server = await createServer({ store, writeRateLimit: false, webPage: false, ...options });
}

afterEach(async () => {
  await server?.close();
  await store?.close();
});

async function send(method: InjectOptions['method'], url: string, payload?: unknown): Promise<LightMyRequestResponse> {
  return server.app.inject({ method, url, ...(payload === undefined ? {} : { payload: payload as InjectOptions['payload'] }) });
}

/** A value as it travels as JSON. */
const json = (value: unknown) => JSON.parse(JSON.stringify(value));
const commitOf = async (hash: string) => json(await store.commit(hash));
const blobHash = (text: string) => hashObject('blob', new TextEncoder().encode(text));
const headers = (res: LightMyRequestResponse, ...names: string[]) => Object.fromEntries(names.map((n) => [n, res.headers[n]]));

describe('POST /files/:name', () => {
  it('creates the file: 201, the commit in the body and in X-Gitty-Commit', async () => {
    await serve();
    const res = await send('POST', '/files/a.txt', { data: 'hello\n', meta: { author: 'ann', tags: ['x'], commit_message: 'first', extra: { n: 1 } } });
    expect(res.statusCode).toBe(201);
    const hash = (await store.head('a.txt'))!;
    expect(res.json()).toEqual({ commit: await commitOf(hash) });
    expect(res.json().commit).toMatchObject({ name: 'a.txt', data: blobHash('hello\n'), author: 'ann', tags: ['x'], commit_message: 'first', extra: { n: 1 } });
    expect(res.headers['x-gitty-commit']).toBe(hash);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect((await store.get('a.txt')).data).toEqual(new TextEncoder().encode('hello\n'));
  });

  it('creates without meta, and decodes base64 data', async () => {
    await serve();
    const res = await send('POST', '/files/b.bin', { data: Buffer.from([0, 1, 255]).toString('base64'), encoding: 'base64' });
    expect(res.statusCode).toBe(201);
    expect(Object.keys(res.json().commit).sort()).toEqual(['commit', 'data', 'name', 'time']);
    expect(res.json().commit.data).toBe(hashObject('blob', new Uint8Array([0, 1, 255])));
  });

  it('refuses a client time unless started for imports, and keeps it when it is', async () => {
    await serve();
    const refused = await send('POST', '/files/t.txt', { data: 'x', meta: { time: 1_600_000_000 } });
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toEqual({
      code: 'INVALID_ARGUMENT',
      message: '"meta.time" is set by the server; it accepts a client\'s time only when started for imports (acceptClientTime)',
    });
    expect(await store.head('t.txt')).toBeUndefined();
    await server.close();
    server = await createServer({ store, writeRateLimit: false, webPage: false, acceptClientTime: true });
    const kept = await send('POST', '/files/t.txt', { data: 'x', meta: { time: 1_600_000_000, author: 'imp' } });
    expect(kept.statusCode).toBe(201);
    expect(kept.json().commit).toMatchObject({ time: 1_600_000_000, author: 'imp' });
  });

  it('answers 409 FILE_EXISTS for an existing name', async () => {
    await serve();
    const first = (await send('POST', '/files/a', { data: '1' })).json().commit.commit;
    const again = await send('POST', '/files/a', { data: '2' });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toEqual({ code: 'FILE_EXISTS', message: `File "a" already exists (head ${first})`, head: first });
  });
});

describe('PUT /files/:name', () => {
  it('adds a version on the head: 200, the commit with its previous, X-Gitty-Commit', async () => {
    await serve();
    const v1 = (await store.create('a.txt', 'one\n')).commit;
    const res = await send('PUT', '/files/a.txt', { data: 'two\n', previous: v1, meta: { author: 'bo' } });
    expect(res.statusCode).toBe(200);
    const v2 = (await store.head('a.txt'))!;
    expect(v2).not.toBe(v1);
    expect(res.json()).toEqual({ commit: await commitOf(v2) });
    expect(res.json().commit).toMatchObject({ previous: v1, author: 'bo', data: blobHash('two\n') });
    expect(res.headers['x-gitty-commit']).toBe(v2);
  });

  it('adds a version without meta, and refuses a client time', async () => {
    await serve();
    const v1 = (await store.create('a.txt', 'one\n')).commit;
    const timed = await send('PUT', '/files/a.txt', { data: 'two\n', previous: v1, meta: { time: 5 } });
    expect(timed.statusCode).toBe(400);
    expect(timed.json().message).toBe('"meta.time" is set by the server; it accepts a client\'s time only when started for imports (acceptClientTime)');
    expect(await store.head('a.txt')).toBe(v1);
    const plain = await send('PUT', '/files/a.txt', { data: 'two\n', previous: v1 });
    expect(plain.statusCode).toBe(200);
    expect(Object.keys(plain.json().commit).sort()).toEqual(['commit', 'data', 'name', 'previous', 'time']);
  });

  it('answers a stale previous with 409 and the conflict body, writing nothing', async () => {
    await serve();
    const base = (await store.create('c.txt', 'a\nb\nc\n')).commit;
    const head = (await store.update('c.txt', 'A\nb\nc\n', { previous: base })).commit;
    const res = await send('PUT', '/files/c.txt', { data: 'a\nb\nC\n', previous: base });
    expect(res.statusCode).toBe(409);
    const at = (hash: string) => `c.txt@${hash.slice(0, 10)}`;
    expect(res.json()).toEqual({
      code: 'NOT_AT_HEAD',
      message: `File "c.txt" is at ${head}, not at ${base}`,
      head,
      diffs: {
        toHead: `===================================================================\n--- ${at(base)}\n+++ ${at(head)}\n@@ -1,3 +1,3 @@\n-a\n+A\n b\n c\n`,
        toYours: `===================================================================\n--- ${at(base)}\n+++ c.txt@yours\n@@ -1,3 +1,3 @@\n a\n b\n-c\n+C\n`,
      },
      merged: 'A\nb\nC\n',
    });
    expect(res.headers['x-gitty-commit']).toBeUndefined();
    expect(await store.head('c.txt')).toBe(head);
  });

  it('answers 409 with no head when the file was deleted meanwhile', async () => {
    await serve();
    const base = (await store.create('d.txt', 'x\n')).commit;
    await store.delete('d.txt');
    const res = await send('PUT', '/files/d.txt', { data: 'y\n', previous: base });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'NOT_AT_HEAD', message: 'File "d.txt" was deleted; it no longer has a head', head: null });
    expect(await store.head('d.txt')).toBeUndefined();
  });

  it('answers 400 when previous is a version of another file', async () => {
    await serve();
    await store.create('a', '1');
    const other = (await store.create('b', '2')).commit;
    const res = await send('PUT', '/files/a', { data: '3', previous: other });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ code: 'INVALID_ARGUMENT', message: `previous ${other} is a version of "b", not of "a"` });
  });

  it('answers 404 for a previous nothing has: the commit when the file exists, the file when not', async () => {
    await serve();
    await store.create('a', '1');
    const nothing = 'f'.repeat(40);
    const noCommit = await send('PUT', '/files/a', { data: '3', previous: nothing });
    expect(noCommit.statusCode).toBe(404);
    expect(noCommit.json()).toEqual({ code: 'NOT_FOUND', message: `No commit "${nothing}"` });
    const noFile = await send('PUT', '/files/z', { data: '3', previous: nothing });
    expect(noFile.statusCode).toBe(404);
    expect(noFile.json()).toEqual({ code: 'NOT_FOUND', message: 'No file "z"' });
    // A previous that is a blob, not a commit, on a missing file: the store's own answer, not "No file".
    const blob = await store.save('1');
    const notCommit = await send('PUT', '/files/z', { data: '3', previous: blob });
    expect(notCommit.statusCode).toBe(404);
    expect(notCommit.json()).toEqual({ code: 'NOT_FOUND', message: 'No file "z"' });
  });
});

describe('GET /files/:name', () => {
  it('answers the head as JSON with its commit, X-Gitty-Commit and a quoted ETag', async () => {
    await serve();
    const hash = (await store.create('a.txt', 'hi\n', { author: 'x' })).commit;
    const res = await send('GET', '/files/a.txt');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ commit: await commitOf(hash), data: 'hi\n', encoding: 'utf8' });
    expect(headers(res, 'x-gitty-commit', 'etag', 'content-type')).toEqual({
      'x-gitty-commit': hash, etag: `"${hash}"`, 'content-type': 'application/json; charset=utf-8',
    });
    const b64 = await send('GET', '/files/a.txt?encoding=base64');
    expect(b64.json()).toEqual({ commit: await commitOf(hash), data: Buffer.from('hi\n').toString('base64'), encoding: 'base64' });
  });

  it('answers raw bytes as application/octet-stream with the same headers', async () => {
    await serve();
    const bytes = new Uint8Array([0, 200, 10, 255]);
    const hash = (await store.create('b.bin', bytes)).commit;
    const res = await send('GET', '/files/b.bin?format=raw');
    expect(res.statusCode).toBe(200);
    expect(res.rawPayload).toEqual(Buffer.from(bytes));
    expect(headers(res, 'x-gitty-commit', 'etag', 'content-type')).toEqual({
      'x-gitty-commit': hash, etag: `"${hash}"`, 'content-type': 'application/octet-stream',
    });
    const asJson = await send('GET', '/files/b.bin?format=json');
    expect(asJson.json()).toEqual({ commit: await commitOf(hash), data: Buffer.from(bytes).toString('base64'), encoding: 'base64' });
  });

  it('answers an older version by hash or prefix, and 404 for a version of another file', async () => {
    await serve();
    const v1 = (await store.create('a.txt', 'one\n')).commit;
    const v2 = (await store.update('a.txt', 'two\n', { previous: v1 })).commit;
    const old = await send('GET', `/files/a.txt?version=${v1.slice(0, 8)}`);
    expect(old.statusCode).toBe(200);
    expect(old.json()).toEqual({ commit: await commitOf(v1), data: 'one\n', encoding: 'utf8' });
    expect(headers(old, 'x-gitty-commit', 'etag')).toEqual({ 'x-gitty-commit': v1, etag: `"${v1}"` });
    expect((await send('GET', `/files/a.txt?version=${v2}`)).json().data).toBe('two\n');
    const other = (await store.create('b.txt', 'bee\n')).commit;
    const wrong = await send('GET', `/files/a.txt?version=${other}`);
    expect(wrong.statusCode).toBe(404);
    expect(wrong.json()).toEqual({ code: 'NOT_FOUND', message: `No commit "${other} of "a.txt""` });
    expect(wrong.headers.etag).toBeUndefined();
  });

  it('answers 404 for a missing file', async () => {
    await serve();
    const res = await send('GET', '/files/none');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ code: 'NOT_FOUND', message: 'No file "none"' });
  });
});

describe('DELETE /files/:name', () => {
  it('deletes with 204 and no body, with or without previous', async () => {
    await serve();
    await store.create('a', '1');
    const b = (await store.create('b', '2')).commit;
    const plain = await send('DELETE', '/files/a');
    expect([plain.statusCode, plain.body]).toEqual([204, '']);
    expect(await store.head('a')).toBeUndefined();
    const checked = await send('DELETE', `/files/b?previous=${b}`);
    expect([checked.statusCode, checked.body]).toEqual([204, '']);
    expect(await store.head('b')).toBeUndefined();
  });

  it('answers 409 NOT_AT_HEAD when previous is not the head, and keeps the file', async () => {
    await serve();
    const v1 = (await store.create('a', '1')).commit;
    const v2 = (await store.update('a', '2', { previous: v1 })).commit;
    const res = await send('DELETE', `/files/a?previous=${v1}`);
    expect(res.statusCode).toBe(409);
    expect(res.json()).toEqual({ code: 'NOT_AT_HEAD', message: `File "a" is at ${v2}, not at ${v1}`, head: v2 });
    expect(await store.head('a')).toBe(v2);
  });

  it('answers 404 for a missing file', async () => {
    await serve();
    const res = await send('DELETE', '/files/none');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ code: 'NOT_FOUND', message: 'No file "none"' });
  });
});

describe('GET /files/:name/history', () => {
  async function seven(): Promise<string[]> {
    const hashes = [(await store.create('h', 'v0')).commit];
    for (let i = 1; i < 7; i++) hashes.push((await store.update('h', `v${i}`, { previous: hashes[i - 1]! })).commit);
    return hashes.reverse();
  }

  it('answers five commits by default, newest first, and `depth` of them when given', async () => {
    await serve();
    const hashes = await seven();
    const res = await send('GET', '/files/h/history');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ history: await Promise.all(hashes.slice(0, 5).map(commitOf)), skipped: 0 });
    const two = await send('GET', '/files/h/history?depth=2');
    expect(two.json()).toEqual({ history: await Promise.all(hashes.slice(0, 2).map(commitOf)), skipped: 0 });
  });

  it('starts at a commit given by hash or prefix, and takes `includes` by prefix', async () => {
    await serve();
    const hashes = await seven();
    const fromCommit = await send('GET', `/files/${hashes[3]!.slice(0, 6)}/history?depth=2`);
    expect(fromCommit.json().history.map((c: { commit: string }) => c.commit)).toEqual(hashes.slice(3, 5));
    const window = await send('GET', `/files/h/history?depth=2&includes=${hashes[5]!.slice(0, 7)}`);
    expect(window.statusCode).toBe(200);
    // The head, then the included commit: the four between are skipped.
    expect(window.json()).toEqual({ history: [await commitOf(hashes[0]!), await commitOf(hashes[5]!)], skipped: 4 });
  });

  it('answers 404 for a missing file', async () => {
    await serve();
    const res = await send('GET', '/files/none/history');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ code: 'NOT_FOUND', message: 'No file "none"' });
  });
});

describe('GET /files', () => {
  async function three(): Promise<void> {
    await store.create('a.pl', 'member(X, [X|_]).', { author: 'bob', tags: ['prolog'] });
    await store.create('b.md', 'a note about lists', { author: 'ann', tags: ['doc'] });
    await store.create('c.pl', 'append([], L, L).', { author: 'ann' });
  }
  const names = async (query: string) => {
    const res = await send('GET', `/files${query}`);
    expect(res.statusCode).toBe(200);
    return { names: res.json().files.map((f: { name: string }) => f.name), total: res.json().total, next: res.json().next };
  };

  it('lists every file with its head and commit, sorted by name', async () => {
    await serve();
    await three();
    const res = await send('GET', '/files');
    expect(res.json()).toEqual({
      files: await Promise.all(['a.pl', 'b.md', 'c.pl'].map(async (name) => {
        const head = (await store.head(name))!;
        return { name, head, commit: await commitOf(head) };
      })),
      total: 3,
      next: null,
    });
  });

  it('filters by prefix, contains, ext, author, tag and searches content', async () => {
    await serve();
    await three();
    expect(await names('?prefix=b')).toEqual({ names: ['b.md'], total: 1, next: null });
    expect(await names('?prefix=')).toEqual({ names: ['a.pl', 'b.md', 'c.pl'], total: 3, next: null });
    expect(await names('?contains=.P')).toEqual({ names: ['a.pl', 'c.pl'], total: 2, next: null });
    expect(await names('?ext=md')).toEqual({ names: ['b.md'], total: 1, next: null });
    expect(await names('?author=ann&tag=doc')).toEqual({ names: ['b.md'], total: 1, next: null });
    expect(await names('?q=append')).toEqual({ names: ['c.pl'], total: 1, next: null });
  });

  it('pages by limit and offset, and by the cursor it gives', async () => {
    await serve();
    await three();
    const first = await names('?limit=2');
    expect(first).toMatchObject({ names: ['a.pl', 'b.md'], total: 3 });
    expect(typeof first.next).toBe('string');
    expect(await names(`?limit=2&cursor=${encodeURIComponent(first.next)}`)).toEqual({ names: ['c.pl'], total: 3, next: null });
    expect(await names('?offset=1&limit=1')).toMatchObject({ names: ['b.md'], total: 3 });
    // A cursor wins over an offset.
    expect(await names(`?offset=0&limit=2&cursor=${encodeURIComponent(first.next)}`)).toMatchObject({ names: ['c.pl'] });
  });
});

describe('GET /objects/:hash', () => {
  it('answers an object by full hash, cacheable for ever, with its type', async () => {
    await serve();
    const commit = (await store.create('a.txt', 'hi\n')).commit;
    const blob = blobHash('hi\n');
    const res = await send('GET', `/objects/${blob}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ hash: blob, type: 'blob', size: 3, data: 'hi\n', encoding: 'utf8' });
    expect(headers(res, 'cache-control', 'x-gitty-type', 'content-type')).toEqual({
      'cache-control': 'public, max-age=31536000, immutable', 'x-gitty-type': 'blob', 'content-type': 'application/json; charset=utf-8',
    });
    const asCommit = await send('GET', `/objects/${commit}?encoding=base64`);
    const object = await store.load(commit);
    expect(asCommit.json()).toEqual({ hash: commit, type: 'commit', size: object.data.length, data: Buffer.from(object.data).toString('base64'), encoding: 'base64' });
    expect(asCommit.headers['x-gitty-type']).toBe('commit');
  });

  it('answers a prefix with the full hash and no-cache', async () => {
    await serve();
    await store.create('a.txt', 'hi\n');
    const blob = blobHash('hi\n');
    const res = await send('GET', `/objects/${blob.slice(0, 6)}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ hash: blob, type: 'blob', size: 3, data: 'hi\n', encoding: 'utf8' });
    expect(res.headers['cache-control']).toBe('no-cache');
  });

  it('answers raw bytes with the type in X-Gitty-Type', async () => {
    await serve();
    const bytes = new Uint8Array([1, 2, 0, 255]);
    const blob = await store.save(bytes);
    const res = await send('GET', `/objects/${blob}?format=raw`);
    expect(res.statusCode).toBe(200);
    expect(res.rawPayload).toEqual(Buffer.from(bytes));
    expect(headers(res, 'cache-control', 'x-gitty-type', 'content-type')).toEqual({
      'cache-control': 'public, max-age=31536000, immutable', 'x-gitty-type': 'blob', 'content-type': 'application/octet-stream',
    });
  });

  it('answers 404 for an object nothing has', async () => {
    await serve();
    const res = await send('GET', `/objects/${'e'.repeat(40)}`);
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ code: 'NOT_FOUND', message: `No object "${'e'.repeat(40)}"` });
    expect(res.headers['cache-control']).toBeUndefined();
  });
});

describe('GET /diff', () => {
  it('diffs two versions, by name and by prefix', async () => {
    await serve();
    const v1 = (await store.create('a.txt', 'one\n', { tags: ['x'] })).commit;
    await store.update('a.txt', 'one\ntwo\n', { previous: v1, tags: ['y'] });
    const res = await send('GET', `/diff?from=${v1.slice(0, 5)}&to=a.txt`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(json(await store.diff(v1, 'a.txt')));
    expect(res.json().tags).toEqual({ added: ['y'], deleted: ['x'] });
    expect(res.json().data).toContain('\n+two\n');
  });

  it('diffs `to` against its previous version without `from`, and a first version as initial', async () => {
    await serve();
    const v1 = (await store.create('a.txt', 'one\n')).commit;
    const v2 = (await store.update('a.txt', 'one\ntwo\n', { previous: v1 })).commit;
    const res = await send('GET', '/diff?to=a.txt');
    expect(res.json()).toEqual(json(await store.diff(v1, v2)));
    expect(res.json().from.commit).toBe(v1);
    const initial = await send('GET', `/diff?to=${v1}`);
    expect(initial.json()).toEqual(json(await store.diff(v1)));
    expect(initial.json()).toMatchObject({ from: null, initial: true });
  });

  it('answers 404 when a side does not exist', async () => {
    await serve();
    await store.create('a.txt', 'one\n');
    const res = await send('GET', '/diff?from=nope&to=a.txt');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ code: 'NOT_FOUND', message: 'No file "nope"' });
  });
});

describe('each route validates its request with its schema', () => {
  const cases: Array<[string, InjectOptions['method'], string, unknown, { code: string; message: string }]> = [
    ['POST: unknown body key', 'POST', '/files/a', { data: 'x', colour: 'red' }, { code: 'INVALID_ARGUMENT', message: 'body must NOT have additional properties' }],
    ['POST: bad encoding', 'POST', '/files/a', { data: 'x', encoding: 'hex' }, { code: 'INVALID_ARGUMENT', message: 'body/encoding must be equal to one of the allowed values' }],
    ['PUT: no previous', 'PUT', '/files/a', { data: 'x' }, { code: 'INVALID_ARGUMENT', message: 'body must have required property \'previous\'' }],
    ['PUT: short previous', 'PUT', '/files/a', { data: 'x', previous: 'abcd' }, { code: 'INVALID_HASH', message: 'body/previous must match pattern "^[0-9a-f]{40}$"' }],
    ['GET: bad format', 'GET', '/files/a?format=xml', undefined, { code: 'INVALID_ARGUMENT', message: 'querystring/format must be equal to one of the allowed values' }],
    ['GET: short version', 'GET', '/files/a?version=abc', undefined, { code: 'INVALID_HASH', message: 'querystring/version must match pattern "^[0-9a-f]{4,40}$"' }],
    ['DELETE: short previous', 'DELETE', '/files/a?previous=abcd', undefined, { code: 'INVALID_HASH', message: 'querystring/previous must match pattern "^[0-9a-f]{40}$"' }],
    ['history: depth 0', 'GET', '/files/a/history?depth=0', undefined, { code: 'INVALID_ARGUMENT', message: 'querystring/depth must be >= 1' }],
    ['list: limit 0', 'GET', '/files?limit=0', undefined, { code: 'INVALID_ARGUMENT', message: 'querystring/limit must be >= 1' }],
    ['object: short hash', 'GET', '/objects/abc', undefined, { code: 'INVALID_HASH', message: 'params/hash must match pattern "^[0-9a-f]{4,40}$"' }],
    ['object: bad format', 'GET', `/objects/${'a'.repeat(40)}?format=xml`, undefined, { code: 'INVALID_ARGUMENT', message: 'querystring/format must be equal to one of the allowed values' }],
    ['diff: no to', 'GET', '/diff?from=a', undefined, { code: 'INVALID_ARGUMENT', message: 'querystring must have required property \'to\'' }],
  ];

  it.each(cases)('%s', async (_what, method, url, payload, body) => {
    await serve();
    await store.create('a', '1');
    const res = await send(method, url, payload);
    expect([res.statusCode, res.json()]).toEqual([400, body]);
    expect((await store.get('a')).data).toEqual(new TextEncoder().encode('1'));
  });
});

describe('the listing cache', () => {
  it('stops following the store when the server closes', async () => {
    store = await openStore({ driver: 'memory' });
    let listeners = 0;
    const on = store.on.bind(store);
    store.on = (event, listener) => {
      listeners++;
      const off = on(event, listener);
      return () => {
        listeners--;
        off();
      };
    };
    server = await createServer({ store, writeRateLimit: false, webPage: false });
    expect(listeners).toBe(1);
    await server.close();
    expect(listeners).toBe(0);
  });
});
