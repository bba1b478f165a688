import { MemoryDriver, nodeCompression, openStore, type Store } from '@gitty/core';
import { git, tempDir } from '@gitty/driver-test/harness';
import { PacksDriver } from '../src/packs-driver.js';
import { versionText } from './fixtures.js';

/** A packs driver over an in-memory loose store, in a temp dir; `done` closes and removes. */
export async function memoryPacks(autoRepack = 0) {
  const { dir, remove } = await tempDir('gitty-packs-');
  const driver = await new PacksDriver(new MemoryDriver(), { dir, compression: nodeCompression, maxObjectSize: 1 << 24, autoRepack }).open();
  const store = await openStore(driver);
  return { dir, driver, store, done: async () => { await store.close(); await remove(); } };
}

/** Write `versions` versions of `files` files; returns the commit hashes per file, oldest first. */
export async function writeHistory(store: Store, files: number, versions: number, ext = 'txt'): Promise<string[][]> {
  const all: string[][] = [];
  for (let f = 0; f < files; f++) {
    const commits: string[] = [];
    let previous: string | undefined;
    for (let v = 0; v < versions; v++) {
      const name = `file-${f}.${ext}`;
      const text = versionText(f, v);
      const c = previous === undefined
        ? await store.create(name, text, { time: 1000 + v })
        : await store.update(name, text, { previous, time: 1000 + v });
      previous = c.commit;
      commits.push(c.commit);
    }
    all.push(commits);
  }
  return all;
}

/** An object as `git cat-file --batch` printed it: its type (`missing` when git lacks it) and content. */
export interface GitObject {
  type: string;
  data: Buffer;
}

/**
 * Every object of `hashes` as git reads it from `gitDir`, through one `git cat-file --batch`
 * (one git process, not one per object). Throws when git's output does not parse.
 */
export async function gitCatFileBatch(gitDir: string, hashes: readonly string[]): Promise<Map<string, GitObject>> {
  const out = await git(['--git-dir', gitDir, 'cat-file', '--batch'], { input: hashes.map((h) => `${h}\n`).join('') });
  const objects = new Map<string, GitObject>();
  let at = 0;
  while (at < out.length) {
    const headerEnd = out.indexOf(0x0a, at);
    if (headerEnd < 0) throw new Error(`git cat-file --batch: a header without its end at ${at}`);
    const [hash, type, size] = out.subarray(at, headerEnd).toString().split(' ');
    if (type === 'missing') {
      objects.set(hash!, { type, data: Buffer.alloc(0) });
      at = headerEnd + 1;
      continue;
    }
    const end = headerEnd + 1 + Number(size);
    if (!(end < out.length && out[end] === 0x0a)) throw new Error(`git cat-file --batch: ${hash}'s ${size} bytes do not end with a newline`);
    objects.set(hash!, { type: type!, data: out.subarray(headerEnd + 1, end) });
    at = end + 1;
  }
  return objects;
}
