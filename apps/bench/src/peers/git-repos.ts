import path from 'node:path';
import type { BenchContext } from '../context.js';
import { objectsOf } from '../data.js';
import { LooseObjectFloor, writeAllObjects } from './floor.js';
import { initBare, packObjects } from './git.js';

/** Bare git repositories holding the whole data set's objects: loose, and packed by git. */
export interface GitPeerRepos {
  loose: string;
  packed: string;
  /** Seconds git pack-objects took. */
  packSeconds: number;
}

/**
 * The git peers' repositories, built once per run: every object of the data set written loose
 * (byte-identical to what git writes), and the same objects packed by `git pack-objects
 * --window=250 --depth=50`.
 */
export function gitPeerRepos(ctx: BenchContext): Promise<GitPeerRepos> {
  return ctx.once('git-repos', async () => {
    const loose = await ctx.tempDir('git-loose');
    await initBare(loose);
    const objects = objectsOf(ctx.data);
    const floor = new LooseObjectFloor(path.join(loose, 'objects'));
    await writeAllObjects(floor, objects);
    const packed = path.join(await ctx.tempDir('git-packed'), 'repo.git');
    const start = performance.now();
    await packObjects(loose, packed, objects);
    return { loose, packed, packSeconds: (performance.now() - start) / 1000 };
  });
}
