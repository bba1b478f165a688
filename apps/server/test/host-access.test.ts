import { request } from 'node:http';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, spawnTs, tempDir, waitFor } from '@gitty/driver-test/harness';
import { openStore, type Store } from '@gitty/core';
import { call, startTestServer, type TestServer } from './helpers.js';
import { hostGuard, type ServerOptions } from '../src/index.js';

let store: Store | undefined;
let t: TestServer | undefined;
const children: ChildProcess[] = [];

async function serve(options: Omit<ServerOptions, 'store'> = {}): Promise<TestServer> {
  store = await openStore({ driver: 'memory' });
  t = await startTestServer({ store, writeRateLimit: false, ...options });
  return t;
}

afterEach(async () => {
  await t?.close();
  await store?.close();
  t = store = undefined;
  for (const child of children.splice(0)) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
});

/** A request with a Host header of our choosing (fetch does not let one set it). */
function withHost(url: string, method: string, urlPath: string, host: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const target = new URL(urlPath, url);
  return new Promise((resolve, reject) => {
    const req = request(target, { method, headers: { host, ...(body ? { 'content-type': 'application/json' } : {}) } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : {} }));
    });
    req.on('error', reject);
    req.end(body ? JSON.stringify(body) : undefined);
  });
}

describe('DNS rebinding, token guessing and where the token comes from (issue 15, item 3)', () => {
  it('answers only the host names it is bound to (421 HOST_NOT_ALLOWED otherwise), writes included', async () => {
    const s = await serve();
    const port = new URL(s.url).port;
    const rebound = await withHost(s.url, 'POST', '/files/pwned', `attacker.example:${port}`, { data: 'x' });
    expect([rebound.status, rebound.json.code]).toEqual([421, 'HOST_NOT_ALLOWED']);
    expect((await withHost(s.url, 'GET', '/files', 'attacker.example')).status).toBe(421);
    expect((await withHost(s.url, 'GET', '/', `evil.test:${port}`)).status).toBe(421);
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`]) {
      expect((await withHost(s.url, 'GET', '/healthz', host)).status, host).toBe(200);
    }
    expect((await s.call('GET', '/files/pwned')).status).toBe(404);
  });

  it('answers host names added with allowedHosts, or any with "*"', async () => {
    let s = await serve({ allowedHosts: ['gitty.example.org'] });
    expect((await withHost(s.url, 'GET', '/healthz', 'gitty.example.org:8080')).status).toBe(200);
    expect((await withHost(s.url, 'GET', '/healthz', 'other.example.org')).status).toBe(421);
    await t!.close();
    s = await serve({ allowedHosts: ['*'] });
    expect((await withHost(s.url, 'GET', '/healthz', 'anything.example')).status).toBe(200);
  });

  it('on a wildcard address answers IP addresses, localhost and the machine\'s name, and no other names', () => {
    const check = hostGuard({ host: '0.0.0.0', allowedHosts: [] }, 'build-box');
    const asks = (host: string) => () => check({ headers: { host } } as never);
    for (const host of ['10.1.2.3:8080', '[fe80::1]:8080', 'localhost', 'BUILD-BOX:8080']) expect(asks(host), host).not.toThrow();
    for (const host of ['attacker.example', '10.1.2.3.attacker.example', '']) {
      expect(asks(host), host).toThrow(expect.objectContaining({ statusCode: 421, code: 'HOST_NOT_ALLOWED' }));
    }
    const named = hostGuard({ host: 'gitty.example.org', allowedHosts: [] }, 'build-box');
    expect(() => named({ headers: { host: 'gitty.example.org:443' } } as never)).not.toThrow();
    expect(() => named({ headers: { host: 'localhost' } } as never)).toThrow();
  });

  it('holds a client that keeps sending wrong tokens at 429, even when it then sends the right one', async () => {
    const s = await serve({ token: 'right-token', authFailureLimit: { rate: 0.01, burst: 5 } });
    const wrong = { authorization: 'Bearer wrong' };
    for (let i = 0; i < 5; i++) expect((await s.call('POST', `/files/g${i}`, { data: 'x' }, wrong)).status).toBe(401);
    const held = await s.call('POST', '/files/g', { data: 'x' }, wrong);
    expect([held.status, held.json.code]).toEqual([429, 'RATE_LIMITED']);
    expect(Number(held.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await s.call('POST', '/files/g', { data: 'x' }, { authorization: 'Bearer right-token' })).status).toBe(429);
    // Reads stay open.
    expect((await s.call('GET', '/files')).status).toBe(200);
  });

  it('limits failed token attempts by default (10, then 429)', async () => {
    const s = await serve({ token: 'right-token' });
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await s.call('DELETE', '/files/x', undefined, { authorization: 'Bearer nope' })).status);
    expect(statuses).toEqual([...Array(10).fill(401), 429, 429]);
  });

  it('reads the token from a file (not visible in ps), says so at start, and warns when writes need none', async () => {
    const dir = await tempDir('gitty-server-token-');
    try {
      const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
      const tokenFile = path.join(dir.dir, 'token');
      await writeFile(tokenFile, 's3cret-from-file\n', { mode: 0o600 });

      const start = async (args: string[]) => {
        const port = await freePort();
        const child = spawnTs(main, ['--driver', 'memory', '--port', String(port), ...args]);
        children.push(child);
        let out = '';
        let err = '';
        child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
        await waitFor(() => out.includes('listening'), 30_000);
        return { url: `http://127.0.0.1:${port}`, child, out: () => out, err: () => err };
      };

      const guarded = await start(['--token-file', tokenFile]);
      expect(guarded.out()).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+ \(driver memory; writes need a token\)/);
      expect(guarded.err()).not.toMatch(/warning/);
      expect(guarded.child.spawnargs.join(' ')).not.toContain('s3cret');
      expect((await call(guarded.url, 'POST', '/files/a', { data: 'x' })).status).toBe(401);
      expect((await call(guarded.url, 'POST', '/files/a', { data: 'x' }, { authorization: 'Bearer s3cret-from-file' })).status).toBe(201);

      const open = await start([]);
      expect(open.out()).toMatch(/writes need NO token/);
      await waitFor(() => open.err().includes('warning: writes need no token'), 10_000);
    } finally {
      await dir.remove();
    }
  }, 90_000);
});
