import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, unlink, utimes, writeFile } from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ImportVersion } from '@gitty/core';
import { directoryVersions, planDirectoryImport, type DirectoryPlan } from '../src/import/directory-source.js';

// import/directory-source.ts in the test process: the plan of a folder import (sorted walk,
// names, what is skipped and why, exact READ_FAILED errors) and the versions read from it.
// The tests run as any user: the failures a non-root user meets (EACCES, EPERM) are staged by
// wrapping node:fs/promises functions (named ESM imports included, syncBuiltinESMExports).

const MAPPING = { separator: ':', prefix: '' };
const undo: (() => void)[] = [];
const dirs: string[] = [];

afterEach(async () => {
  while (undo.length > 0) undo.pop()!();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function temp(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gitty-dir-source-'));
  dirs.push(dir);
  return dir;
}

/** Make `fs.promises[name]` fail with `code` for `target`, until the test ends. */
function failFor(name: 'readdir' | 'access' | 'readFile', target: string, code: string, message = `${code}: staged, ${name} '${target}'`, when: (args: unknown[]) => boolean = () => true): void {
  const promises = fs.promises as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const original = promises[name]!;
  promises[name] = (...args: unknown[]) => (args[0] === target && when(args) ? Promise.reject(Object.assign(new Error(message), { code })) : original(...args));
  syncBuiltinESMExports();
  undo.push(() => {
    promises[name] = original;
    syncBuiltinESMExports();
  });
}

async function write(root: string, rel: string, data: string | Uint8Array, mtime?: number): Promise<void> {
  const file = path.join(root, rel);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, data);
  if (mtime !== undefined) await utimes(file, mtime, mtime);
}

function readFailed(message: string): object {
  return { name: 'CliError', code: 'READ_FAILED', message, hint: 'make it readable (or move it out of the tree); nothing was imported' };
}

async function versions(plan: DirectoryPlan, meta: Record<string, unknown>, unchanged: (name: string, bytes: Uint8Array) => Promise<boolean>, signal?: AbortSignal) {
  const skipped = { count: 0 };
  const out: { name: string; data: string; meta: unknown }[] = [];
  for await (const v of directoryVersions(plan, meta as ImportVersion['meta'] & object, unchanged, skipped, signal)) {
    out.push({ name: v.name, data: Buffer.from(v.data as Uint8Array).toString('latin1'), meta: v.meta });
  }
  return { out, skipped: skipped.count };
}

describe('planDirectoryImport', () => {
  it('walks the tree in code-unit order, naming files by path, with mtime in seconds and size; counts .git, links and special files', async () => {
    const root = await temp();
    // Written in an order unlike the sorted one; names that sort differently by locale than by code unit.
    // readdir lists by UTF-8 bytes; code-unit order differs for a character above U+FFFF
    // (a surrogate pair, 0xD83D…) against one in U+E000–U+FFFF (ｆ, 0xFF46): 😀 first here.
    const names = ['b.txt', 'Z.txt', 'a.txt', '\uff46.txt', '_u.txt', 'B.txt', 'é.txt', '~t.txt', '0.txt', '\u{1f600}.txt', 'aa.txt', 'a b.txt'];
    for (const [i, name] of names.entries()) await write(root, name, 'x'.repeat(i), 1_700_000_000 + i);
    await write(root, 'sub/deep/d.md', 'deep', 1_600_000_000.25);
    await write(root, 'sub/c.md', 'cc', 1_600_000_001.5);
    await write(root, 'sub/.git', 'gitdir: elsewhere\n');
    await write(root, '.git/config', '[core]\n');
    await write(root, 'x:y.txt', 'refused');
    await write(root, 'sub/bad\u0001name', 'refused too');
    await symlink('a.txt', path.join(root, 'link-to-a'));
    await symlink('deep', path.join(root, 'sub', 'link-to-deep'));
    await symlink('/nonexistent-gitty-target', path.join(root, 'dangling'));
    execFileSync('mkfifo', [path.join(root, 'sub', 'fifo')]);

    const plan = await planDirectoryImport(root, MAPPING);
    const sorted = [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    expect(sorted).toEqual(['0.txt', 'B.txt', 'Z.txt', '_u.txt', 'a b.txt', 'a.txt', 'aa.txt', 'b.txt', '~t.txt', 'é.txt', '\u{1f600}.txt', '\uff46.txt']);
    const top = (name: string) => ({ path: name, name, mtime: 1_700_000_000 + names.indexOf(name), size: names.indexOf(name) });
    expect(plan).toEqual({
      root,
      // The folder `sub` sorts between b.txt and ~t.txt; its files come there, depth first.
      files: [
        ...sorted.slice(0, 8).map(top),
        { path: 'sub/c.md', name: 'sub:c.md', mtime: 1_600_000_001.5, size: 2 },
        { path: 'sub/deep/d.md', name: 'sub:deep:d.md', mtime: 1_600_000_000.25, size: 4 },
        ...sorted.slice(8).map(top),
      ],
      refused: [
        { path: 'sub/bad\u0001name', reason: expect.any(String) as string },
        { path: 'x:y.txt', reason: 'a folder or file name holds the separator ":", so the name could not be mapped back' },
      ],
      skipped: { git: 2, symlinks: 3, special: 1 },
    });
    expect(plan.refused[0]!.reason.length).toBeGreaterThan(0);
  });

  it('takes a root that is a link to a folder, and an empty folder', async () => {
    const root = await temp();
    await write(root, 'real/f.txt', 'f', 1_234_567_890);
    await symlink(path.join(root, 'real'), path.join(root, 'link'));
    await mkdir(path.join(root, 'empty'));
    expect(await planDirectoryImport(path.join(root, 'link'), { separator: '__', prefix: 'p:' })).toEqual({
      root: path.join(root, 'link'),
      files: [{ path: 'f.txt', name: 'p:f.txt', mtime: 1_234_567_890, size: 1 }],
      refused: [],
      skipped: { git: 0, symlinks: 0, special: 0 },
    });
    expect(await planDirectoryImport(path.join(root, 'empty'), MAPPING)).toEqual({
      root: path.join(root, 'empty'), files: [], refused: [], skipped: { git: 0, symlinks: 0, special: 0 },
    });
  });

  it('refuses a missing root and a root that is a file, exactly', async () => {
    const root = await temp();
    const missing = path.join(root, 'nope');
    await expect(planDirectoryImport(missing, MAPPING)).rejects.toMatchObject(readFailed(`Cannot read ${missing}: no such file or folder`));
    await write(root, 'file.txt', 'f');
    await expect(planDirectoryImport(path.join(root, 'file.txt'), MAPPING)).rejects.toMatchObject({
      name: 'CliError', code: 'READ_FAILED', message: `${path.join(root, 'file.txt')} is not a folder`, hint: 'give a folder to import (or --git for a git repository)',
    });
  });

  it('names the folder it cannot list: permission denied for EACCES and EPERM, the message otherwise', async () => {
    const root = await temp();
    await write(root, 'a/f.txt', 'f');
    await write(root, 'b/g.txt', 'g');
    const a = path.join(root, 'a');
    failFor('readdir', a, 'EACCES');
    await expect(planDirectoryImport(root, MAPPING)).rejects.toMatchObject(readFailed(`Cannot read ${a}: permission denied`));
    undo.pop()!();
    failFor('readdir', a, 'EPERM');
    await expect(planDirectoryImport(root, MAPPING)).rejects.toMatchObject(readFailed(`Cannot read ${a}: permission denied`));
    undo.pop()!();
    failFor('readdir', root, 'EIO', 'EIO: i/o error, scandir');
    await expect(planDirectoryImport(root, MAPPING)).rejects.toMatchObject(readFailed(`Cannot read ${root}: EIO: i/o error, scandir`));
  });

  it('names the first file it cannot read, before anything is read', async () => {
    const root = await temp();
    await write(root, 'a.txt', 'a');
    await write(root, 'b.txt', 'b');
    const b = path.join(root, 'b.txt');
    // As a user without read permission meets it: only a check for read access fails.
    failFor('access', b, 'EACCES', undefined, (args) => ((args[1] as number) & fs.constants.R_OK) !== 0);
    await expect(planDirectoryImport(root, MAPPING)).rejects.toMatchObject(readFailed(`Cannot read ${b}: permission denied`));
  });
});

describe('directoryVersions', () => {
  it('reads each planned file as it is consumed, bytes exact, time from the mtime, meta added (its own time wins)', async () => {
    const root = await temp();
    await write(root, 'one.bin', Uint8Array.from([0, 255, 10, 13]), 1_000);
    await write(root, 'sub/two.txt', 'two\n', 2_000.5);
    const plan = await planDirectoryImport(root, MAPPING);
    expect(await versions(plan, { author: 'A' }, () => Promise.resolve(false))).toEqual({
      out: [
        { name: 'one.bin', data: '\u0000\u00ff\n\r', meta: { time: 1_000, author: 'A' } },
        { name: 'sub:two.txt', data: 'two\n', meta: { time: 2_000.5, author: 'A' } },
      ],
      skipped: 0,
    });
    expect((await versions(plan, { time: 5 }, () => Promise.resolve(false))).out.map((v) => v.meta)).toEqual([{ time: 5 }, { time: 5 }]);
  });

  it('skips and counts the files the caller finds unchanged, seeing their name and bytes', async () => {
    const root = await temp();
    await write(root, 'a.txt', 'same', 10);
    await write(root, 'b.txt', 'new', 20);
    await write(root, 'c.txt', 'same', 30);
    const plan = await planDirectoryImport(root, MAPPING);
    const asked: string[] = [];
    const result = await versions(plan, {}, (name, bytes) => {
      asked.push(`${name}=${Buffer.from(bytes).toString()}`);
      return Promise.resolve(Buffer.from(bytes).toString() === 'same');
    });
    expect(asked).toEqual(['a.txt=same', 'b.txt=new', 'c.txt=same']);
    expect(result).toEqual({ out: [{ name: 'b.txt', data: 'new', meta: { time: 20 } }], skipped: 2 });
  });

  it('stops at an aborted signal before reading the next file', async () => {
    const root = await temp();
    await write(root, 'a.txt', 'a');
    await write(root, 'b.txt', 'b');
    const plan = await planDirectoryImport(root, MAPPING);
    const controller = new AbortController();
    const seen: string[] = [];
    const reason = new Error('stop here');
    await expect((async () => {
      for await (const v of directoryVersions(plan, {}, () => Promise.resolve(false), { count: 0 }, controller.signal)) {
        seen.push(v.name);
        controller.abort(reason);
      }
    })()).rejects.toBe(reason);
    expect(seen).toEqual(['a.txt']);
  });

  it('names a file gone or unreadable since the plan', async () => {
    const root = await temp();
    await write(root, 'a.txt', 'a');
    await write(root, 'b.txt', 'b');
    const plan = await planDirectoryImport(root, MAPPING);
    await unlink(path.join(root, 'a.txt'));
    await expect(versions(plan, {}, () => Promise.resolve(false))).rejects.toMatchObject(readFailed(`Cannot read ${path.join(root, 'a.txt')}: no such file or folder`));
    const b = path.join(root, 'b.txt');
    failFor('readFile', b, 'EPERM');
    await write(root, 'a.txt', 'a');
    await expect(versions(plan, {}, () => Promise.resolve(false))).rejects.toMatchObject(readFailed(`Cannot read ${b}: permission denied`));
  });
});
