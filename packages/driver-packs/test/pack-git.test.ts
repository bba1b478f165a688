import { afterEach, describe, expect, it } from 'vitest';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { git, tempDir } from '@gitty/driver-test/harness';
import { createDelta } from '../src/delta.js';
import { DeltaIndex } from '../src/delta-index.js';
import { PackType } from '../src/pack-format.js';
import { PackIndex, writePackIndex } from '../src/pack-index.js';
import { PackFile } from '../src/pack-reader.js';
import { PackWriter } from '../src/pack-writer.js';
import { blob, versionText } from './fixtures.js';
import { gitCatFileBatch } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function scratch(): Promise<string> {
  const { dir, remove } = await tempDir('gitty-packs-');
  cleanups.push(remove);
  return dir;
}

/** Write versions 9..0 of `files` files: newest whole, each older one a delta on the next newer. */
async function writeChains(dir: string, files: number) {
  const objects = [];
  const tmp = path.join(dir, 'tmp.pack');
  const writer = await PackWriter.create(tmp);
  for (let f = 0; f < files; f++) {
    let previous: { offset: number; data: Uint8Array } | undefined;
    for (let v = 9; v >= 0; v--) {
      const o = blob(versionText(f, v));
      objects.push(o);
      const delta = previous && createDelta(new DeltaIndex(previous.data), o.data, o.data.length / 2);
      const offset = delta && previous
        ? await writer.addOfsDelta(o.hash, previous.offset, delta)
        : await writer.addWhole(o.hash, PackType.blob, o.data);
      previous = { offset, data: o.data };
    }
  }
  const checksum = await writer.finish();
  const packDir = path.join(dir, 'objects', 'pack');
  await mkdir(packDir, { recursive: true });
  const packPath = path.join(packDir, `pack-${checksum}.pack`);
  await writeFile(packPath, await readFile(tmp));
  await writeFile(packPath.replace(/\.pack$/, '.idx'), writePackIndex(writer.entries, checksum));
  return { objects, packPath, checksum };
}

describe('packs and real git', () => {
  it('git verify-pack accepts our pack, and git index-pack builds the same idx byte for byte', async () => {
    const dir = await scratch();
    const { packPath, objects } = await writeChains(dir, 20);
    const verify = (await git(['verify-pack', '-v', packPath])).toString();
    expect(verify).toMatch(/ok$/m);
    expect(verify).toContain('chain length = 9: 20 objects');
    const gitIdx = path.join(dir, 'git.idx');
    await git(['index-pack', '-o', gitIdx, packPath]);
    expect(Buffer.compare(await readFile(gitIdx), await readFile(packPath.replace(/\.pack$/, '.idx')))).toBe(0);
    expect(objects).toHaveLength(200);
  });

  it('git cat-file reads every object of our pack through alternates', async () => {
    const dir = await scratch();
    const { objects } = await writeChains(dir, 5);
    const repo = path.join(dir, 'scratch.git');
    await git(['init', '-q', '--bare', repo]);
    await writeFile(path.join(repo, 'objects', 'info', 'alternates'), `${path.join(dir, 'objects')}\n`);
    const read = await gitCatFileBatch(repo, objects.map((o) => o.hash));
    for (const o of objects) {
      expect(read.get(o.hash)?.type).toBe('blob');
      expect(Buffer.compare(read.get(o.hash)!.data, Buffer.from(o.data))).toBe(0);
    }
  });

  // Without --delta-base-offset, pack-objects writes REF_DELTA entries: this reads those.
  it('reads every object of a pack that git pack-objects wrote, with its deltas', async () => {
    const dir = await scratch();
    const repo = path.join(dir, 'repo.git');
    await git(['init', '-q', '--bare', repo]);
    const hashes: string[] = [];
    const expected = new Map<string, string>();
    // git writes the blobs (one hash-object for all of them, from files).
    const texts: string[] = [];
    const files: string[] = [];
    await mkdir(path.join(dir, 'texts'));
    for (let f = 0; f < 10; f++) {
      for (let v = 0; v < 10; v++) {
        texts.push(versionText(f, v));
        files.push(path.join(dir, 'texts', `${f}-${v}.txt`));
        await writeFile(files.at(-1)!, texts.at(-1)!);
      }
    }
    const written = (await git(['--git-dir', repo, 'hash-object', '-w', '--stdin-paths'], { input: files.join('\n') + '\n' })).toString().trim().split('\n');
    expect(written).toHaveLength(texts.length);
    for (const [i, hash] of written.entries()) {
      hashes.push(hash);
      expected.set(hash, texts[i]!);
    }
    const base = path.join(dir, 'objects', 'pack', 'pack');
    await mkdir(path.dirname(base), { recursive: true });
    const sha = (await git(['--git-dir', repo, 'pack-objects', '--window=250', '--depth=50', base], { input: hashes.join('\n') + '\n' }))
      .toString().trim();
    const pack = await PackFile.open(`${base}-${sha}.pack`, 1 << 20);
    try {
      const verify = (await git(['verify-pack', '-v', `${base}-${sha}.pack`])).toString();
      expect(verify).toMatch(/chain length = [1-9]/); // git did write deltas for us to resolve
      for (const [hash, text] of expected) {
        const object = await pack.read(hash);
        expect(object?.type).toBe('blob');
        expect(Buffer.from(object!.data).toString()).toBe(text);
      }
      expect(await pack.checksumMatches()).toBe(true);
      expect(await pack.read('0'.repeat(40))).toBeUndefined();
    } finally {
      await pack.close();
    }
    expect((await readdir(path.dirname(base))).length).toBe(2);
  });

  it('finds every hash through the idx binary search and no absent one', async () => {
    const dir = await scratch();
    const { packPath, objects } = await writeChains(dir, 30);
    const index = new PackIndex(await readFile(packPath.replace(/\.pack$/, '.idx')), 'idx');
    expect(index.count).toBe(300);
    for (const o of objects) expect(index.find(o.hash)).toBeGreaterThanOrEqual(0);
    expect(index.find('f'.repeat(40))).toBe(-1);
    expect(index.find('0'.repeat(40))).toBe(-1);
    expect([...index.hashes()]).toEqual(objects.map((o) => o.hash).sort());
  });
});
