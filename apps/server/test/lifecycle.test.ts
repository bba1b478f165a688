import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { openStore } from '@gitty/core';
import { waitFor } from '@gitty/driver-test/harness';
import { createServer, startServer } from '../src/index.js';
import { updateSchema } from '../src/schemas.js';
import { readEvents } from './helpers.js';

/** Send a request's headers and half its body now; `finish()` sends the rest and resolves with the status. */
function slowRequest(url: string, path: string, body: string): { finish: () => Promise<number> } {
  const target = new URL(path, url);
  const req = http.request({
    host: target.hostname, port: target.port, path: target.pathname, method: 'POST',
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
  });
  const status = new Promise<number>((resolve, reject) => {
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
  });
  const half = Math.floor(body.length / 2);
  req.write(body.slice(0, half));
  return {
    finish: () => {
      req.end(body.slice(half));
      return status;
    },
  };
}

describe('server lifecycle', () => {
  it('shuts down gracefully: the in-flight request finishes, event streams end, the store closes', async () => {
    const server = await startServer({ store: { driver: 'memory' }, port: 0 });
    const events = await readEvents(server.url);
    // In flight = its headers were parsed (Node's 'request' event), its body not yet complete.
    const received = new Promise((resolve) => server.app.server.once('request', resolve));
    const inFlight = slowRequest(server.url, '/files/late.txt', JSON.stringify({ data: 'made it' }));
    await received;
    const closed = server.close();
    // New requests are turned away once closing has begun: refused, or 503 while the socket still listens.
    const late = await fetch(`${server.url}/healthz`).then((r) => r.status, () => 'refused');
    expect(['refused', 503]).toContain(late);
    expect(await inFlight.finish()).toBe(201);
    await events.ended;
    await closed;
    expect(server.store.isClosed).toBe(true);
    // The stream ended at the start of shutdown, before the late write.
    expect(events.events).toEqual([]);
  });

  it('leaves a store it was given open, for its owner to close', async () => {
    const store = await openStore({ driver: 'memory' });
    const server = await startServer({ store, port: 0 });
    await server.close();
    await server.close();
    expect(store.isClosed).toBe(false);
    await store.close();
  });

  it('sends keep-alive comments on idle event streams', async () => {
    const server = await startServer({ store: { driver: 'memory' }, port: 0, keepAliveMs: 50 });
    const events = await readEvents(server.url);
    await waitFor(() => events.comments.filter((c) => c === 'keep-alive').length >= 2);
    events.close();
    await events.ended;
    await server.close();
  });

  it('rejects invalid options with INVALID_CONFIG', async () => {
    await expect(createServer({ store: { driver: 'memory' }, bodyLimit: -1 })).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
    await expect(createServer({ store: { driver: 'memory' }, writeRateLimit: { rate: 0, burst: 1 } })).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
    await expect(createServer({ store: { driver: 'nope' } })).rejects.toMatchObject({ code: 'DRIVER_NOT_FOUND' });
  });

  it('serves an OpenAPI 3.1 document generated from the routes\' own schemas', async () => {
    const server = await createServer({ store: { driver: 'memory' } });
    const res = await server.app.inject({ url: '/openapi.json' });
    const doc = res.json();
    expect(doc.openapi).toBe('3.1.0');
    const routes = Object.entries(doc.paths as Record<string, Record<string, unknown>>)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)).sort();
    expect(routes).toEqual([
      'DELETE /files/{name}', 'GET /diff', 'GET /events', 'GET /files', 'GET /files/{name}', 'GET /files/{name}/history',
      'GET /healthz', 'GET /objects/{hash}', 'POST /files/{name}', 'PUT /files/{name}',
    ]);
    const put = doc.paths['/files/{name}'].put;
    expect(put.requestBody.content['application/json'].schema).toEqual(JSON.parse(JSON.stringify(updateSchema.body)));
    expect(put.parameters[0]).toMatchObject({ name: 'name', in: 'path', required: true });
    expect(Object.keys(put.responses)).toEqual(['200', '4XX', '5XX']);
    expect(doc.paths['/files/{name}'].get.responses['200'].content['application/octet-stream']).toBeDefined();
    expect(doc.paths['/events'].get.responses['200'].content['text/event-stream']).toBeDefined();
    await server.close();
  });
});
