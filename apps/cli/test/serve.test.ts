import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, waitFor } from '@gitty/driver-test/harness';
import { collectOutput, gitty, startGitty } from './cli-process.js';

describe('serve', () => {
  let dir: string;
  let remove: () => Promise<void>;
  beforeAll(async () => ({ dir, remove } = await tempDir('gitty-cli-serve-')));
  afterAll(async () => remove());

  it('serves the selected store over HTTP with a token for writes, and stops cleanly on SIGINT', async () => {
    const store = path.join(dir, 'store');
    expect((await gitty(['--store', store, 'init'])).code).toBe(0);
    const server = startGitty(['--store', store, '--json', 'serve', '--port', '0', '--token', 's3cret']);
    const out = collectOutput(server);
    try {
      await waitFor(() => out.stdout().includes('listening'), 30_000);
      const { listening } = JSON.parse(out.stdout().trim().split('\n')[0]!) as { listening: string };
      expect((await fetch(`${listening}/healthz`)).status).toBe(200);
      const body = JSON.stringify({ data: 'served\n' });
      const headers = { 'content-type': 'application/json' };
      expect((await fetch(`${listening}/files/s.txt`, { method: 'POST', headers, body })).status).toBe(401);
      const created = await fetch(`${listening}/files/s.txt`, { method: 'POST', headers: { ...headers, authorization: 'Bearer s3cret' }, body });
      expect(created.status).toBe(201);
    } finally {
      server.kill('SIGINT');
    }
    expect((await out.exited).code).toBe(0);
    // What the server wrote is in the store, as any other command sees it.
    expect((await gitty(['--store', store, 'get', 's.txt'])).stdout).toBe('served\n');
  });

  it('refuses a bad port as a usage error', async () => {
    const result = await gitty(['--store', path.join(dir, 'store'), 'serve', '--port', 'eighty']);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });
});
