import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '@gitty/core';
import { createServer, type GittyServer } from '../src/index.js';
import { PUBLIC_DIR } from '../src/routes/web-page.js';

// The web page's files over inject: each one's exact bytes (as on disk), content type and the
// security and cache headers; nothing else under the page, and no page when it is turned off.

let server: GittyServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const ASSETS: Array<[string, string, string]> = [
  ['/', 'index.html', 'text/html; charset=utf-8'],
  ['/app.js', 'app.js', 'text/javascript; charset=utf-8'],
  ['/diff-view.js', 'diff-view.js', 'text/javascript; charset=utf-8'],
  ['/api.js', 'api.js', 'text/javascript; charset=utf-8'],
  ['/names-view.js', 'names-view.js', 'text/javascript; charset=utf-8'],
  ['/style.css', 'style.css', 'text/css; charset=utf-8'],
];

describe('the web page', () => {
  it('lives in src/public next to the routes', () => {
    expect(fileURLToPath(PUBLIC_DIR)).toBe(fileURLToPath(new URL('../src/public/', import.meta.url)));
  });

  it('serves each of its files exactly, with its type, CSP, nosniff and no-cache', async () => {
    server = await createServer({ store: await openStore({ driver: 'memory' }), closeStore: true });
    for (const [route, file, type] of ASSETS) {
      const res = await server.app.inject({ url: route });
      const onDisk = await readFile(new URL(`../src/public/${file}`, import.meta.url));
      expect(onDisk.length, file).toBeGreaterThan(100);
      expect(res.statusCode, route).toBe(200);
      expect(res.rawPayload.equals(onDisk), route).toBe(true);
      expect({
        type: res.headers['content-type'],
        csp: res.headers['content-security-policy'],
        sniff: res.headers['x-content-type-options'],
        cache: res.headers['cache-control'],
      }, route).toEqual({ type, csp: CSP, sniff: 'nosniff', cache: 'no-cache' });
    }
  });

  it('serves nothing else: other paths answer 404 NOT_FOUND', async () => {
    server = await createServer({ store: await openStore({ driver: 'memory' }), closeStore: true });
    for (const path of ['/index.html', '/public/app.js', '/../package.json', '/helpers.js']) {
      const res = await server.app.inject({ url: path });
      expect([res.statusCode, res.json().code], path).toEqual([404, 'NOT_FOUND']);
    }
  });

  it('is not served when turned off', async () => {
    server = await createServer({ store: await openStore({ driver: 'memory' }), closeStore: true, webPage: false });
    const res = await server.app.inject({ url: '/?x=1' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ code: 'NOT_FOUND', message: 'No route GET /' });
    expect((await server.app.inject({ url: '/app.js' })).statusCode).toBe(404);
  });
});
