import { afterEach, describe, expect, it } from 'vitest';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore, registerDriver, isGittyError } from '@gitty/core';
import { git, spawnTs, tempDir } from '@gitty/driver-test/harness';
import { createGitScratchRepo } from '@gitty/driver-files';
import { createDriver } from '../src/index.js';
import { versionText } from './fixtures.js';
import { gitCatFileBatch, writeHistory } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

registerDriver('packs', createDriver);

async function store(options: Record<string, unknown> = {}) {
  const { dir, remove } = await tempDir('gitty-packs-files-');
  cleanups.push(remove);
  const s = await openStore({ driver: 'packs', dir, ...options });
  cleanups.unshift(() => s.close());
  return { dir, store: s };
}

describe('packs over the files driver', () => {
  it('opens from a config, declares packs and rawObjects, and reports pack stats', async () => {
    const { store: s } = await store({ durability: 'none' });
    await writeHistory(s, 3, 3);
    await s.repack({ minFiles: 1 });
    const stats = await s.driverStats();
    expect(stats).toMatchObject({ packs: 1, packedObjects: 18, looseObjects: 0 });
    expect((await s.get('file-2.txt')).text).toBe(versionText(2, 2));
  });

  it('git cat-file reads every object, loose and packed, through a scratch repository with alternates', async () => {
    const { dir, store: s } = await store();
    const history = await writeHistory(s, 5, 4);
    await s.repack({ minFiles: 1 });
    const loose = await s.update('file-1.txt', 'after the pack\n', { previous: history[1]!.at(-1)! });
    const scratch = await createGitScratchRepo(dir);
    cleanups.push(scratch.remove);
    const listed = (await git(['--git-dir', scratch.gitDir, 'cat-file', '--batch-all-objects', '--batch-check'], { stdio: ['ignore', 'pipe', 'pipe'] }))
      .toString().trim().split('\n');
    expect(listed).toHaveLength(5 * 4 * 2 + 2);
    const read = await gitCatFileBatch(scratch.gitDir, [...listed.map((line) => line.split(' ')[0]!), loose.data]);
    for (const line of listed) {
      const [hash, type] = line.split(' ');
      const object = (await s.load(hash!));
      expect(object.type).toBe(type);
      expect(read.get(hash!)?.type).toBe(type);
      expect(Buffer.compare(read.get(hash!)!.data, Buffer.from(object.data))).toBe(0);
    }
    expect(read.get(loose.data)?.data.toString()).toBe('after the pack\n');
  });

  it('rejects a bad autoRepack and passes unknown options to the files driver to refuse', async () => {
    const { dir, remove } = await tempDir('gitty-packs-files-');
    cleanups.push(remove);
    for (const config of [{ autoRepack: -1 }, { autoRepack: 'often' }, { colour: 'blue' }]) {
      let caught: unknown;
      try {
        await openStore({ driver: 'packs', dir, ...config });
      } catch (err) {
        caught = err;
      }
      expect(isGittyError(caught, 'INVALID_CONFIG'), JSON.stringify(config)).toBe(true);
    }
  });

  it('a crash while rebuilding the lost head log of a packs store loses no head: the log is written once, from every commit', async () => {
    const { dir, store: s } = await store();
    const history = await writeHistory(s, 4, 3);
    await s.repack({ minFiles: 1 });
    const last = await s.update('file-0.txt', 'loose newest\n', { previous: history[0]!.at(-1)! });
    await s.close();
    await rm(path.join(dir, 'ref', 'head'));
    // Dies the moment the rebuilt log appears: nothing may be left for a second step.
    const child = spawnTs(fileURLToPath(new URL('./children/rebuild-crash.ts', import.meta.url)), [dir]);
    expect(await new Promise((resolve) => child.on('exit', (_code, signal) => resolve(signal)))).toBe('SIGKILL');
    const reopened = await openStore({ driver: 'packs', dir });
    cleanups.unshift(() => reopened.close());
    expect(await reopened.head('file-0.txt')).toBe(last.commit);
    for (let f = 1; f < 4; f++) expect(await reopened.head(`file-${f}.txt`)).toBe(history[f]!.at(-1));
  }, 60_000);

  it('a store whose head log was lost gets its heads back from packed and loose commits', async () => {
    const { dir, store: s } = await store();
    const history = await writeHistory(s, 4, 3);
    await s.repack({ minFiles: 1 });
    // One more version after the pack: that head is a loose commit.
    const last = await s.update('file-0.txt', 'loose newest\n', { previous: history[0]!.at(-1)!, time: 5000 });
    await s.close();
    await rm(path.join(dir, 'ref', 'head'));
    const reopened = await openStore({ driver: 'packs', dir });
    cleanups.unshift(() => reopened.close());
    expect(await reopened.head('file-0.txt')).toBe(last.commit);
    for (let f = 1; f < 4; f++) expect(await reopened.head(`file-${f}.txt`)).toBe(history[f]!.at(-1));
    expect((await reopened.fsck()).errors).toEqual([]);
  });
});
