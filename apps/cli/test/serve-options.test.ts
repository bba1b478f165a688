import { request } from 'node:http';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, waitFor } from '@gitty/driver-test/harness';
import { collectOutput, gitty, startGitty } from './cli-process.js';

/** A request with any `Host` header (fetch will not send a foreign one). */
function withHost(url: string, method: string, urlPath: string, host: string, headers: Record<string, string> = {}, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(urlPath, url), { method, headers: { host, ...headers, ...(body ? { 'content-type': 'application/json' } : {}) } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** Start `gitty serve`, wait for its startup line, run `use(url, output)`, stop it with SIGINT. */
async function serving(
  args: string[],
  env: NodeJS.ProcessEnv,
  use: (url: string, out: { stdout: () => string; stderr: () => string }, pid: number) => Promise<void>,
  serveArgs: string[] = [],
): Promise<void> {
  const child = startGitty([...args, 'serve', '--port', '0', ...serveArgs], { env });
  const out = collectOutput(child);
  try {
    await waitFor(() => /listening on \S+/.test(out.stdout()) || child.exitCode !== null, 30_000);
    const url = /listening on (http:\/\/\S+)/.exec(out.stdout())?.[1];
    if (url === undefined) await out.exited; // its output in full, for the message
    expect(url, `${out.stdout()}\n${out.stderr()}`).toBeDefined();
    await use(url!, out, child.pid!);
  } finally {
    child.kill('SIGINT');
  }
  expect((await out.exited).code).toBe(0);
}

// Issue 15 item 3 through the CLI: the token never needs argv, the startup line says whether
// writes need one, foreign Host headers are refused, and the server's other options pass through.
describe('serve passes the server\'s access options through', () => {
  let dir: string;
  let remove: () => Promise<void>;
  let store: string;
  const body = { data: 'served\n' };
  const json = { 'content-type': 'application/json' };
  beforeAll(async () => {
    ({ dir, remove } = await tempDir('gitty-cli-serve-opts-'));
    store = path.join(dir, 'store');
    expect((await gitty(['--store', store, 'init'])).code).toBe(0);
  });
  afterAll(async () => remove());

  it('--token-file: the token stays out of argv; 401 without it, 201 with; foreign Host 421; --allow-host, --accept-client-time', async () => {
    const tokenFile = path.join(dir, 'token');
    await writeFile(tokenFile, 'f1le-t0ken\n');
    const serveArgs = ['--token-file', tokenFile, '--allow-host', 'gitty.example.org', '--allow-host', 'other.example', '--accept-client-time'];
    await serving(['--store', store], { GITTY_TOKEN: '', GITTY_TOKEN_FILE: '' }, async (url, out, pid) => {
      expect(out.stdout()).toMatch(/writes need a token/);
      expect(out.stderr()).not.toMatch(/warning/);
      expect(await readFile(`/proc/${pid}/cmdline`, 'utf8')).not.toContain('f1le-t0ken');
      const host = new URL(url).host;
      expect((await withHost(url, 'POST', '/files/s.txt', host, {}, body)).status).toBe(401);
      const created = await withHost(url, 'POST', '/files/s.txt', host, { authorization: 'Bearer f1le-t0ken' }, { ...body, meta: { time: 1_000_000 } });
      expect(created.status, JSON.stringify(created.json)).toBe(201);
      expect((created.json.commit as { time: number }).time).toBe(1_000_000);
      const foreign = await withHost(url, 'GET', '/files', 'evil.example');
      expect([foreign.status, foreign.json.code]).toEqual([421, 'HOST_NOT_ALLOWED']);
      expect((await withHost(url, 'GET', '/healthz', 'gitty.example.org')).status).toBe(200);
      expect((await withHost(url, 'GET', '/healthz', 'other.example:8080')).status).toBe(200);
    }, serveArgs);
  }, 60_000);

  it('GITTY_TOKEN_FILE works as --token-file; with no token the startup line says so and stderr warns', async () => {
    const tokenFile = path.join(dir, 'env-token');
    await writeFile(tokenFile, 'env-t0ken\n');
    await Promise.all([
      serving(['--store', store], { GITTY_TOKEN: '', GITTY_TOKEN_FILE: tokenFile }, async (url, out) => {
        expect(out.stdout()).toMatch(/writes need a token/);
        const headers = { ...json, authorization: 'Bearer env-t0ken' };
        expect((await fetch(`${url}/files/e.txt`, { method: 'POST', headers: json, body: JSON.stringify(body) })).status).toBe(401);
        expect((await fetch(`${url}/files/e.txt`, { method: 'POST', headers, body: JSON.stringify(body) })).status).toBe(201);
        // The server sets the time itself unless started with --accept-client-time.
        const timed = await fetch(`${url}/files/t.txt`, { method: 'POST', headers, body: JSON.stringify({ ...body, meta: { time: 5 } }) });
        expect(timed.status).toBe(400);
      }),
      serving(['--store', store], { GITTY_TOKEN: '', GITTY_TOKEN_FILE: '' }, async (_url, out) => {
        expect(out.stdout()).toMatch(/writes need NO token/);
        await waitFor(() => /warning: writes need no token/.test(out.stderr()), 10_000);
      }),
    ]);
  }, 60_000);
});
