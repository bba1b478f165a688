import { createHash } from 'node:crypto';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { git, tempDir } from '@gitty/driver-test/harness';
import { CatFile, HIGH_WATER } from '../src/import/cat-file.js';

/**
 * CatFile's parts that a real git does not show deterministically: where git's output is split
 * into chunks, and exactly when its stdout is paused or resumed around the 8 MiB bound. For
 * these a CatFile is given a fake git (a stdout the test writes, chunk by chunk) in place of the
 * child process; the answers git gives beside "missing" are checked against a real git.
 */

/** A stand-in for GitChild: the test pushes what "git" writes; requests are collected. */
class FakeGit {
  readonly written: string[] = [];
  readonly process = {
    stdout: new Readable({ read: () => undefined }),
    stdin: new Writable({
      write: (chunk: Buffer, _encoding, done: () => void) => {
        this.written.push(chunk.toString());
        done();
      },
    }),
  };
  finished(): Promise<void> {
    return Promise.resolve();
  }
  stop(): Promise<void> {
    this.process.stdout.destroy();
    return Promise.resolve();
  }
}

// The next CatFile built gets this fake in place of a git process; otherwise the real GitChild.
const fakes = vi.hoisted(() => ({ next: undefined as unknown }));
vi.mock('../src/import/git-process.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/import/git-process.js')>();
  class GitChildOrFake extends real.GitChild {
    constructor(repo: string, args: readonly string[]) {
      const fake = fakes.next;
      fakes.next = undefined;
      if (fake !== undefined) return fake as GitChildOrFake;
      super(repo, args);
    }
  }
  return { ...real, GitChild: GitChildOrFake };
});

function faked(): { reader: CatFile; git: FakeGit; stdout: Readable } {
  const fake = new FakeGit();
  fakes.next = fake;
  return { reader: new CatFile('/no/repo/for/a/fake/git'), git: fake, stdout: fake.process.stdout };
}

/** Let pushed chunks reach CatFile's 'data' listener and resumes take effect. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const hash = 'ab'.repeat(20);

describe('CatFile with a fake git: chunks and the bound', () => {
  it('a header split across chunks (newline in a later chunk) is read whole', async () => {
    const { reader, stdout } = faked();
    const answer = reader.read(hash);
    // "<hash> blob 3\n" arrives in three pieces, the first ones without a newline.
    stdout.push(Buffer.from(`${hash} bl`));
    await settle();
    stdout.push(Buffer.from('ob'));
    await settle();
    stdout.push(Buffer.from(' 3\nabc\n'));
    const got = await answer;
    expect([got.type, Buffer.from(got.data).toString()]).toEqual(['blob', 'abc']);
    expect(reader.bufferedBytes).toBe(0);
    await reader.close();
  });

  it('a header split across chunks that all arrived before the take is read whole', async () => {
    const { reader, stdout } = faked();
    const pending = reader.request(hash);
    stdout.push(Buffer.from(`${hash} blob`));
    stdout.push(Buffer.from(' 2\nxy\n'));
    await settle();
    expect(Buffer.from((await pending.take()).data).toString()).toBe('xy');
    await reader.close();
  });

  it('git is not paused while what it wrote ahead is at most HIGH_WATER, and is paused above it', async () => {
    const { reader, stdout } = faked();
    reader.request(hash); // asked for, never taken: git may write ahead up to the bound
    stdout.push(Buffer.alloc(100));
    await settle();
    expect(stdout.isPaused()).toBe(false);
    stdout.push(Buffer.alloc(HIGH_WATER - 100)); // exactly HIGH_WATER held: still not paused
    await settle();
    expect(reader.bufferedBytes).toBe(HIGH_WATER);
    expect(stdout.isPaused()).toBe(false);
    stdout.push(Buffer.alloc(1));
    await settle();
    expect(reader.bufferedBytes).toBe(HIGH_WATER + 1);
    expect(stdout.isPaused()).toBe(true);
    await reader.close();
  });

  it('a take that leaves more than HIGH_WATER held keeps git paused', async () => {
    const { reader, stdout } = faked();
    const answer = (size: number): Buffer => Buffer.concat([Buffer.from(`${hash} blob ${size}\n`), Buffer.alloc(size, 1), Buffer.from('\n')]);
    const first = answer(1);
    const second = answer(2);
    const one = reader.request(hash);
    const two = reader.request(hash);
    // The two answers, then HIGH_WATER - 1 bytes of later answers: all but the first answer stays held.
    stdout.push(Buffer.concat([first, second, Buffer.alloc(HIGH_WATER - 1)]));
    await settle();
    expect(stdout.isPaused()).toBe(true);
    expect((await one.take()).data.length).toBe(1);
    await settle();
    expect(reader.bufferedBytes).toBe(second.length + HIGH_WATER - 1);
    expect(stdout.isPaused()).toBe(true); // still above the bound: git must go on waiting
    expect((await two.take()).data.length).toBe(2);
    await settle();
    expect(reader.bufferedBytes).toBe(HIGH_WATER - 1);
    expect(stdout.isPaused()).toBe(false); // below the bound again: git may write
    await reader.close();
  });

  it('a take that brings what is held below HIGH_WATER resumes git without waiting for the next take', async () => {
    const { reader, stdout } = faked();
    const one = reader.request(hash);
    reader.request(hash);
    stdout.push(Buffer.concat([Buffer.from(`${hash} blob 4\nabcd\n`), Buffer.alloc(HIGH_WATER)]));
    await settle();
    expect(stdout.isPaused()).toBe(true);
    expect(Buffer.from((await one.take()).data).toString()).toBe('abcd');
    await settle();
    expect(reader.bufferedBytes).toBe(HIGH_WATER);
    expect(stdout.isPaused()).toBe(false);
    await reader.close();
  });
});

describe('CatFile with a real git: answers other than an object or "missing"', () => {
  let root: { dir: string; remove: () => Promise<void> };
  let repo: string;
  beforeAll(async () => {
    root = await tempDir('gitty-cat-file-mutants-');
    repo = path.join(root.dir, 'repo');
    await git(['init', '-q', '-b', 'main', repo]);
  });
  afterAll(async () => root.remove());

  it('"<name> ambiguous" (a short hash two objects share) is GIT_FAILED naming git\'s answer', async () => {
    // Two blobs whose hashes share their first 4 digits (a few hundred tries at most).
    const byPrefix = new Map<string, string>();
    let pair: [string, string, string] | undefined;
    for (let i = 0; pair === undefined; i++) {
      const content = `c${i}\n`;
      const id = createHash('sha1').update(`blob ${content.length}\0${content}`).digest('hex');
      const other = byPrefix.get(id.slice(0, 4));
      if (other !== undefined) pair = [id.slice(0, 4), other, content];
      byPrefix.set(id.slice(0, 4), content);
    }
    const [prefix, a, b] = pair;
    for (const content of [a, b]) await git(['-C', repo, 'hash-object', '-w', '--stdin'], { input: content });
    const reader = new CatFile(repo);
    try {
      await expect(reader.read(prefix)).rejects.toMatchObject({ code: 'GIT_FAILED', message: `git cat-file has no object ${prefix} (${prefix} ambiguous)` });
      // A name with a space: git answers "<name> missing", three words ending in "missing".
      await expect(reader.read('no such')).rejects.toMatchObject({ code: 'GIT_FAILED', message: 'git cat-file has no object no such (no such missing)' });
    } finally {
      await reader.close();
    }
  });
});
