import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, tempDir, tsNodeArgs } from '@gitty/driver-test/harness';
import { MAIN, gitty } from './cli-process.js';

describe('hints for failures a user can act on', () => {
  let dir: string;
  let remove: () => Promise<void>;
  let s: string[];
  beforeAll(async () => {
    ({ dir, remove } = await tempDir('gitty-cli-hints-'));
    s = ['--store', path.join(dir, 'store')];
    expect((await gitty([...s, 'init'])).code).toBe(0);
  });
  afterAll(async () => remove());

  // A real fault: the CLI may write no file over 64 KiB (RLIMIT_FSIZE: EFBIG, as on a full disk).
  it('STORAGE_FULL says the file system is full, to free space and retry, and that nothing was acknowledged', async () => {
    const env = { ...process.env, GITTY_STORE: '', NO_COLOR: '1' };
    const result = await run('prlimit', ['--fsize=65536', '--', process.execPath, ...tsNodeArgs(MAIN, [...s, 'put', 'big.bin', '-'])], {
      env, input: randomBytes(200_000), timeoutMs: 60_000,
    });
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/the file system is full: free space and retry; nothing was acknowledged/);
    const json = await run('prlimit', ['--fsize=65536', '--', process.execPath, ...tsNodeArgs(MAIN, [...s, '--json', 'put', 'big.bin', '-'])], {
      env, input: randomBytes(200_000), timeoutMs: 60_000,
    });
    expect(JSON.parse(json.stdout.toString()).error).toMatchObject({ code: 'STORAGE_FULL', hint: expect.stringMatching(/nothing was acknowledged/) });
    expect((await gitty([...s, 'get', 'big.bin'])).code).toBe(1);
  }, 60_000);

  it('rm --previous with a moved head has its own hint, not put\'s', async () => {
    expect((await gitty([...s, 'put', 'r.txt', '-'], { input: 'one\n' })).code).toBe(0);
    const old = (await gitty([...s, '--json', 'get', 'r.txt', '--meta'])).json<{ commit: { commit: string } }>().commit.commit;
    expect((await gitty([...s, 'put', 'r.txt', '-'], { input: 'two\n' })).code).toBe(0);
    const rm = await gitty([...s, 'rm', 'r.txt', '--previous', old.slice(0, 10)]);
    expect(rm.code, rm.stderr).toBe(1);
    expect(rm.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(rm.stderr).not.toMatch(/reapply|put with --expect/);
    expect(rm.stderr).toMatch(/changed since: see `gitty log r\.txt`, then `gitty rm r\.txt --previous [0-9a-f]{40}` if it should still go/);
    expect((await gitty([...s, 'get', 'r.txt'])).stdout).toBe('two\n');
  }, 60_000);
});
