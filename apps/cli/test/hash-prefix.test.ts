import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashObject } from '@gitty/core';
import { tempDir } from '@gitty/driver-test/harness';
import { gitty, type CliResult } from './cli-process.js';
import { collidingPayloads, openFilesStore } from './raw-store.js';

function oneLineError(result: CliResult, pattern: RegExp): void {
  expect(result.code, result.stderr).toBe(1);
  expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(result.stderr).toMatch(pattern);
}

// log and ls print 10 hex digits; every command taking a hash accepts what they print, and any
// unique prefix of at least 4 digits, as git does.
describe('abbreviated hashes', () => {
  let dir: string;
  let remove: () => Promise<void>;
  let s: string[];
  const v: string[] = [];
  let blobOne: string;
  let twin: string;

  beforeAll(async () => {
    ({ dir, remove } = await tempDir('gitty-cli-prefix-'));
    const store = path.join(dir, 'store');
    s = ['--store', store];
    const opened = await openFilesStore(store);
    try {
      let commit = await opened.create('hello.txt', 'one\n');
      v.push(commit.commit);
      blobOne = commit.data;
      for (const text of ['two\n', 'three\n']) {
        commit = await opened.update('hello.txt', text, { previous: commit.commit });
        v.push(commit.commit);
      }
      await opened.create('cafe', 'a file named like a hash prefix\n');
      // A blob sharing the first commit's 4-digit prefix: commands that want a commit still resolve it.
      const target = v[0]!.slice(0, 4);
      for (let i = 0; ; i++) {
        const bytes = new TextEncoder().encode(`pad ${i}\n`);
        if (hashObject('blob', bytes).startsWith(target)) {
          await opened.save(bytes);
          break;
        }
      }
      // Two commits sharing a 4-digit prefix: truly ambiguous.
      const [a, b] = collidingPayloads('commit', (i) => new TextEncoder().encode(JSON.stringify({ data: blobOne, name: 'twin.txt', time: i })));
      twin = (await opened.save(a, 'commit')).slice(0, 4);
      expect(await opened.save(b, 'commit')).toMatch(new RegExp(`^${twin}`));
    } finally {
      await opened.close();
    }
  });
  afterAll(async () => remove());

  it('accepts the 10 digits log and ls print, and any unique prefix of at least 4', async () => {
    const log = await gitty([...s, 'log', 'hello.txt']);
    const printed = log.stdout.trim().split('\n').map((line) => line.split(' ')[0]!);
    expect(printed).toEqual([v[2]!.slice(0, 10), v[1]!.slice(0, 10), v[0]!.slice(0, 10)]);
    const [get, getShort, meta, logFrom, window, diff, diffOne, cat, put, stale, named] = await Promise.all([
      gitty([...s, 'get', printed[2]!]),
      gitty([...s, 'get', v[0]!.slice(0, 4)]),
      gitty([...s, '--json', 'get', '--meta', v[1]!.slice(0, 7)]),
      gitty([...s, '--json', 'log', printed[1]!]),
      gitty([...s, '--json', 'log', 'hello.txt', '--depth', '1', '--includes', printed[2]!]),
      gitty([...s, 'diff', printed[2]!, v[2]!.slice(0, 6)]),
      gitty([...s, 'diff', printed[1]!]),
      gitty([...s, 'cat', blobOne.slice(0, 10)]),
      gitty([...s, '--json', 'put', 'hello.txt', '-', '--expect', printed[0]!], { input: 'four\n' }),
      gitty([...s, 'put', 'hello.txt', '-', '--expect', printed[1]!], { input: 'stale\n' }),
      gitty([...s, 'get', 'cafe']),
    ]);
    for (const result of [get, getShort, meta, logFrom, window, diff, diffOne, cat, put, named]) expect(result.code, result.stderr).toBe(0);
    expect(get.stdout).toBe('one\n');
    expect(getShort.stdout).toBe('one\n');
    expect(meta.json<{ commit: { commit: string } }>().commit.commit).toBe(v[1]);
    expect(logFrom.json<{ history: { commit: string }[] }>().history.map((c) => c.commit)).toEqual([v[1], v[0]]);
    expect(window.json<{ history: { commit: string }[] }>().history.map((c) => c.commit)).toEqual([v[0]]);
    expect(diff.stdout).toContain('-one\n+three\n');
    expect(diffOne.stdout).toContain('-one\n+two\n');
    expect(cat.stdout).toBe('one\n');
    expect(put.json<{ commit: { previous: string } }>().commit.previous).toBe(v[2]);
    oneLineError(stale, /is at [0-9a-f]{40}, not at [0-9a-f]{40}/);
    expect(named.stdout).toBe('a file named like a hash prefix\n');
    // SWISH's window with includes: the newest version, a gap, then the included one.
    const gapped = await gitty([...s, 'log', printed[0]!, '--depth', '2', '--includes', printed[2]!]);
    expect(gapped.code, gapped.stderr).toBe(0);
    expect(gapped.stdout.trim().split('\n').map((line) => line.split(' ')[0])).toEqual([printed[0], '…', printed[2]]);
    expect(gapped.stdout).toContain('… 1 version left out\n');
  });

  it('names every candidate when a prefix is ambiguous, and refuses prefixes that are too short', async () => {
    const [anyType, commits, commitsJson, short, none] = await Promise.all([
      gitty([...s, 'cat', v[0]!.slice(0, 4)]),
      gitty([...s, 'get', twin]),
      gitty([...s, '--json', 'log', twin]),
      gitty([...s, 'cat', v[0]!.slice(0, 3)]),
      gitty([...s, 'get', 'abcdef12']),
    ]);
    oneLineError(anyType, new RegExp(`Hash prefix "${v[0]!.slice(0, 4)}" is ambiguous: .*${v[0]!}.* — give more digits`));
    oneLineError(commits, new RegExp(`Hash prefix "${twin}" is ambiguous: ${twin}[0-9a-f]{36} \\(commit\\), ${twin}[0-9a-f]{36} \\(commit\\)`));
    expect(commitsJson.json<{ error: { code: string } }>().error.code).toBe('AMBIGUOUS');
    oneLineError(short, /Invalid object hash "[0-9a-f]{3}".* — a hash is 40 hexadecimal digits, or a unique prefix of at least 4/);
    oneLineError(none, /No file or commit "abcdef12"/);
  });
});
