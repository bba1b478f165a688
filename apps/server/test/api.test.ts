import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashObject } from '@gitty/core';
import { waitFor } from '@gitty/driver-test/harness';
import { DRIVER_CASES, readEvents, startTestServer, type StoreSetup, type TestServer } from './helpers.js';

describe.each(DRIVER_CASES)('HTTP API on the $name driver', (driverCase) => {
  let setup: StoreSetup | undefined;
  let server: TestServer | undefined;
  let t: TestServer;

  beforeEach(async () => {
    setup = server = undefined;
    setup = await driverCase.open();
    t = server = await startTestServer({ store: setup.config, writeRateLimit: false });
  });
  afterEach(async () => {
    await server?.close();
    await setup?.cleanup();
  });

  it('creates a file and reads it back as JSON, as raw bytes and as base64', async () => {
    const created = await t.call('POST', '/files/notes.md', { data: '# Notes\nhello\n', meta: { author: 'ann', tags: ['doc'] } });
    expect(created.status).toBe(201);
    const commit = created.json.commit;
    expect(commit).toMatchObject({ name: 'notes.md', author: 'ann', tags: ['doc'], data: hashObject('blob', new TextEncoder().encode('# Notes\nhello\n')) });
    expect(created.headers.get('x-gitty-commit')).toBe(commit.commit);

    const read = await t.call('GET', '/files/notes.md');
    expect(read.status).toBe(200);
    expect(read.json).toEqual({ commit, data: '# Notes\nhello\n', encoding: 'utf8' });

    const raw = await fetch(`${t.url}/files/notes.md?format=raw`);
    expect(raw.headers.get('content-type')).toBe('application/octet-stream');
    expect(await raw.text()).toBe('# Notes\nhello\n');

    const b64 = await t.call('GET', '/files/notes.md?encoding=base64');
    expect(Buffer.from(b64.json.data, 'base64').toString()).toBe('# Notes\nhello\n');
  });

  it('stores bytes sent as base64 exactly and answers them as base64', async () => {
    const bytes = Buffer.from([0, 255, 1, 254, 0x80, 10]);
    const created = await t.call('POST', '/files/blob.bin', { data: bytes.toString('base64'), encoding: 'base64' });
    expect(created.status).toBe(201);
    expect(created.json.commit.data).toBe(hashObject('blob', bytes));
    const read = await t.call('GET', '/files/blob.bin');
    expect(read.json.encoding).toBe('base64');
    expect(Buffer.from(read.json.data, 'base64').equals(bytes)).toBe(true);
    const raw = Buffer.from(await (await fetch(`${t.url}/files/blob.bin?format=raw`)).arrayBuffer());
    expect(raw.equals(bytes)).toBe(true);
  });

  it('updates with the head as previous, keeps history, reads old versions and diffs them', async () => {
    const v1 = (await t.call('POST', '/files/a.txt', { data: 'one\ntwo\n' })).json.commit.commit;
    const v2res = await t.call('PUT', '/files/a.txt', { data: 'one\ntwo\nthree\n', previous: v1, meta: { commit_message: 'add three' } });
    expect(v2res.status).toBe(200);
    const v2 = v2res.json.commit;
    expect(v2).toMatchObject({ previous: v1, commit_message: 'add three' });

    const history = await t.call('GET', '/files/a.txt/history?depth=10');
    expect(history.json.history.map((c: { commit: string }) => c.commit)).toEqual([v2.commit, v1]);
    expect(history.json.skipped).toBe(0);

    const old = await t.call('GET', `/files/a.txt?version=${v1}`);
    expect(old.json.data).toBe('one\ntwo\n');

    const diff = await t.call('GET', `/diff?from=${v1}&to=a.txt`);
    expect(diff.status).toBe(200);
    expect(diff.json.data).toContain('+three');
    expect(diff.json.from.commit).toBe(v1);
    expect(diff.json.to.commit).toBe(v2.commit);

    const toPrevious = await t.call('GET', `/diff?to=${v2.commit}`);
    expect(toPrevious.json.data).toBe(diff.json.data);
  });

  it('answers a stale previous with 409, the head and both diffs from the common version, and writes nothing', async () => {
    const base = (await t.call('POST', '/files/c.txt', { data: 'a\nb\nc\nd\ne\nf\ng\n' })).json.commit.commit;
    const head = (await t.call('PUT', '/files/c.txt', { data: 'A\nb\nc\nd\ne\nf\ng\n', previous: base })).json.commit.commit;

    const stale = await t.call('PUT', '/files/c.txt', { data: 'a\nb\nc\nd\ne\nf\nG\n', previous: base });
    expect(stale.status).toBe(409);
    expect(stale.json.code).toBe('NOT_AT_HEAD');
    expect(stale.json.head).toBe(head);
    expect(stale.json.diffs.toHead).toMatch(/-a\n\+A/);
    expect(stale.json.diffs.toYours).toMatch(/-g\n\+G/);
    expect(stale.json.merged).toBe('A\nb\nc\nd\ne\nf\nG\n');

    const now = await t.call('GET', '/files/c.txt');
    expect(now.json.commit.commit).toBe(head);
    const history = await t.call('GET', '/files/c.txt/history?depth=10');
    expect(history.json.history).toHaveLength(2);

    // Changes to the same line cannot be merged: both diffs, no `merged`.
    const clash = await t.call('PUT', '/files/c.txt', { data: 'a!\nb\nc\nd\ne\nf\ng\n', previous: base });
    expect(clash.status).toBe(409);
    expect(clash.json.diffs.toYours).toMatch(/-a\n\+a!/);
    expect(clash.json.merged).toBeUndefined();

    // Resolving: the merged text saved on the new head.
    const resolved = await t.call('PUT', '/files/c.txt', { data: stale.json.merged, previous: head });
    expect(resolved.status).toBe(200);
  });

  it('refuses to create an existing file with 409 FILE_EXISTS naming the head', async () => {
    const v1 = (await t.call('POST', '/files/x', { data: '1' })).json.commit.commit;
    const again = await t.call('POST', '/files/x', { data: '2' });
    expect(again.status).toBe(409);
    expect(again.json).toMatchObject({ code: 'FILE_EXISTS', head: v1 });
  });

  it('lists files with filters and searches their content', async () => {
    await t.call('POST', '/files/a.pl', { data: 'member(X, [X|_]).', meta: { author: 'bob', tags: ['prolog'] } });
    await t.call('POST', '/files/b.md', { data: 'a note about lists', meta: { author: 'ann', tags: ['doc'] } });
    await t.call('POST', '/files/c.pl', { data: 'append([], L, L).', meta: { author: 'ann' } });

    const names = async (query: string) => (await t.call('GET', `/files${query}`)).json.files.map((f: { name: string }) => f.name);
    expect(await names('')).toEqual(['a.pl', 'b.md', 'c.pl']);
    expect(await names('?ext=pl')).toEqual(['a.pl', 'c.pl']);
    expect(await names('?author=ann')).toEqual(['b.md', 'c.pl']);
    expect(await names('?tag=prolog')).toEqual(['a.pl']);
    expect(await names('?prefix=b')).toEqual(['b.md']);
    expect(await names('?limit=1&offset=1')).toEqual(['b.md']);
    expect(await names('?q=append')).toEqual(['c.pl']);
    const listed = await t.call('GET', '/files?ext=md');
    expect(listed.json.files[0].commit.author).toBe('ann');
  });

  it('serves raw objects by hash, as JSON and as bytes with their type', async () => {
    const commit = (await t.call('POST', '/files/o', { data: 'object body' })).json.commit;
    const blob = await t.call('GET', `/objects/${commit.data}`);
    expect(blob.json).toEqual({ hash: commit.data, type: 'blob', size: 11, data: 'object body', encoding: 'utf8' });
    const raw = await fetch(`${t.url}/objects/${commit.commit}?format=raw`);
    expect(raw.headers.get('x-gitty-type')).toBe('commit');
    expect(JSON.parse(await raw.text())).toMatchObject({ name: 'o', data: commit.data });
    const missing = await t.call('GET', `/objects/${'0'.repeat(40)}`);
    expect(missing.status).toBe(404);
    expect(missing.json.code).toBe('NOT_FOUND');
  });

  it('deletes a file (only at the given head) and then answers 404 for it', async () => {
    const v1 = (await t.call('POST', '/files/gone', { data: '1' })).json.commit.commit;
    const v2 = (await t.call('PUT', '/files/gone', { data: '2', previous: v1 })).json.commit.commit;
    const stale = await t.call('DELETE', `/files/gone?previous=${v1}`);
    expect(stale.status).toBe(409);
    expect(stale.json).toMatchObject({ code: 'NOT_AT_HEAD', head: v2 });
    expect((await t.call('DELETE', `/files/gone?previous=${v2}`)).status).toBe(204);
    expect((await t.call('GET', '/files/gone')).status).toBe(404);
    expect((await t.call('GET', '/files')).json.files).toEqual([]);
    expect((await t.call('DELETE', '/files/gone')).status).toBe(404);
  });

  it('answers a PUT on a deleted file with 409 NOT_AT_HEAD and head null, as for any stale previous (issue 15, item 5)', async () => {
    const v1 = (await t.call('POST', '/files/gone.txt', { data: 'a\nb\n' })).json.commit.commit;
    expect((await t.call('DELETE', `/files/gone.txt?previous=${v1}`)).status).toBe(204);
    const put = await t.call('PUT', '/files/gone.txt', { data: 'a\nB\n', previous: v1 });
    expect(put.status).toBe(409);
    expect(put.json).toMatchObject({ code: 'NOT_AT_HEAD', head: null, diffs: { toHead: null } });
    expect(put.json.diffs.toYours).toMatch(/-b\n\+B/);
    expect((await t.call('GET', '/files/gone.txt')).status).toBe(404);
    // A previous that never existed is still 404.
    const unknown = await t.call('PUT', '/files/never.txt', { data: 'x', previous: '1'.repeat(40) });
    expect([unknown.status, unknown.json.code]).toEqual([404, 'NOT_FOUND']);
  });

  it('streams head changes on /events', async () => {
    const events = await readEvents(t.url);
    const v1 = (await t.call('POST', '/files/e', { data: '1' })).json.commit.commit;
    const v2 = (await t.call('PUT', '/files/e', { data: '2', previous: v1 })).json.commit.commit;
    await t.call('DELETE', '/files/e');
    await waitFor(() => events.events.length >= 3);
    expect(events.events).toEqual([
      { name: 'e', old: null, new: v1, origin: 'local' },
      { name: 'e', old: v1, new: v2, origin: 'local' },
      { name: 'e', old: v2, new: null, origin: 'local' },
    ]);
    events.close();
    await events.ended;
  });

  it('reports health and the driver in use', async () => {
    const health = await t.call('GET', '/healthz');
    expect(health.json).toEqual({ ok: true, driver: driverCase.name });
  });
});
