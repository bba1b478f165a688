import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, tempDir } from '@gitty/driver-test/harness';
import { CatFile, HIGH_WATER } from '../src/import/cat-file.js';

// The `git cat-file --batch` reader: exact answers, order rules and failures.
let root: { dir: string; remove: () => Promise<void> };
let repo: string;

async function stored(data: string | Uint8Array): Promise<string> {
  return (await git(['-C', repo, 'hash-object', '-w', '--stdin'], { input: data })).toString().trim();
}

beforeAll(async () => {
  root = await tempDir('gitty-cat-file-exact-');
  repo = path.join(root.dir, 'repo');
  await git(['init', '-q', '-b', 'main', repo]);
});
afterAll(async () => root.remove());

describe('CatFile', () => {
  it('HIGH_WATER is 8 MiB', () => {
    expect(HIGH_WATER).toBe(8 * 1024 * 1024);
  });

  it('reads blobs (empty, with newlines, binary) and other object types exactly', async () => {
    const bytes = randomBytes(70_000);
    const [empty, lines, binary] = [await stored(''), await stored('a\n\nb\n'), await stored(bytes)];
    const tree = (await git(['-C', repo, 'mktree'], { input: `100644 blob ${lines}\tf.txt\n` })).toString().trim();
    const reader = new CatFile(repo);
    try {
      const e = await reader.read(empty);
      expect([e.type, e.data.length]).toEqual(['blob', 0]);
      const answer = await reader.read(lines);
      expect([answer.type, Buffer.from(answer.data).toString()]).toEqual(['blob', 'a\n\nb\n']);
      expect(Buffer.compare(Buffer.from((await reader.read(binary)).data), bytes)).toBe(0);
      const t = await reader.read(tree);
      expect(t.type).toBe('tree');
      expect(Buffer.from(t.data)).toEqual(Buffer.concat([Buffer.from('100644 f.txt\0'), Buffer.from(lines, 'hex')]));
      expect(reader.bufferedBytes).toBe(0);
    } finally {
      await reader.close();
    }
  });

  it('answers must be taken in request order; a second take gives the same answer', async () => {
    const [one, two] = [await stored('one'), await stored('two')];
    const reader = new CatFile(repo);
    try {
      const first = reader.request(one);
      const second = reader.request(two);
      expect(() => second.take()).toThrow('cat-file answers are taken in request order (1 before 0)');
      const a = first.take();
      expect(first.take()).toBe(a);
      expect(Buffer.from((await a).data).toString()).toBe('one');
      expect(Buffer.from((await second.take()).data).toString()).toBe('two');
      expect(second.take()).toBe(second.take());
    } finally {
      await reader.close();
    }
  });

  it('a missing object is GIT_FAILED naming it and git\'s answer; later reads go on', async () => {
    const known = await stored('known');
    const missing = '0123456789abcdef0123456789abcdef01234567';
    const reader = new CatFile(repo);
    try {
      const failed = reader.read(missing);
      const next = reader.read(known);
      await expect(failed).rejects.toMatchObject({ code: 'GIT_FAILED', message: `git cat-file has no object ${missing} (${missing} missing)` });
      expect(Buffer.from((await next).data).toString()).toBe('known');
      await expect(reader.read('HEAD')).rejects.toMatchObject({ code: 'GIT_FAILED', message: 'git cat-file has no object HEAD (HEAD missing)' });
    } finally {
      await reader.close();
    }
  });

  it('a read after close is GIT_FAILED: git ended early', async () => {
    const known = await stored('k');
    const reader = new CatFile(repo);
    await reader.close();
    await expect(reader.read(known)).rejects.toMatchObject({ code: 'GIT_FAILED', message: 'git cat-file ended early' });
  });

  it('git failing to start the batch is GIT_FAILED with git\'s first line', async () => {
    const reader = new CatFile(path.join(root.dir, 'not-a-repo'));
    const failure = reader.read('0'.repeat(40));
    await expect(failure).rejects.toMatchObject({ code: 'GIT_FAILED', message: expect.stringMatching(/^git cat-file failed \(exit 128\): fatal: cannot change to '.*not-a-repo': No such file or directory$/) });
    await reader.close();
  });
});
