import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AmbiguousError, ErrorCodes, GittyError, type ErrorCode } from '@gitty/core';
import { tempDir, tsNodeArgs, waitFor } from '@gitty/driver-test/harness';
import { spawn } from 'node:child_process';
import { errorResponse } from '../src/index.js';
import { call } from './helpers.js';

/** The status every core code answers, chosen on purpose (issue 15: no accidental 500s). */
const EXPECTED: Record<ErrorCode, number> = {
  FILE_EXISTS: 409,
  NOT_AT_HEAD: 409,
  NOT_FOUND: 404,
  INVALID_NAME: 400,
  INVALID_HASH: 400,
  AMBIGUOUS: 400,
  INVALID_ARGUMENT: 400,
  // The server's own store is damaged or misconfigured: a server failure, logged, not the client's.
  CORRUPT_OBJECT: 500,
  DRIVER_NOT_FOUND: 500,
  INVALID_CONFIG: 400,
  OBJECT_TOO_LARGE: 413,
  UNSUPPORTED: 501,
  OBJECT_UNAVAILABLE: 503,
  REDIS_UNAVAILABLE: 503,
  LOCK_TIMEOUT: 503,
  CLOSED: 503,
  STORAGE_FULL: 507,
  ABORTED: 503,
};

describe('HTTP status of every core error code', () => {
  it('maps each code of the catalogue to its deliberate status', () => {
    const answered = Object.fromEntries(ErrorCodes.map((code) => [code, errorResponse(new GittyError(code, 'x')).status]));
    expect(answered).toEqual(EXPECTED);
  });

  it('answers AMBIGUOUS with the candidates', () => {
    const candidates = [{ hash: `abcd${'0'.repeat(36)}`, type: 'commit' }, { hash: `abcd${'1'.repeat(36)}`, type: 'blob' }];
    const { status, body } = errorResponse(new AmbiguousError('abcd', candidates));
    expect(status).toBe(400);
    expect(body).toMatchObject({ code: 'AMBIGUOUS', prefix: 'abcd', candidates });
  });
});

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

// A real fault: the server process may write no file larger than 64 KiB (RLIMIT_FSIZE, so
// writes fail with EFBIG as on a full disk; Node ignores SIGXFSZ).
describe('a write that finds no room', () => {
  let dir: string;
  let remove: () => Promise<void>;
  beforeAll(async () => ({ dir, remove } = await tempDir('gitty-server-full-')));
  afterAll(async () => remove());

  it('answers 507 STORAGE_FULL and stores nothing', async () => {
    const store = path.join(dir, 'store');
    const child = spawn('prlimit', ['--fsize=65536', '--', process.execPath, ...tsNodeArgs(MAIN, ['--driver', 'files', '--dir', store, '--port', '0'])], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise((resolve) => child.once('close', resolve));
    try {
      await waitFor(() => /listening on (\S+)/.test(out) || child.exitCode !== null, 30_000);
      const url = /listening on (\S+)/.exec(out)?.[1];
      expect(url, err).toBeDefined();
      // Random bytes do not compress: the object file outgrows the limit.
      const big = await call(url!, 'POST', '/files/big.bin', { data: randomBytes(200_000).toString('base64'), encoding: 'base64' });
      expect(big.status, big.text).toBe(507);
      expect(big.json.code).toBe('STORAGE_FULL');
      expect((await call(url!, 'GET', '/files/big.bin')).status).toBe(404);
      // Room for small writes remains: the store still works.
      expect((await call(url!, 'POST', '/files/small.txt', { data: 'fits\n' })).status).toBe(201);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  }, 60_000);
});
