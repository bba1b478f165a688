// LooseObjects edges the fa-lockloose mutation run found untested: its settings, an objects
// folder that cannot be listed, storeRaw placing a new object by link, pruning the two folder
// levels of the SWISH layout, and a temp-named folder prune cannot unlink.
import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encodeObject, hashObject, nodeCompression } from '@gitty/core';
import { tempDir } from '@gitty/driver-test/harness';
import { LooseObjects, TEMP_PREFIX, type LooseObjectsOptions } from '@gitty/driver-files';
import { swishObjectPaths } from '../src/swish/object-paths.js';
import { recordFs } from './recording-fs.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function folder(): Promise<string> {
  const { dir, remove } = await tempDir('gitty-loose-mutants-');
  cleanups.push(remove);
  return dir;
}

const HOST = os.hostname().replace(/[^A-Za-z0-9_.]/g, '_').slice(0, 64) || 'host';
const deadPid = spawnSync(process.execPath, ['-e', '0']).pid;

describe('LooseObjects', () => {
  it('settings are the options it was made with', async () => {
    const options: LooseObjectsOptions = { root: path.join(await folder(), 'objects'), compression: nodeCompression, maxObjectSize: 1000, durability: 'none' };
    expect(new LooseObjects(options).settings).toBe(options);
  });

  it('an objects folder that cannot be read (a symlink loop: ELOOP) fails list, stats and prune; only a missing one is empty', async () => {
    const root = path.join(await folder(), 'objects');
    symlinkSync(root, root);
    const objects = new LooseObjects({ root, compression: nodeCompression, maxObjectSize: 1000, durability: 'none' });
    await expect((async () => {
      for await (const hash of objects.list()) void hash;
    })()).rejects.toMatchObject({ code: 'ELOOP' });
    await expect(objects.stats()).rejects.toMatchObject({ code: 'ELOOP' });
    await expect(objects.prune()).rejects.toMatchObject({ code: 'ELOOP' });
    const missing = new LooseObjects({ root: path.join(root, '..', 'none'), compression: nodeCompression, maxObjectSize: 1000, durability: 'none' });
    expect(await missing.stats()).toEqual({ objects: 0, bytes: 0, diskBytes: 0 });
  });

  it('storeRaw links a new object into place (never renames over a file that may exist), with fsync too', async () => {
    for (const durability of ['fsync', 'none'] as const) {
      const root = path.join(await folder(), 'objects');
      const objects = new LooseObjects({ root, compression: nodeCompression, maxObjectSize: 1000, durability, groupCommit: false });
      const data = new TextEncoder().encode(`raw ${durability}`);
      const hash = hashObject('blob', data);
      const rec = recordFs();
      try {
        expect(await objects.storeRaw(hash, encodeObject('blob', data, nodeCompression).raw)).toBe(true);
      } finally {
        rec.restore();
      }
      const ops = rec.events.map((e) => e.op);
      expect(ops, durability).toContain('link');
      expect(ops, durability).not.toContain('rename');
    }
  });

  it('prune removes both empty folder levels of the SWISH layout and counts them, and goes no deeper', async () => {
    const root = await folder();
    const objects = new LooseObjects({ root, compression: nodeCompression, maxObjectSize: 1000, durability: 'none', scheme: swishObjectPaths });
    mkdirSync(path.join(root, 'ab', 'cd'), { recursive: true });
    mkdirSync(path.join(root, 'ef', '01'), { recursive: true });
    mkdirSync(path.join(root, 'ef', '02'), { recursive: true });
    // A third level of two-hex folders is no part of the layout: not descended into, so 34 holds 56 and stays.
    mkdirSync(path.join(root, '12', '34', '56'), { recursive: true });
    expect(await objects.prune()).toEqual({ folders: 5, tempFiles: 0 });
    expect(readdirSync(root)).toEqual(['12']);
    expect(readdirSync(path.join(root, '12', '34'))).toEqual(['56']);
  });

  it('a dead writer\'s temp-named folder among the objects is not counted as removed (unlink fails on a folder)', async () => {
    const root = path.join(await folder(), 'objects');
    const objects = new LooseObjects({ root, compression: nodeCompression, maxObjectSize: 1000, durability: 'none' });
    const name = `${TEMP_PREFIX}${HOST}-${deadPid}-ab`;
    mkdirSync(path.join(root, 'ab', name), { recursive: true });
    expect(await objects.prune()).toEqual({ folders: 0, tempFiles: 0 });
    expect(readdirSync(path.join(root, 'ab'))).toEqual([name]);
  });
});
