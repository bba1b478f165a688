import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, tempDir, waitFor } from '@gitty/driver-test/harness';
import { CatFile, HIGH_WATER } from '../src/import/cat-file.js';
import { parseGitCommit } from '../src/import/git-commit.js';
import { nameOfPath, pathOfName } from '../src/import/names.js';

/**
 * The parts of `gitty import` below the command, in process against a real git: the
 * pipelined `cat-file --batch` reader (answers larger than its buffer limit, many requests
 * ahead), commit parsing with a non-UTF-8 `encoding` header, and the path ↔ name mapping.
 */

let root: { dir: string; remove: () => Promise<void> };
let repo: string;

beforeAll(async () => {
  root = await tempDir('gitty-import-readers-');
  repo = path.join(root.dir, 'repo');
  await git(['init', '-q', '-b', 'main', repo]);
});

afterAll(async () => {
  await root.remove();
});

async function storeBlob(data: Uint8Array): Promise<string> {
  // Random bytes do not compress: git stores them as they are rather than deflating them for nothing.
  return (await git(['-C', repo, '-c', 'core.looseCompression=0', 'hash-object', '-w', '--stdin'], { input: data })).toString().trim();
}

describe('CatFile', () => {
  it('answers many requests sent ahead in order, byte-exact, including blobs far above its 8 MiB buffer limit', async () => {
    const blobs = [randomBytes(10 << 20), randomBytes(3), new Uint8Array(0), randomBytes(1 << 20), randomBytes(100_000)];
    const hashes = [];
    for (const blob of blobs) hashes.push(await storeBlob(blob));
    const reader = new CatFile(repo);
    try {
      // Every request at once (and each twice), so git's answers pile up beyond the limit.
      const answers = await Promise.all([...hashes, ...hashes].map((h) => reader.read(h)));
      answers.forEach((answer, i) => {
        expect(answer.type).toBe('blob');
        expect(Buffer.compare(Buffer.from(answer.data), Buffer.from(blobs[i % blobs.length] as Uint8Array)), `answer ${i}`).toBe(0);
      });
    } finally {
      await reader.close();
    }
  });

  it('holds git\'s answers to its buffer limit while objects asked for ahead are not taken, then reads them all', async () => {
    const blobs = Array.from({ length: 3 }, () => randomBytes(6 << 20));
    const hashes = [];
    for (const blob of blobs) hashes.push(await storeBlob(blob));
    const reader = new CatFile(repo);
    try {
      const pending = hashes.map((h) => reader.request(h));
      // 18 MiB asked for; git may run ahead of the reader only by the limit (plus a pipe's worth).
      let last = -1;
      await waitFor(async () => {
        const now = reader.bufferedBytes;
        const settled = now === last && now > 0;
        last = now;
        await new Promise((resolve) => setTimeout(resolve, 200));
        return settled;
      }, 30_000);
      expect(reader.bufferedBytes).toBeGreaterThan(0);
      expect(reader.bufferedBytes).toBeLessThanOrEqual(HIGH_WATER + (1 << 20));
      for (const [i, p] of pending.entries()) expect(Buffer.compare(Buffer.from((await p.take()).data), blobs[i] as Buffer), `blob ${i}`).toBe(0);
    } finally {
      await reader.close();
    }
  });

  it('reports an object git does not have as GIT_FAILED, and goes on answering', async () => {
    const known = await storeBlob(Buffer.from('known\n'));
    const reader = new CatFile(repo);
    try {
      await expect(reader.read('0123456789012345678901234567890123456789')).rejects.toMatchObject({ code: 'GIT_FAILED' });
      expect(Buffer.from((await reader.read(known)).data).toString()).toBe('known\n');
    } finally {
      await reader.close();
    }
  });
});

describe('parseGitCommit', () => {
  it('decodes a commit written in ISO-8859-1 by its encoding header, and an author name holding "<"', async () => {
    await writeFile(path.join(repo, 'f.txt'), 'x\n');
    await git(['-C', repo, 'add', 'f.txt']);
    const message = path.join(root.dir, 'message');
    await writeFile(message, Buffer.from('Grüße aus Köln\n\nzweite Zeile\n', 'latin1'));
    const env = { ...process.env, GIT_AUTHOR_NAME: 'Jörg <the> Name', GIT_AUTHOR_EMAIL: 'j@example.org', GIT_AUTHOR_DATE: '@1234567890 -0700', GIT_COMMITTER_NAME: 'C', GIT_COMMITTER_EMAIL: 'c@x' };
    await git(['-C', repo, '-c', 'i18n.commitEncoding=ISO-8859-1', 'commit', '-q', '-F', message], { env });
    const hash = (await git(['-C', repo, 'rev-parse', 'HEAD'])).toString().trim();
    const raw = await git(['-C', repo, 'cat-file', 'commit', hash]);
    expect(raw.toString('latin1')).toContain('encoding ISO-8859-1');
    expect(parseGitCommit(raw, hash)).toEqual({
      // git drops "<" and ">" from names it writes; what it stored is what is kept
      author: (await git(['-C', repo, 'log', '-1', '--format=%an', hash])).toString().trim(),
      email: 'j@example.org',
      time: 1234567890,
      commit_message: 'Grüße aus Köln\n\nzweite Zeile',
    });
  });
});

describe('path ↔ name', () => {
  it('maps paths to names and back, and refuses what would not map back', () => {
    const mapping = { separator: ':', prefix: 'notes:' };
    for (const p of ['a.txt', 'docs/intro.md', 'ünï/日本語 メモ.txt', 'a/b/c/d.e']) {
      const mapped = nameOfPath(p, mapping);
      expect('name' in mapped, p).toBe(true);
      if ('name' in mapped) expect(pathOfName(mapped.name, mapping)).toBe(p);
    }
    expect(nameOfPath('docs/intro.md', mapping)).toEqual({ name: 'notes:docs:intro.md' });
    expect(nameOfPath('a:b/c', mapping)).toHaveProperty('refused');
    // A separator of several characters: "a:" + "::" + "b" would split back as "a", ":b".
    expect(nameOfPath('a:/b', { separator: '::', prefix: '' })).toHaveProperty('refused');
    expect(nameOfPath('a/b', { separator: '::', prefix: '' })).toEqual({ name: 'a::b' });
    expect(nameOfPath('back\\slash', mapping)).toHaveProperty('refused');
    expect(nameOfPath(`${'x'.repeat(250)}/y`, mapping)).toHaveProperty('refused'); // longer than 255 with the prefix
  });
});
