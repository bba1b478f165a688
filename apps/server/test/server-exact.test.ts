import http from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { encodeCommit, openStore, type JsonValue, type Store } from '@gitty/core';
import { createServer, startServer, startupMessage, type GittyServer, type RunningServer } from '../src/index.js';

// createServer/startServer (server.ts) and the built-in drivers (drivers.ts) in the test
// process: who closes the store, the fastify options the server sets (each seen through a
// request that needs it), the hooks (host check, CORS preflight, token, connection close at
// shutdown, exact JSON for bigints), /healthz, the OPTIONS and not-found answers, where it
// listens, and its startup line.

const stores: Store[] = [];
const servers: GittyServer[] = [];

async function memoryStore(): Promise<Store> {
  const store = await openStore({ driver: 'memory' });
  stores.push(store);
  return store;
}

async function serve(options: Record<string, unknown> = {}): Promise<GittyServer> {
  const server = await createServer({ store: await memoryStore(), writeRateLimit: false, webPage: false, ...options });
  servers.push(server);
  return server;
}

afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
  for (const store of stores.splice(0)) await store.close();
});

/** A raw HTTP request on its own connection: status, headers and body text. */
function request(url: string, path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }>((resolve, reject) => {
    const req = http.request(new URL(path, url), { method: init.method ?? 'GET', headers: init.headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

describe('the store a server serves', () => {
  it('opens a configured store and closes it on close(); close() is one promise however often called', async () => {
    const server = await createServer({ store: { driver: 'memory' }, webPage: false });
    expect(server.store.isClosed).toBe(false);
    expect(server.store.driver.name).toBe('memory');
    const closing = server.close();
    expect(server.close()).toBe(closing);
    await closing;
    expect(server.store.isClosed).toBe(true);
  });

  it('leaves a configured store open with closeStore: false, and closes a given one with closeStore: true', async () => {
    const kept = await createServer({ store: { driver: 'memory' }, webPage: false, closeStore: false });
    await kept.close();
    expect(kept.store.isClosed).toBe(false);
    await kept.store.close();

    const given = await memoryStore();
    const owner = await createServer({ store: given, webPage: false });
    expect(owner.store).toBe(given);
    await owner.close();
    expect(given.isClosed).toBe(false);
    const closer = await createServer({ store: given, webPage: false, closeStore: true });
    await closer.close();
    expect(given.isClosed).toBe(true);
  });

  it('refuses an unknown driver with DRIVER_NOT_FOUND', async () => {
    await expect(createServer({ store: { driver: 'nope' } })).rejects.toMatchObject({ code: 'DRIVER_NOT_FOUND' });
  });
});

describe('registerBuiltinDrivers', () => {
  it('registers files, packs, sqlite and redis once per process', async () => {
    // A fresh copy of the module: its registration runs once per module instance, and this
    // process may have run it already (createServer calls it).
    vi.resetModules();
    const { registerBuiltinDrivers } = await import('../src/drivers.js');
    const first = registerBuiltinDrivers();
    expect(registerBuiltinDrivers()).toBe(first);
    expect(await first).toEqual(['files', 'packs', 'sqlite', 'redis']);
  });
});

describe('/healthz', () => {
  it('answers ok and the driver, and ok: false once the store is closed', async () => {
    const server = await serve();
    const res = await server.app.inject({ url: '/healthz' });
    expect([res.statusCode, res.headers['content-type'], res.json()]).toEqual([200, 'application/json; charset=utf-8', { ok: true, driver: 'memory' }]);
    await server.store.close();
    expect((await server.app.inject({ url: '/healthz' })).json()).toStrictEqual({ ok: false, driver: 'memory' });
  });
});

describe('what the server answers before a route runs', () => {
  it('answers unknown routes 404 NOT_FOUND naming the method and path without the query', async () => {
    const server = await serve();
    const res = await server.app.inject({ method: 'POST', url: '/nope/x?a=1' });
    expect([res.statusCode, res.json()]).toEqual([404, { code: 'NOT_FOUND', message: 'No route POST /nope/x' }]);
  });

  it('answers OPTIONS without CORS access 404, naming the origin', async () => {
    const server = await serve();
    const withOrigin = await server.app.inject({ method: 'OPTIONS', url: '/files/a', headers: { origin: 'https://b.example' } });
    expect([withOrigin.statusCode, withOrigin.json()]).toEqual([404, { code: 'NOT_FOUND', message: 'No CORS access for https://b.example' }]);
    const without = await server.app.inject({ method: 'OPTIONS', url: '/files/a' });
    expect([without.statusCode, without.json()]).toEqual([404, { code: 'NOT_FOUND', message: 'No CORS access for this origin' }]);
  });

  it('answers a CORS preflight of an allowed origin itself, and adds CORS headers to its requests', async () => {
    const server = await serve({ corsOrigins: ['https://a.example'] });
    const preflight = await server.app.inject({
      method: 'OPTIONS', url: '/files/a', headers: { origin: 'https://a.example', 'access-control-request-method': 'PUT' },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.body).toBe('');
    expect(preflight.headers).toMatchObject({
      'access-control-allow-origin': 'https://a.example',
      'access-control-allow-methods': 'GET, POST, PUT, DELETE',
      'access-control-max-age': '600',
    });
    const read = await server.app.inject({ url: '/healthz', headers: { origin: 'https://a.example' } });
    expect([read.statusCode, read.headers['access-control-allow-origin'], read.headers.vary]).toEqual([200, 'https://a.example', 'Origin']);
  });

  it('refuses a Host it is not bound to with 421', async () => {
    const server = await serve();
    const res = await server.app.inject({ url: '/healthz', headers: { host: 'evil.example' } });
    expect(res.statusCode).toBe(421);
    expect(res.json().code).toBe('HOST_NOT_ALLOWED');
    expect((await server.app.inject({ url: '/healthz', headers: { host: 'localhost:1' } })).statusCode).toBe(200);
  });

  it('needs the token for writes, not for reads', async () => {
    const server = await serve({ token: 's3cret' });
    const refused = await server.app.inject({ method: 'POST', url: '/files/a', payload: { data: 'x' } });
    expect([refused.statusCode, refused.json().code, refused.headers['www-authenticate']]).toEqual([401, 'UNAUTHORIZED', 'Bearer realm="gitty"']);
    expect(await server.store.head('a')).toBeUndefined();
    const taken = await server.app.inject({ method: 'POST', url: '/files/a', payload: { data: 'x' }, headers: { authorization: 'Bearer s3cret' } });
    expect(taken.statusCode).toBe(201);
    expect((await server.app.inject({ url: '/files/a' })).statusCode).toBe(200);
  });

  it('limits writes per client by default', async () => {
    const server = await createServer({ store: await memoryStore(), webPage: false, writeRateLimit: { rate: 1, burst: 1 } });
    servers.push(server);
    expect((await server.app.inject({ method: 'POST', url: '/files/a', payload: { data: 'x' } })).statusCode).toBe(201);
    const limited = await server.app.inject({ method: 'POST', url: '/files/b', payload: { data: 'x' } });
    expect([limited.statusCode, limited.json().code]).toEqual([429, 'RATE_LIMITED']);
  });
});

describe('request bodies', () => {
  it('refuses a body over bodyLimit with 413', async () => {
    const server = await serve({ bodyLimit: 64 });
    const res = await server.app.inject({ method: 'POST', url: '/files/a', payload: { data: 'x'.repeat(100) } });
    expect([res.statusCode, res.json()]).toEqual([413, { code: 'OBJECT_TOO_LARGE', message: 'The request body exceeds the server\'s body limit' }]);
    expect((await server.app.inject({ method: 'POST', url: '/files/a', payload: { data: 'x'.repeat(20) } })).statusCode).toBe(201);
  });

  it('takes JSON only: text/plain answers 415', async () => {
    const server = await serve();
    const res = await server.app.inject({ method: 'POST', url: '/files/a', payload: '{"data":"x"}', headers: { 'content-type': 'text/plain' } });
    expect([res.statusCode, res.json()]).toEqual([415, { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Send request bodies as application/json' }]);
  });

  it('refuses unknown keys instead of dropping them, and names only the first problem', async () => {
    const server = await serve();
    const extra = await server.app.inject({ method: 'POST', url: '/files/a', payload: { data: 'x', colour: 'red' } });
    expect([extra.statusCode, extra.json()]).toEqual([400, { code: 'INVALID_ARGUMENT', message: 'body must NOT have additional properties' }]);
    const two = await server.app.inject({ method: 'POST', url: '/files/a', payload: { colour: 'red' } });
    expect([two.statusCode, two.json()]).toEqual([400, { code: 'INVALID_ARGUMENT', message: 'body must have required property \'data\'' }]);
    expect(await server.store.head('a')).toBeUndefined();
  });

  it('does not coerce body types', async () => {
    const server = await serve();
    const res = await server.app.inject({ method: 'POST', url: '/files/a', payload: { data: 42 } });
    expect([res.statusCode, res.json()]).toEqual([400, { code: 'INVALID_ARGUMENT', message: 'body/data must be a string' }]);
  });
});

describe('URLs', () => {
  it('takes names up to 255 characters, percent-encoded', async () => {
    const server = await serve();
    const name = '€'.repeat(255);
    await server.store.create(name, 'long');
    const res = await server.app.inject({ url: `/files/${encodeURIComponent(name)}` });
    expect([res.statusCode, res.json().data]).toEqual([200, 'long']);
  });

  it('answers a malformed URL 400 through the server\'s own error body', async () => {
    const server = await serve();
    const res = await server.app.inject({ url: '/files/%E0%A4%A' });
    expect([res.statusCode, res.json()]).toEqual([400, { code: 'INVALID_ARGUMENT', message: '\'/files/%E0%A4%A\' is not a valid url component' }]);
  });
});

describe('integers beyond 2^53 (SWISH metadata)', () => {
  async function plant(store: Store, name: string, meta: Record<string, JsonValue>): Promise<string> {
    const blob = await store.save('x\n');
    const commit = await store.save(encodeCommit({ ...meta, name, data: blob, time: 1_700_000_000 }, 'swish'), 'commit');
    await store.driver.updateHead(name, null, commit);
    return commit;
  }

  it('answers them as exact JSON numbers, even deep in the reply', async () => {
    const server = await serve();
    await plant(server.store, 'big', { big: 12345678901234567890n });
    const res = await server.app.inject({ url: '/files/big' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('"big":12345678901234567890,');
    // 62 lists deep in `deep`, itself in the commit in the reply: the bigint is 65 levels down.
    let deep: JsonValue = [98765432109876543210n];
    for (let i = 0; i < 62; i++) deep = [deep];
    await plant(server.store, 'deep', { deep });
    const deepRes = await server.app.inject({ url: '/files/deep' });
    expect(deepRes.statusCode).toBe(200);
    expect(deepRes.body).toContain(`"deep":${'['.repeat(63)}98765432109876543210${']'.repeat(63)}`);
    const list = await server.app.inject({ url: '/files?prefix=big' });
    expect([list.statusCode, list.body.includes('"big":12345678901234567890,')]).toEqual([200, true]);
  });

  it('does not look for them deeper than 64 levels: such a reply answers 500', async () => {
    const lines: string[] = [];
    const server = await serve({ errorLog: { write: (line: string) => lines.push(line) } });
    let deep: JsonValue = [98765432109876543210n];
    for (let i = 0; i < 63; i++) deep = [deep];
    await plant(server.store, 'deeper', { deep });
    const res = await server.app.inject({ url: '/files/deeper' });
    expect([res.statusCode, res.json()]).toEqual([500, { code: 'INTERNAL', message: 'Internal server error' }]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(' GET /files/deeper → 500: TypeError: Do not know how to serialize a BigInt | ');
  });

  it('keeps the schema serializer for other replies: keys in the schema\'s order', async () => {
    const server = await serve();
    const hash = (await server.store.create('a', 'x', { tags: ['t'], author: 'ann', zz: 1 })).commit;
    const { time } = await server.store.commit(hash);
    const res = await server.app.inject({ url: '/files/a' });
    const blob = (await server.store.commit(hash)).data;
    expect(res.body).toBe(`{"commit":{"commit":"${hash}","name":"a","data":"${blob}","time":${time},"author":"ann","tags":["t"],"zz":1},"data":"x","encoding":"utf8"}`);
    const list = await server.app.inject({ url: '/files' });
    expect(list.body).toBe(`{"total":1,"next":null,"files":[{"name":"a","head":"${hash}","commit":${res.body.slice(10, res.body.indexOf(',"data":"x"'))}}]}`);
    expect((await server.app.inject({ url: '/healthz' })).body).toBe('{"ok":true,"driver":"memory"}');
  });
});

describe('startServer', () => {
  const running: RunningServer[] = [];
  afterEach(async () => {
    for (const server of running.splice(0)) await server.close();
  });

  it('listens on the port it picked and names it in its URL', async () => {
    const server = await startServer({ store: await memoryStore(), port: 0, webPage: false });
    running.push(server);
    const address = server.app.server.address() as { port: number; address: string };
    expect(server.port).toBe(address.port);
    expect(server.port).toBeGreaterThan(0);
    expect(address.address).toBe('127.0.0.1');
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    const res = await request(server.url, '/healthz');
    expect([res.status, res.text]).toEqual([200, '{"ok":true,"driver":"memory"}']);
  });

  it('brackets an IPv6 host in its URL', async () => {
    const server = await startServer({ store: await memoryStore(), port: 0, host: '::1', webPage: false });
    running.push(server);
    expect(server.url).toBe(`http://[::1]:${server.port}`);
    expect((await request(server.url, '/healthz')).status).toBe(200);
  });

  it('closes what it opened when it cannot listen', async () => {
    const first = await startServer({ store: await memoryStore(), port: 0, webPage: false });
    running.push(first);
    const store = await memoryStore();
    await expect(startServer({ store, port: first.port, webPage: false, closeStore: true })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    expect(store.isClosed).toBe(true);
  });

  it('answers a request in flight at shutdown with Connection: close, and closes idle connections', async () => {
    const server = await startServer({ store: await memoryStore(), port: 0, webPage: false, writeRateLimit: false });
    // An idle keep-alive connection must not hold close() up.
    const agent = new http.Agent({ keepAlive: true });
    const idle = await new Promise<[number, string | undefined]>((resolve, reject) => {
      http.get(`${server.url}/healthz`, { agent }, (res) => {
        res.resume();
        res.on('end', () => resolve([res.statusCode ?? 0, res.headers.connection]));
      }).on('error', reject);
    });
    // Before shutdown, a keep-alive client's connection is kept.
    expect(idle).toEqual([200, 'keep-alive']);
    // In flight: its headers parsed, half its body sent.
    const body = JSON.stringify({ data: 'made it' });
    const received = new Promise((resolve) => server.app.server.once('request', resolve));
    const answer = new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = http.request(`${server.url}/files/late.txt`, {
        method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      }, resolve);
      req.on('error', reject);
      req.write(body.slice(0, 5));
      void received.then(() => {
        const closed = server.close();
        req.end(body.slice(5));
        return closed;
      });
    });
    const res = await answer;
    res.resume();
    expect([res.statusCode, res.headers.connection]).toEqual([201, 'close']);
    await server.close();
    agent.destroy();
    expect(server.store.isClosed).toBe(false);
  });
});

describe('startupMessage', () => {
  const server = { url: 'http://127.0.0.1:8080', store: { driver: { name: 'files' } } } as unknown as RunningServer;

  it('says where it listens, the driver, and that writes need the token', () => {
    expect(startupMessage(server, { token: 't' })).toStrictEqual({
      line: 'gitty server listening on http://127.0.0.1:8080 (driver files; writes need a token)',
    });
  });

  it('warns when writes need no token', () => {
    expect(startupMessage(server, {})).toStrictEqual({
      line: 'gitty server listening on http://127.0.0.1:8080 (driver files; writes need NO token)',
      warning: 'warning: writes need no token: anyone who can reach this address may change the store; give one with --token-file <file> or GITTY_TOKEN',
    });
  });
});
