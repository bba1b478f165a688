import { request } from 'node:http';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '@gitty/driver-test/harness';
import { gitty } from './cli-process.js';
import { untilSignal, type Running, type Stopped } from './support/until-signal.js';

// `gitty serve` in the test process: started through runCli, used over HTTP, and stopped by
// calling the SIGINT (or SIGTERM) handler it installs, as a signal would.

interface Serving extends Running {
  url: string;
}

/** Run `gitty <args> serve --port 0 <serveArgs>`, call `use` once it listens, stop it with `signal`; resolves with the exit status. */
async function serving(args: string[], serveArgs: string[], use: (s: Serving) => Promise<void>, options: { env?: NodeJS.ProcessEnv; signal?: 'SIGINT' | 'SIGTERM' } = {}): Promise<Stopped> {
  let url = '';
  return untilSignal(
    [...args, 'serve', '--port', '0', ...serveArgs],
    { GITTY_TOKEN: '', GITTY_TOKEN_FILE: '', ...options.env },
    async (running) => {
      const stdout = running.stdout();
      url = /listening on (http:\/\/\S+) /.exec(stdout)?.[1] ?? (/"listening":"([^"]+)"/.exec(stdout)?.[1] as string);
      await use({ url, ...running });
    },
    options.signal,
    // Stopped, it no longer answers.
    async () => expect(fetch(`${url}/healthz`)).rejects.toThrow('fetch failed'),
  );
}

/** GET with any Host header (fetch will not send a foreign one): the status. */
function statusWithHost(url: string, urlPath: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(urlPath, url), { headers: { host } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

const json = { 'content-type': 'application/json' };
const post = (url: string, name: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${url}/files/${name}`, { method: 'POST', headers: { ...json, ...headers }, body: JSON.stringify(body) });

describe('gitty serve (in-process)', () => {
  let dir: string;
  let remove: () => Promise<void>;
  let store: string;
  const NO_TOKEN_WARNING = 'warning: writes need no token: anyone who can reach this address may change the store; give one with --token-file <file> or GITTY_TOKEN\n';

  beforeAll(async () => {
    ({ dir, remove } = await tempDir('gitty-cli-serve-exact-'));
    store = path.join(dir, 'store');
    expect((await gitty(['--store', store, 'init'])).code).toBe(0);
  });
  afterAll(async () => remove());

  it('prints where it listens and that writes need the --token; 401 without it, 201 with; stops at SIGINT with status 0', async () => {
    let url = '';
    const done = await serving(['--store', store], ['--token', 's3cret'], async (s) => {
      url = s.url;
      expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await post(s.url, 'a.txt', { data: 'a\n' })).status).toBe(401);
      expect((await post(s.url, 'a.txt', { data: 'a\n' }, { authorization: 'Bearer s3cret' })).status).toBe(201);
    });
    expect(done).toEqual({ code: 0, stdout: `gitty server listening on ${url} (driver files; writes need a token) — store --store ${store} (Ctrl-C to stop)\n`, stderr: '' });
    expect((await gitty(['--store', store, 'get', 'a.txt'])).stdout).toBe('a\n');
  });

  it('with --json prints one event line; without a token it warns on stderr; SIGTERM stops it too', async () => {
    let url = '';
    const done = await serving(['--store', store, '--json'], [], async (s) => {
      url = s.url;
      expect((await post(s.url, 'open.txt', { data: 'o\n' })).status).toBe(201);
    }, { signal: 'SIGTERM' });
    expect(done).toEqual({ code: 0, stdout: `${JSON.stringify({ listening: url, store: `--store ${store}`, writesNeedToken: false })}\n`, stderr: NO_TOKEN_WARNING });
    const withToken = await serving(['--store', store, '--json'], ['--token', 't0k'], async (s) => {
      url = s.url;
    });
    expect(withToken).toEqual({ code: 0, stdout: `${JSON.stringify({ listening: url, store: `--store ${store}`, writesNeedToken: true })}\n`, stderr: '' });
  });

  it('takes the token from --token-file (one trailing newline dropped), $GITTY_TOKEN_FILE, or $GITTY_TOKEN, in that order', async () => {
    const file = path.join(dir, 'token');
    await writeFile(file, 'f1le\r\n');
    const envFile = path.join(dir, 'env-token');
    await writeFile(envFile, 'env-f1le\n');
    const accepts = async (url: string, token: string) => {
      expect((await post(url, 'x.txt', { data: 'x' }, { authorization: `Bearer ${token}-wrong` })).status).toBe(401);
      const created = await post(url, `t-${token}.txt`, { data: 'x' }, { authorization: `Bearer ${token}` });
      expect(created.status).toBe(201);
    };
    const withFile = await serving(['--store', store], ['--token-file', file, '--token', 'ignored'], (s) => accepts(s.url, 'f1le'), { env: { GITTY_TOKEN_FILE: envFile, GITTY_TOKEN: 'env' } });
    expect([withFile.code, withFile.stderr]).toEqual([0, '']);
    expect(withFile.stdout).toContain('(driver files; writes need a token)');
    expect((await serving(['--store', store], ['--token', 'flag'], (s) => accepts(s.url, 'env-f1le'), { env: { GITTY_TOKEN_FILE: envFile, GITTY_TOKEN: 'env' } })).code).toBe(0);
    expect((await serving(['--store', store], ['--token', 'flag'], (s) => accepts(s.url, 'flag'), { env: { GITTY_TOKEN: 'env' } })).code).toBe(0);
    expect((await serving(['--store', store], [], (s) => accepts(s.url, 'env'), { env: { GITTY_TOKEN: 'env' } })).code).toBe(0);
  });

  it('refuses an unreadable or malformed token file, and bad numbers, as the usage or read errors they are', async () => {
    const missing = path.join(dir, 'no-token-file');
    const failed = async (serveArgs: string[], code: number, stderr: string, env: NodeJS.ProcessEnv = {}) => {
      // Through serving(): a server that starts by mistake is stopped again (and the test fails).
      expect(await serving(['--store', store], serveArgs, async () => {}, { env })).toEqual({ code, stdout: '', stderr });
    };
    await failed(['--token-file', missing], 1, `gitty: Cannot read the token file ${missing}: ENOENT: no such file or directory, open '${missing}' — give a readable file holding the token (--token-file or $GITTY_TOKEN_FILE)\n`);
    await failed([], 1, `gitty: Cannot read the token file ${missing}: ENOENT: no such file or directory, open '${missing}' — give a readable file holding the token (--token-file or $GITTY_TOKEN_FILE)\n`, { GITTY_TOKEN_FILE: missing });
    const asJson = await gitty(['--store', store, '--json', 'serve', '--port', '0', '--token-file', missing], { env: { GITTY_TOKEN: '', GITTY_TOKEN_FILE: '' } });
    expect([asJson.code, asJson.json<{ error: { code: string } }>().error.code]).toEqual([1, 'READ_FAILED']);
    for (const [name, text] of Object.entries({ empty: '', newline: '\n', spaced: 'two words\n', tabbed: 'a\tb', lines: 'a\nb\n', inner: 'a\nb' })) {
      const file = path.join(dir, `token-${name}`);
      await writeFile(file, text);
      await failed(['--token-file', file], 2, `gitty: The token file ${file} must hold one token without white space — write the token alone on one line\n`);
    }
    for (const port of ['eighty', '-1', '65536', '1.5']) await failed(['--port', port], 2, `gitty: Invalid --port "${port}" — give a TCP port from 0 to 65535\n`);
    for (const limit of ['0', '-5', 'big', 'Infinity']) await failed(['--body-limit', limit], 2, `gitty: Invalid --body-limit "${limit}" — give a positive number\n`);
    const nowhere = path.join(dir, 'nowhere');
    expect(await serving(['--store', nowhere], [], async () => {})).toEqual({ code: 1, stdout: '', stderr: `gitty: No store at ${nowhere} — create one with \`gitty --store ${nowhere} init\`, or check --store ${nowhere}\n` });
    for (const rate of ['', ' ', '-1', 'fast', 'Infinity']) await failed(['--write-rate', rate], 2, `gitty: Invalid --write-rate "${rate}" — give writes per second per client, or 0 for no limit\n`);
  });

  it('passes --host, --body-limit, --write-rate, --cors, --allow-host and --accept-client-time to the server', async () => {
    const big = { data: 'x'.repeat(2000) };
    expect((await serving(['--store', store], ['--host', 'localhost', '--body-limit', '1000', '--cors', 'https://app.example', '--allow-host', 'gitty.example', '--allow-host', 'other.example', '--accept-client-time'], async (s) => {
      expect(new URL(s.url).hostname).toMatch(/^(localhost|127\.0\.0\.1|\[::1\])$/);
      expect((await post(s.url, 'big.txt', big)).status).toBe(413);
      const timed = await post(s.url, 'timed.txt', { data: 't', meta: { time: 1_000_000 } });
      expect(timed.status).toBe(201);
      expect(((await timed.json()) as { commit: { time: number } }).commit.time).toBe(1_000_000);
      const cors = await fetch(`${s.url}/healthz`, { headers: { origin: 'https://app.example' } });
      expect(cors.headers.get('access-control-allow-origin')).toBe('https://app.example');
      expect([await statusWithHost(s.url, '/healthz', 'gitty.example'), await statusWithHost(s.url, '/healthz', 'other.example'), await statusWithHost(s.url, '/healthz', 'evil.example')]).toEqual([200, 200, 421]);
      // Only the names given: collect starts from an empty list (its default), nothing else is allowed.
      expect(await statusWithHost(s.url, '/healthz', 'Stryker was here')).toBe(421);
    })).code).toBe(0);
    expect((await serving(['--store', store], [], async (s) => {
      expect((await post(s.url, 'big-ok.txt', big)).status).toBe(201);
      expect((await post(s.url, 'untimed.txt', { data: 't', meta: { time: 1_000_000 } })).status).toBe(400);
      const cors = await fetch(`${s.url}/healthz`, { headers: { origin: 'https://app.example' } });
      expect(cors.headers.get('access-control-allow-origin')).toBe(null);
    })).code).toBe(0);
  });

  it('--write-rate: 1 per second allows a burst of 5; 0 turns the limit off', async () => {
    expect((await serving(['--store', store], ['--write-rate', '1'], async (s) => {
      const statuses = [];
      for (let i = 0; i < 6; i++) statuses.push((await post(s.url, `r${i}.txt`, { data: 'r' })).status);
      expect(statuses).toEqual([201, 201, 201, 201, 201, 429]);
    })).code).toBe(0);
    expect((await serving(['--store', store], ['--write-rate', '0'], async (s) => {
      const statuses = [];
      for (let i = 0; i < 60; i++) statuses.push((await post(s.url, `u${i}.txt`, { data: 'u' })).status);
      expect(statuses.filter((status) => status !== 201)).toEqual([]);
    })).code).toBe(0);
  });
});
