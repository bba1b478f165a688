import { afterEach, describe, expect, it } from 'vitest';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { isGittyError, openStore, registerDriver, type ImportAbortedError, type ImportVersion } from '@gitty/core';
import { git, tempDir } from '@gitty/driver-test/harness';
import { createDriver } from '../src/index.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});
registerDriver('packs', createDriver);

/** Versions of `files` files, each version changing one line of ~2 KB (deltas apply), interleaved as a history would be. */
function history(files: number, versions: number): ImportVersion[] {
  const out: ImportVersion[] = [];
  for (let v = 0; v < versions; v++) {
    for (let f = 0; f < files; f++) {
      const lines = Array.from({ length: 50 }, (_, l) => `file ${f} line ${l}: ${l === (v * 7) % 50 ? `edited in version ${v}` : 'unchanged text'}`);
      out.push({ name: `doc-${f}.md`, data: `${lines.join('\n')}\n`, meta: { time: 1_700_000_000 + v, author: 'importer' } });
    }
  }
  return out;
}

describe('Store.import on packs and real git', () => {
  it('writes one new pack with deltas that git verify-pack and git index-pack accept (byte-identical idx)', async () => {
    const { dir, remove } = await tempDir('gitty-packs-import-git-');
    cleanups.push(remove);
    const store = await openStore({ driver: 'packs', dir, durability: 'none' });
    try {
      const existing = await store.create('doc-0.md', 'before the import\n');
      const versions = history(8, 12);
      const report = await store.import(versions);
      expect(report.versions).toBe(96);
      expect(report.objects).toBe(192);
      // Nothing went loose: every object of the import is in the one new pack.
      const folder = path.join(dir, 'objects', 'pack');
      const packs = (await readdir(folder)).filter((n) => n.endsWith('.pack'));
      expect(packs).toHaveLength(1);
      const packPath = path.join(folder, packs[0]!);
      const verify = (await git(['verify-pack', '-v', packPath])).toString();
      expect(verify).toMatch(/: ok$/m);
      expect(verify).toMatch(/^non delta: \d+ objects$/m);
      // Older versions are deltas on newer ones: chains of the 8 files' blobs.
      expect(verify).toMatch(/^chain length = 1: \d+ objects$/m);
      expect(verify).toMatch(/^chain length = 11: 8 objects$/m); // each file's 12 imported blobs: newest whole, 11 deltas
      const gitIdx = path.join(dir, 'git.idx');
      await git(['index-pack', '-o', gitIdx, packPath]);
      expect(Buffer.compare(await readFile(gitIdx), await readFile(packPath.replace(/\.pack$/, '.idx')))).toBe(0);
      // The heads are the newest versions, stored whole, and history reads back through the deltas.
      const history0 = [];
      for await (const commit of store.walk('doc-0.md')) history0.push(commit.commit);
      expect(history0).toHaveLength(13);
      expect(history0.at(-1)).toBe(existing.commit);
      expect((await store.get('doc-3.md')).text).toBe(versions.at(-5)!.data);
      expect((await store.get(report.heads['doc-7.md']!)).text).toBe(versions.at(-1)!.data);
      expect((await store.fsck()).errors).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('an abort while the pack is written installs no pack, moves no head and leaves no temp file', async () => {
    const { dir, remove } = await tempDir('gitty-packs-import-abort-');
    cleanups.push(remove);
    const store = await openStore({ driver: 'packs', dir, durability: 'none' });
    try {
      const controller = new AbortController();
      const err = await store.import(history(10, 120), {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.phase === 'import-pack') controller.abort();
        },
      }).then(() => undefined, (e: unknown) => e);
      expect(isGittyError(err, 'ABORTED')).toBe(true);
      expect((err as ImportAbortedError).applied).toEqual({});
      const left = [];
      for await (const head of store.driver.heads()) left.push(head);
      expect(left).toEqual([]);
      expect(await readdir(path.join(dir, 'objects', 'pack'))).toEqual([]);
      expect((await store.fsck()).errors).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
