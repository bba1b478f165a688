import { afterEach, describe, expect, it } from 'vitest';
import { MemoryDriver, openStore, type Store } from '@gitty/core';
import { startTestServer, type TestServer } from './helpers.js';
import type { ServerOptions } from '../src/index.js';

let store: Store;
let t: TestServer;

async function serve(options: Omit<ServerOptions, 'store'> = {}, maxObjectSize = 4096): Promise<TestServer> {
  store = await openStore({ driver: 'memory', maxObjectSize });
  t = await startTestServer({ store, writeRateLimit: false, ...options });
  return t;
}

/** Nothing was written: no heads, no objects. */
async function expectEmpty(): Promise<void> {
  const objects: string[] = [];
  for await (const hash of store.driver.objects()) objects.push(hash);
  const heads: string[] = [];
  for await (const head of store.driver.heads()) heads.push(head.name);
  expect({ objects, heads }).toEqual({ objects: [], heads: [] });
}

afterEach(async () => {
  await t.close();
  await store.close();
});

describe('bad input answers the right 4xx and writes nothing', () => {
  it('refuses a body over the body limit with 413', async () => {
    await serve({ bodyLimit: 1024 });
    const res = await t.call('POST', '/files/big', { data: 'x'.repeat(2000) });
    expect(res.status).toBe(413);
    expect(res.json.code).toBe('OBJECT_TOO_LARGE');
    await expectEmpty();
  });

  it('refuses data over the store\'s maxObjectSize with 413', async () => {
    await serve({}, 1000);
    const res = await t.call('POST', '/files/big', { data: 'x'.repeat(1500) });
    expect(res.status).toBe(413);
    expect(res.json.code).toBe('OBJECT_TOO_LARGE');
    await expectEmpty();
  });

  it('refuses invalid names with 400 INVALID_NAME', async () => {
    await serve();
    for (const name of ['a%01b', '%20padded', 'a%2Fb', 'back%5Cslash', 'n'.repeat(256), '%7F']) {
      const res = await t.call('POST', `/files/${name}`, { data: 'x' });
      expect([res.status, res.json.code], name).toEqual([400, 'INVALID_NAME']);
    }
    expect((await t.call('GET', '/files/a%01b')).json.code).toBe('INVALID_NAME');
    await expectEmpty();
  });

  it('refuses invalid hashes with 400 INVALID_HASH', async () => {
    await serve();
    const upper = 'A'.repeat(40);
    const cases: Array<[string, string, unknown?]> = [
      ['GET', '/objects/abc'],
      ['GET', `/objects/${upper}`],
      ['GET', `/objects/${'0'.repeat(41)}`],
      ['GET', '/files/x?version=123'],
      ['GET', '/files/x/history?includes=nothex'],
      ['DELETE', '/files/x?previous=zz'],
      ['PUT', '/files/x', { data: 'y', previous: 'not-a-hash' }],
    ];
    for (const [method, path, body] of cases) {
      const res = await t.call(method, path, body);
      expect([res.status, res.json.code], `${method} ${path}`).toEqual([400, 'INVALID_HASH']);
    }
    await expectEmpty();
  });

  it('refuses malformed JSON, wrong content types and wrong shapes with 400/415', async () => {
    await serve();
    const cases: Array<[unknown, Record<string, string>, number]> = [
      ['{"data": "x"', {}, 400],
      ['', {}, 400],
      ['data=x', { 'content-type': 'text/plain' }, 415],
      [{}, {}, 400],
      [{ data: 42 }, {}, 400],
      [{ data: 'x', extra: true }, {}, 400],
      [{ data: 'x', meta: 'author' }, {}, 400],
      [{ data: 'x', encoding: 'latin1' }, {}, 400],
      [{ data: '***', encoding: 'base64' }, {}, 400],
      [[1, 2], {}, 400],
    ];
    for (const [body, headers, status] of cases) {
      const res = await t.call('POST', '/files/shape', body, headers);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(typeof res.json.code).toBe('string');
      expect(typeof res.json.message).toBe('string');
    }
    expect((await t.call('GET', '/files?limit=0')).status).toBe(400);
    expect((await t.call('GET', '/files?order=random')).status).toBe(400);
    expect((await t.call('GET', '/diff')).status).toBe(400);
    await expectEmpty();
  });

  it('needs the bearer token for writes but not for reads', async () => {
    await serve({ token: 's3cret' });
    const none = await t.call('POST', '/files/a', { data: 'x' });
    expect(none.status).toBe(401);
    expect(none.json.code).toBe('UNAUTHORIZED');
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await t.call('POST', '/files/a', { data: 'x' }, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await t.call('POST', '/files/a', { data: 'x' }, { authorization: 's3cret' })).status).toBe(401);
    expect((await t.call('DELETE', '/files/a')).status).toBe(401);
    await expectEmpty();
    expect((await t.call('GET', '/files')).status).toBe(200);
    const ok = await t.call('POST', '/files/a', { data: 'x' }, { authorization: 'Bearer s3cret' });
    expect(ok.status).toBe(201);
  });

  it('limits the rate of writes per client with 429 and Retry-After, never reads', async () => {
    await serve({ writeRateLimit: { rate: 0.5, burst: 3 } });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await t.call('POST', `/files/r${i}`, { data: String(i) })).status);
    expect(statuses).toEqual([201, 201, 201, 429, 429]);
    const limited = await t.call('PUT', '/files/r0', { data: 'y', previous: '0'.repeat(40) });
    expect(limited.status).toBe(429);
    expect(limited.json.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await t.call('GET', '/files')).json.files).toHaveLength(3);
    expect((await t.call('GET', '/files/r4')).status).toBe(404);
  });

  it('sends no CORS headers by default and only to configured origins otherwise', async () => {
    await serve();
    const plain = await t.call('GET', '/files', undefined, { origin: 'https://evil.example' });
    expect(plain.headers.get('access-control-allow-origin')).toBeNull();
    await t.close();
    await store.close();

    await serve({ corsOrigins: ['https://ide.example'] });
    const allowed = await t.call('GET', '/files', undefined, { origin: 'https://ide.example' });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://ide.example');
    const other = await t.call('GET', '/files', undefined, { origin: 'https://evil.example' });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await t.call('OPTIONS', '/files/a', undefined, {
      origin: 'https://ide.example', 'access-control-request-method': 'PUT',
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('PUT');
    const refused = await t.call('OPTIONS', '/files/a', undefined, {
      origin: 'https://evil.example', 'access-control-request-method': 'PUT',
    });
    expect(refused.status).toBe(404);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers an unexpected failure with 500 INTERNAL and no stack trace or detail', async () => {
    // A real driver whose head listing fails with a plain (non-gitty) error.
    class FailingDriver extends MemoryDriver {
      override heads(): AsyncIterable<{ name: string; head: string }> {
        throw new Error('disk on fire at /secret/path');
      }
    }
    store = await openStore(new FailingDriver());
    const logged: string[] = [];
    t = await startTestServer({ store, errorLog: { write: (line: string) => logged.push(line) } });
    const res = await t.call('GET', '/files');
    expect(res.status).toBe(500);
    expect(res.json).toEqual({ code: 'INTERNAL', message: 'Internal server error' });
    expect(res.text).not.toMatch(/secret|at .*\.ts/);
    // The detail goes to the operator's log instead.
    expect(logged.join('')).toMatch(/GET \/files → 500: Error: disk on fire at \/secret\/path/);
  });

  it('answers unknown routes with 404 NOT_FOUND', async () => {
    await serve();
    const res = await t.call('GET', '/no/such/route');
    expect([res.status, res.json.code]).toEqual([404, 'NOT_FOUND']);
  });
});
