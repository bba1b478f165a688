import { mkdir, readdir, readFile, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '@gitty/driver-test/harness';
import { gitty } from './cli-process.js';
import { openFilesStore } from './raw-store.js';

/**
 * `gitty import <folder>`: every regular file becomes the first version of the file named by
 * its path ("/" → ":"), bytes exactly as on disk; `.git` and symbolic links are left out and
 * counted; importing again adds only what changed; bad names and sources write nothing.
 */

let root: { dir: string; remove: () => Promise<void> };
let tree: string;

const files: Record<string, string | Uint8Array> = {
  'a.txt': 'plain text\n',
  'empty.txt': '',
  'bin/all-bytes.dat': Uint8Array.from({ length: 512 }, (_, i) => (i * 31) % 256),
  'sub/deeper/notes.md': '# notes\n\n- one\n',
  'ünï/日本語.txt': 'こんにちは\n',
};
const nameOf = (p: string) => p.split('/').join(':');

beforeAll(async () => {
  root = await tempDir('gitty-import-dir-');
  tree = path.join(root.dir, 'tree');
  for (const [file, data] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(tree, file)), { recursive: true });
    await writeFile(path.join(tree, file), data);
  }
  await utimes(path.join(tree, 'a.txt'), 1_500_000_000, 1_500_000_000);
  await mkdir(path.join(tree, '.git'));
  await writeFile(path.join(tree, '.git', 'config'), '[core]\n');
  await symlink('a.txt', path.join(tree, 'link-to-a'));
  await symlink('/etc/hostname', path.join(tree, 'sub', 'link-out'));
});

afterAll(async () => {
  await root.remove();
});

interface ImportJson {
  versions: number; files: number; unchanged: number; heads: Record<string, string>;
  skipped: { git: number; symlinks: number; special: number; invalid: unknown[] };
}

/** Every file under `dir` with its bytes, to prove a refused import wrote nothing. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) out[path.relative(dir, path.join(entry.parentPath, entry.name))] = (await readFile(path.join(entry.parentPath, entry.name))).toString('base64');
  }
  return out;
}

describe('gitty import <folder>', () => {
  it('imports every regular file byte-exact under its mapped name, skipping .git and symbolic links; again only what changed', async () => {
    const store = path.join(root.dir, 'store');
    const result = await gitty(['--store', store, '--json', 'import', tree, '--author', 'importer', '-m', 'from my notes']);
    expect(result.code, result.stderr).toBe(0);
    const report = result.json<ImportJson>();
    expect(report.versions).toBe(Object.keys(files).length);
    expect(report.skipped).toEqual({ git: 1, symlinks: 2, special: 0, invalid: [] });
    expect(Object.keys(report.heads).sort()).toEqual(Object.keys(files).map(nameOf).sort());

    const opened = await openFilesStore(store);
    try {
      for (const file of Object.keys(files)) {
        const version = await opened.get(nameOf(file));
        const onDisk = await readFile(path.join(tree, file));
        expect(Buffer.compare(Buffer.from(version.data), onDisk), file).toBe(0);
        expect(version.commit.author).toBe('importer');
        expect(version.commit.commit_message).toBe('from my notes');
        expect(version.commit.previous).toBeUndefined();
        expect(version.commit.time).toBe((await stat(path.join(tree, file))).mtimeMs / 1000);
      }
      expect((await opened.commit('a.txt')).time).toBe(1_500_000_000);
    } finally {
      await opened.close();
    }

    await writeFile(path.join(tree, 'a.txt'), 'plain text, edited\n');
    const again = await gitty(['--store', store, '--json', 'import', tree]);
    expect(again.code, again.stderr).toBe(0);
    const second = again.json<ImportJson>();
    expect(second.versions).toBe(1);
    expect(second.unchanged).toBe(Object.keys(files).length - 1);
    const reopened = await openFilesStore(store);
    try {
      const a = await reopened.get('a.txt');
      expect(a.text).toBe('plain text, edited\n');
      expect(a.commit.previous).toBe(report.heads['a.txt']);
    } finally {
      await reopened.close();
    }
  });

  it('with --prefix and --separator the names map back to the paths; --dry-run writes nothing; the folder may be given through a link', async () => {
    const store = path.join(root.dir, 'store-dry');
    const linkToTree = path.join(root.dir, 'link-to-tree');
    await symlink(tree, linkToTree);
    const dry = await gitty(['--store', store, '--json', 'import', linkToTree, '--prefix', 'notes~', '--separator', '~', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    const names = dry.json<{ names: Record<string, string> }>().names;
    expect(names['sub/deeper/notes.md']).toBe('notes~sub~deeper~notes.md');
    expect(Object.keys(names).sort()).toEqual(Object.keys(files).sort());
    for (const [file, name] of Object.entries(names)) expect(name.slice('notes~'.length).split('~').join('/')).toBe(file);
    await expect(readdir(store)).rejects.toThrow();
  });

  it('refuses paths that make no name, a missing folder and a bad separator, leaving the store as it was', async () => {
    const bad = path.join(root.dir, 'bad-tree');
    await mkdir(path.join(bad, 'dir'), { recursive: true });
    await writeFile(path.join(bad, 'back\\slash.txt'), 'x');
    await writeFile(path.join(bad, ' leading-space.txt'), 'x');
    await writeFile(path.join(bad, 'dir', 'ok.txt'), 'ok');
    const store = path.join(root.dir, 'store-bad');
    const opened = await openFilesStore(store);
    await opened.create('existing.txt', 'kept\n');
    await opened.close();
    const before = await snapshot(store);

    const refused = await gitty(['--store', store, 'import', bad]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('2 path(s) cannot become gitty names');
    expect(refused.stderr).toContain('" leading-space.txt"');
    expect(refused.stderr).toContain('"back\\\\slash.txt"');

    const missing = await gitty(['--store', store, '--json', 'import', path.join(root.dir, 'nowhere')]);
    expect(missing.code).toBe(1);
    expect(missing.json<{ error: { code: string } }>().error.code).toBe('READ_FAILED');

    const separator = await gitty(['--store', store, 'import', bad, '--separator', '/']);
    expect(separator.code).toBe(2);
    expect(await snapshot(store)).toEqual(before);

    const skipping = await gitty(['--store', store, '--json', 'import', bad, '--skip-invalid']);
    expect(skipping.code, skipping.stderr).toBe(0);
    expect(Object.keys(skipping.json<ImportJson>().heads)).toEqual(['dir:ok.txt']);
  });
});
