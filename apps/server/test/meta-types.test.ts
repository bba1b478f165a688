import { afterEach, describe, expect, it } from 'vitest';
import { encodeCommit, hashObject, openStore, type Meta, type Store } from '@gitty/core';
import { DRIVER_CASES, startTestServer, type TestServer } from './helpers.js';
import { registerBuiltinDrivers, type ServerOptions } from '../src/index.js';

let store: Store;
let t: TestServer;
const logged: string[] = [];

async function serve(options: Omit<ServerOptions, 'store'> = {}): Promise<TestServer> {
  store = await openStore({ driver: 'memory' });
  logged.length = 0;
  t = await startTestServer({ store, writeRateLimit: false, errorLog: { write: (line) => void logged.push(line) }, ...options });
  return t;
}

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  await t.close();
  await store.close();
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function objectCount(): Promise<number> {
  let n = 0;
  for await (const _ of store.driver.objects()) n++;
  return n;
}

/** A head whose commit holds metadata of any JSON type, as a store written by another program may. */
async function plant(name: string, meta: Meta, data = 'planted\n', previous?: string): Promise<string> {
  const blob = await store.save(data);
  const commit = await store.save(encodeCommit({ ...meta, name, data: blob, time: 1_700_000_000, ...(previous ? { previous } : {}) }), 'commit');
  await store.driver.updateHead(name, previous ?? null, commit);
  return commit;
}

describe('metadata types (issue 15, item 1)', () => {
  it('refuses wrongly typed documented keys with 400 INVALID_ARGUMENT and stores nothing', async () => {
    await serve();
    const bad: Meta[] = [
      { tags: 'notarray' }, { tags: ['ok', 1] }, { tags: null }, { author: { a: 1 } }, { author: 7 },
      { commit_message: 1 }, { commit_message: ['x'] },
    ];
    for (const meta of bad) {
      const res = await t.call('POST', '/files/x', { data: 'x', meta });
      expect([res.status, res.json.code], JSON.stringify(meta)).toEqual([400, 'INVALID_ARGUMENT']);
      expect(res.json.message).toMatch(/tags|author|commit_message/);
    }
    expect(await objectCount()).toBe(0);
    const ok = await t.call('POST', '/files/x', { data: 'x', meta: { tags: ['a'], author: 'ann', commit_message: 'm', anything: { n: [1, null] } } });
    expect(ok.status).toBe(201);
    const before = await objectCount();
    const update = await t.call('PUT', '/files/x', { data: 'y', previous: ok.json.commit.commit, meta: { tags: 'still not' } });
    expect([update.status, update.json.code]).toEqual([400, 'INVALID_ARGUMENT']);
    expect(await objectCount()).toBe(before);
  });

  it('sets the time itself unless the server accepts client times (imports)', async () => {
    await serve();
    const given = await t.call('POST', '/files/timed', { data: 'x', meta: { time: 1 } });
    expect([given.status, given.json.code]).toEqual([400, 'INVALID_ARGUMENT']);
    expect(given.json.message).toMatch(/time/);
    const now = Date.now() / 1000;
    const made = await t.call('POST', '/files/timed', { data: 'x' });
    expect(Math.abs(made.json.commit.time - now)).toBeLessThan(60);
    await t.close();
    await store.close();

    await serve({ acceptClientTime: true });
    const imported = await t.call('POST', '/files/old', { data: 'x', meta: { time: 1_000_000 } });
    expect(imported.json.commit.time).toBe(1_000_000);
    const nonsense = await t.call('POST', '/files/old2', { data: 'x', meta: { time: 'yesterday' } });
    expect([nonsense.status, nonsense.json.code]).toEqual([400, 'INVALID_ARGUMENT']);
  });

  it.each(DRIVER_CASES.map((c) => [c.name, c] as const))('serves list, get, history, diff and search of commits holding any JSON in documented keys (%s driver)', async (_name, driverCase) => {
    const setup = await driverCase.open();
    cleanups.push(setup.cleanup);
    await registerBuiltinDrivers();
    store = await openStore(setup.config);
    t = await startTestServer({ store, writeRateLimit: false });
    const first = await plant('swish.pl', { commit_message: 1, tags: 'notarray', author: { a: 1 } }, 'one\n');
    const second = await plant('swish.pl', { commit_message: null, tags: [1, 'x', { y: 2 }], author: ['ann'] }, 'one\ntwo\n', first);
    await plant('plain.md', { tags: ['doc'], author: 'ann' });

    const list = await t.call('GET', '/files');
    expect(list.status).toBe(200);
    const row = list.json.files.find((f: { name: string }) => f.name === 'swish.pl');
    expect(row.commit).toMatchObject({ commit: second, commit_message: null, tags: [1, 'x', { y: 2 }], author: ['ann'] });
    // The commit answered is the stored one, byte for byte: its hash still matches.
    const { commit: _hash, ...stored } = row.commit;
    expect(hashObject('commit', encodeCommit(stored))).toBe(second);

    expect((await t.call('GET', '/files?tag=x')).json.files.map((f: { name: string }) => f.name)).toEqual(['swish.pl']);
    expect((await t.call('GET', '/files?author=ann')).json.files.map((f: { name: string }) => f.name)).toEqual(['plain.md']);
    expect((await t.call('GET', '/files/swish.pl')).status).toBe(200);
    const history = await t.call('GET', '/files/swish.pl/history');
    expect(history.status).toBe(200);
    expect(history.json.history[1]).toMatchObject({ commit_message: 1, tags: 'notarray', author: { a: 1 } });
    const diff = await t.call('GET', `/diff?to=${second}`);
    expect(diff.status).toBe(200);
    expect(diff.json.tags).toEqual({ added: ['x'], deleted: [] });
    expect((await t.call('GET', '/files?q=two')).json.files.map((f: { name: string }) => f.name)).toEqual(['swish.pl']);
    // An update carries the odd tags over unchanged (they are the file's, not this request's).
    const updated = await t.call('PUT', '/files/swish.pl', { data: 'three\n', previous: second });
    expect(updated.status).toBe(200);
  });

  it('logs a 500 even when the request logger is off, and answers without detail', async () => {
    await serve();
    store.driver.loadObject = async () => {
      throw new Error('disk on fire');
    };
    const res = await t.call('GET', `/objects/${'1'.repeat(40)}`);
    expect(res.status).toBe(500);
    expect(res.json).toEqual({ code: 'INTERNAL', message: 'Internal server error' });
    expect(logged.join('')).toContain('disk on fire');
  });
});
