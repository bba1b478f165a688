import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, spawnTs, tempDir, waitFor } from '@gitty/driver-test/harness';
import type { ChildProcess } from 'node:child_process';
import { call, readEvents, startTestServer, type TestServer } from './helpers.js';

describe('two server processes on one files directory (one of them src/main.ts as a program)', () => {
  let dir: { dir: string; remove: () => Promise<void> };
  let local: TestServer;
  let child: ChildProcess;
  let childUrl: string;
  let out = '';

  beforeAll(async () => {
    dir = await tempDir('gitty-server-shared-');
    local = await startTestServer({ store: { driver: 'files', dir: dir.dir }, writeRateLimit: false });
    const port = await freePort();
    childUrl = `http://127.0.0.1:${port}`;
    const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
    child = spawnTs(main, ['--driver', 'files', '--dir', dir.dir, '--port', String(port), '--write-rate', '0']);
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(() => out.includes('listening'), 20_000);
  });

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await local?.close();
    await dir?.remove();
  });

  it('shows a write made through the other process on /events as remote, and serves it', async () => {
    const events = await readEvents(local.url);
    const created = await call(childUrl, 'POST', '/files/from-child.txt', { data: 'hello from the other process\n' });
    expect(created.status).toBe(201);
    const head = created.json.commit.commit as string;
    await waitFor(() => events.events.some((e) => e.new === head));
    expect(events.events.find((e) => e.new === head)).toEqual({ name: 'from-child.txt', old: null, new: head, origin: 'remote' });
    expect((await local.call('GET', '/files/from-child.txt')).json.data).toBe('hello from the other process\n');

    // The CAS holds across processes: a stale update through this process conflicts.
    const updated = await local.call('PUT', '/files/from-child.txt', { data: 'edited here\n', previous: head });
    expect(updated.status).toBe(200);
    const stale = await call(childUrl, 'PUT', '/files/from-child.txt', { data: 'edited there\n', previous: head });
    expect(stale.status).toBe(409);
    expect(stale.json.head).toBe(updated.json.commit.commit);
    events.close();
    await events.ended;
  });

  it('stops the program cleanly on SIGTERM', async () => {
    const health = await call(childUrl, 'GET', '/healthz');
    expect(health.json).toEqual({ ok: true, driver: 'files' });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toContain('SIGTERM: shutting down');
  });
});
