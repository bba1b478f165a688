import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseGitCommit } from '../src/import/git-commit.js';
import { GitChild, gitFailed, gitMissing, nulFields, runGit } from '../src/import/git-process.js';

// The small readers under `gitty import --git`: raw commits, NUL-separated fields, git children.

const HASH = 'c'.repeat(40);
const raw = (text: string | Buffer) => new Uint8Array(typeof text === 'string' ? Buffer.from(text, 'utf8') : text);

describe('parseGitCommit', () => {
  it('takes the author, e-mail, time and message (without its final newline)', () => {
    const commit = `tree ${'a'.repeat(40)}\nauthor Ann Example <ann@example.org> 1700000000 +0100\ncommitter C <c@x> 1700000001 -0500\n\nsubject\n\nbody\n`;
    expect(parseGitCommit(raw(commit), HASH)).toEqual({ author: 'Ann Example', email: 'ann@example.org', time: 1_700_000_000, commit_message: 'subject\n\nbody' });
    expect(parseGitCommit(raw(commit.replace('body\n', 'body')), HASH).commit_message).toBe('subject\n\nbody');
    expect(parseGitCommit(raw(commit.replace('body\n', 'body\n\n')), HASH).commit_message).toBe('subject\n\nbody\n');
  });

  it('reads a commit without a message, an empty name, a name holding "<", and a time before 1970', () => {
    expect(parseGitCommit(raw(`tree t\nauthor <e@x> 5 +0000\n`), HASH)).toEqual({ author: '', email: 'e@x', time: 5, commit_message: '' });
    expect(parseGitCommit(raw(`tree t\nauthor A <b> <e@x> -86400 +0000\n\nm`), HASH)).toEqual({ author: 'A <b>', email: 'e@x', time: -86_400, commit_message: 'm' });
  });

  it('decodes by the encoding header, and as UTF-8 when Node does not know it', () => {
    const latin1 = Buffer.concat([Buffer.from('tree t\nauthor J'), Buffer.from([0xfc]), Buffer.from('rgen <j@x> 1 +0000\nencoding ISO-8859-1\n\nGr'), Buffer.from([0xfc, 0xdf]), Buffer.from('e\n')]);
    expect(parseGitCommit(raw(latin1), HASH)).toEqual({ author: 'Jürgen', email: 'j@x', time: 1, commit_message: 'Grüße' });
    expect(parseGitCommit(raw('tree t\nauthor Ü <u@x> 1 +0000\nencoding x-no-such-encoding\n\nÜ\n'), HASH)).toEqual({ author: 'Ü', email: 'u@x', time: 1, commit_message: 'Ü' });
  });

  it('refuses a commit without a readable author line, quoting it', () => {
    expect(() => parseGitCommit(raw('tree t\n\nmessage'), HASH)).toThrow(`git commit ${HASH} has no readable author line: ""`);
    expect(() => parseGitCommit(raw('tree t\nauthor Bad <x@y> soon +0000\n'), HASH)).toThrow(`git commit ${HASH} has no readable author line: "author Bad <x@y> soon +0000"`);
    expect(() => parseGitCommit(raw('tree t\nauthor A <x@y> 1 +01000\n'), HASH)).toThrow('has no readable author line');
    expect(() => parseGitCommit(raw('tree t\n\nauthor A <x@y> 1 +0100\n'), HASH)).toThrow('has no readable author line: ""');
    expect(() => parseGitCommit(raw('tree t\n'), HASH)).toThrow(expect.objectContaining({ code: 'GIT_FAILED' }));
  });
});

describe('nulFields', () => {
  async function fields(chunks: string[]): Promise<string[]> {
    const out: string[] = [];
    for await (const field of nulFields(Readable.from(chunks.map((c) => Buffer.from(c))))) out.push(field.toString());
    return out;
  }

  it('splits at NUL across chunk boundaries, keeps empty fields, and yields a last field without NUL', async () => {
    expect(await fields(['a\0b', 'c\0', '\0d\0'])).toEqual(['a', 'bc', '', 'd']);
    expect(await fields(['x', 'y', '\0z'])).toEqual(['xy', 'z']);
    expect(await fields(['\0'])).toEqual(['']);
    expect(await fields([])).toEqual([]);
  });
});

describe('git children', () => {
  it('runGit gives git\'s exit status, stdout bytes and trimmed stderr', async () => {
    const version = await runGit('.', ['--version']);
    expect([version.code, version.stdout.toString().startsWith('git version '), version.stderr]).toEqual([0, true, '']);
    const failed = await runGit('/', ['rev-parse', '--no-such-option-here']);
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).toBe(failed.stderr.trim());
    expect(failed.stderr.length).toBeGreaterThan(0);
  });

  it('gitFailed and gitMissing word the errors', () => {
    expect(gitFailed('log', 128, 'fatal: bad\nsecond line\n')).toMatchObject({ code: 'GIT_FAILED', message: 'git log failed (exit 128): fatal: bad' });
    expect(gitFailed('cat-file', null, '  \n')).toMatchObject({ code: 'GIT_FAILED', message: 'git cat-file failed (exit signal): ' });
    expect(gitMissing(new Error('spawn git ENOENT'))).toMatchObject({ code: 'GIT_FAILED', message: 'Cannot run git: spawn git ENOENT', hint: 'install git and make sure it is on the PATH' });
  });

  it('GitChild: finished() resolves on exit 0, fails with the first stderr line otherwise, not when stopped', async () => {
    await expect(new GitChild('.', ['--version']).finished()).resolves.toBeUndefined();
    await expect(new GitChild('/nonexistent-gitty-repo', ['log']).finished()).rejects.toMatchObject({
      code: 'GIT_FAILED', message: "git log failed (exit 128): fatal: cannot change to '/nonexistent-gitty-repo': No such file or directory",
    });
    const waiting = new GitChild('.', ['cat-file', '--batch']);
    await waiting.stop();
    expect(waiting.process.signalCode).toBe('SIGTERM');
    await expect(waiting.finished()).resolves.toBeUndefined();
    await waiting.stop(); // already ended: nothing to kill
  });
});
