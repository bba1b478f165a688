import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, tempDir, tsNodeArgs, waitFor } from '@gitty/driver-test/harness';
import { collectOutput, gitty, MAIN, startGitty } from './cli-process.js';
import { openFilesStore } from './raw-store.js';

interface JsonError { error: { code: string; message: string; hint?: string } }

describe('rm, gc --dry-run, help, usage and --json details', () => {
  let dir: string;
  let remove: () => Promise<void>;
  let s: string[];
  let aHead: string;
  let bHead: string;

  beforeAll(async () => {
    ({ dir, remove } = await tempDir('gitty-cli-details-'));
    s = ['--store', path.join(dir, 'store')];
    expect((await gitty([...s, 'init'])).code).toBe(0);
    const put = (name: string, text: string) => gitty([...s, '--json', 'put', name, '-'], { input: text }).then((r) => r.json<{ commit: { commit: string } }>().commit.commit);
    [aHead, bHead] = await Promise.all([put('a.txt', 'a\n'), put('b.txt', 'b1\n')]);
  });
  afterAll(async () => remove());

  it('rm deletes a file, with --previous as a compare-and-swap taking abbreviated hashes', async () => {
    const b2 = (await gitty([...s, '--json', 'put', 'b.txt', '-'], { input: 'b2\n' })).json<{ commit: { commit: string } }>().commit.commit;
    const [rmA, stale, missing] = await Promise.all([
      gitty([...s, 'rm', 'a.txt']),
      gitty([...s, 'rm', 'b.txt', '--previous', bHead.slice(0, 10)]),
      gitty([...s, 'rm', 'nope.txt']),
    ]);
    expect(rmA.code, rmA.stderr).toBe(0);
    expect(rmA.stdout).toBe(`deleted a.txt (was ${aHead.slice(0, 10)})\n`);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(new RegExp(`^gitty: File "b.txt" is at ${b2}, not at ${bHead} — `));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^gitty: No file "nope.txt" — list the files with `gitty ls`\n$/);
    const rmB = await gitty([...s, '--json', 'rm', 'b.txt', '--previous', b2.slice(0, 8)]);
    expect(rmB.json()).toEqual({ deleted: 'b.txt', head: b2 });
    const ls = await gitty([...s, '--json', 'ls']);
    expect(ls.json()).toEqual([]);
    // The history stays until gc: the old versions are still readable by hash.
    expect((await gitty([...s, 'get', aHead.slice(0, 10)])).stdout).toBe('a\n');
  });

  it('gc --dry-run says in --json what it would delete', async () => {
    const scratch = ['--store', path.join(dir, 'gc')];
    const opened = await openFilesStore(path.join(dir, 'gc'));
    try {
      const first = await opened.create('g.txt', '1\n');
      await opened.update('g.txt', '2\n', { previous: first.commit });
      // A refused save leaves its blob and commit behind, unreferenced.
      await expect(opened.update('g.txt', 'orphan\n', { previous: first.commit })).rejects.toMatchObject({ code: 'NOT_AT_HEAD' });
    } finally {
      await opened.close();
    }
    const [json, text] = await Promise.all([
      gitty([...scratch, '--json', 'gc', '--grace', '0', '--dry-run']),
      gitty([...scratch, 'gc', '--grace', '0', '--dry-run']),
    ]);
    expect(text.stdout).toBe('4 reachable, 2 unreachable: would delete 2, kept 0 younger than 0\n');
    expect(json.json()).toEqual({ reachable: 4, unreachable: 2, deleted: 0, kept: 0, dryRun: true, wouldDelete: 2 });
  });

  it('help and usage: defaults shown once, git --help without a store, empty search is a usage error', async () => {
    const [logHelp, gitHelp, search, searchJson] = await Promise.all([
      gitty(['log', '--help']),
      gitty(['git', '--help']),
      gitty([...s, 'search', '']),
      gitty([...s, '--json', 'search', '']),
    ]);
    expect(logHelp.code).toBe(0);
    expect(logHelp.stdout.match(/default/g)).toHaveLength(1);
    expect(logHelp.stdout).toMatch(/--depth <n> +how many versions \(default: "10"\)/);
    expect(gitHelp.code, gitHelp.stderr).toBe(0);
    expect(gitHelp.stdout).toMatch(/^Usage: gitty git \[args\.\.\.\]\n/);
    expect(search.code).toBe(2);
    expect(search.stderr).toMatch(/^gitty: Nothing to search for — give the text to find/);
    expect(searchJson.json<JsonError>().error.code).toBe('USAGE');
  });

  it('--json errors carry documented codes only', async () => {
    const [noStore, noInput, noConfig, notStore] = await Promise.all([
      gitty(['--json', '--store', path.join(dir, 'missing'), 'ls']),
      gitty([...s, '--json', 'put', 'x.txt', path.join(dir, 'no-such-input')]),
      gitty(['--json', '--config', path.join(dir, 'missing.json'), 'ls']),
      gitty(['--json', '--store', dir, 'ls']),
    ]);
    expect([noStore, noInput, noConfig, notStore].map((r) => r.json<JsonError>().error.code)).toEqual(['NO_STORE', 'READ_FAILED', 'INVALID_CONFIG', 'NO_STORE']);
    for (const result of [noStore, noInput, noConfig, notStore]) expect(result.code).toBe(1);
  });

  it('get --json and cat --json give data and encoding as the HTTP API does', async () => {
    const binary = new Uint8Array([0, 255, 1, 254]);
    const put = await gitty([...s, '--json', 'put', 'bin.dat', '-'], { input: binary });
    const commit = put.json<{ commit: { commit: string; data: string } }>().commit;
    const [text, bytes, object] = await Promise.all([
      gitty([...s, '--json', 'get', aHead.slice(0, 10)]),
      gitty([...s, '--json', 'get', 'bin.dat']),
      gitty([...s, '--json', 'cat', commit.data.slice(0, 10)]),
    ]);
    expect(text.json()).toMatchObject({ commit: { commit: aHead }, data: 'a\n', encoding: 'utf8' });
    expect(bytes.json()).toMatchObject({ commit: { commit: commit.commit }, data: 'AP8B/g==', encoding: 'base64' });
    expect(object.json()).toEqual({ hash: commit.data, type: 'blob', size: 4, data: 'AP8B/g==', encoding: 'base64' });
  });

  it('labels progress once per phase on a terminal (no "repack repack")', async () => {
    const packs = ['--store', path.join(dir, 'packs'), '--driver', 'packs'];
    const opened = await openFilesStore(path.join(dir, 'packs'));
    try {
      for (let i = 0; i < 3; i++) await opened.create(`p${i}.txt`, `p${i}\n`);
    } finally {
      await opened.close();
    }
    const command = [process.execPath, ...tsNodeArgs(MAIN, [...packs, 'repack'])].join(' ');
    const result = await run('script', ['-qec', command, '/dev/null'], { env: { ...process.env, NO_COLOR: undefined, TERM: 'xterm' } });
    const screen = result.stdout.toString();
    expect(result.code, screen).toBe(0);
    expect(screen).toMatch(/repack \[[#-]{24}\] \d+\/\d+ \d+\/s/);
    expect(screen).not.toContain('repack repack');
  });

  it('serve --write-rate 0 turns the write limit off, as documented', async () => {
    const server = startGitty([...s, '--json', 'serve', '--port', '0', '--write-rate', '0']);
    const out = collectOutput(server);
    try {
      await waitFor(() => out.stdout().includes('listening') || /error/i.test(out.stderr()), 30_000);
      // Without a token serve warns that writes need none; anything else on stderr is a failure.
      expect(out.stderr().replace(/^warning: writes need no token[^\n]*\n?/m, '')).toBe('');
      const { listening } = JSON.parse(out.stdout().trim().split('\n')[0]!) as { listening: string };
      // The default limit (10/s, bursts of 50) would answer 429 before 60 writes in a row.
      const statuses: number[] = [];
      for (let i = 0; i < 60; i++) {
        const response = await fetch(`${listening}/files/w${i}.txt`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ data: `${i}\n` }) });
        statuses.push(response.status);
      }
      expect(statuses.filter((status) => status !== 201)).toEqual([]);
    } finally {
      server.kill('SIGINT');
    }
    expect((await out.exited).code).toBe(0);
  });
});
