import { closeSync, mkdirSync, openSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openFilesUnder, tempDir } from '../src/harness.js';

// openFilesUnder is what descriptor-leak tests trust, so it must see exactly what is open.
describe('openFilesUnder', () => {
  it('lists the files open under a folder, sorted, filtered by suffix; not a sibling folder sharing the prefix, not closed ones; a deleted one ends with " (deleted)"', async () => {
    const { dir, remove } = await tempDir('gitty-open-files-');
    const fds: number[] = [];
    try {
      const folder = path.join(dir, 'store');
      mkdirSync(folder);
      mkdirSync(`${folder}-other`);
      for (const name of ['b.pack', 'a.pack', 'c.idx', '../store-other/d.pack']) {
        writeFileSync(path.join(folder, name), 'x');
        fds.push(openSync(path.join(folder, name), 'r'));
      }
      expect(openFilesUnder(folder)).toEqual(['a.pack', 'b.pack', 'c.idx'].map((name) => path.join(folder, name)));
      expect(openFilesUnder(folder, '.pack')).toEqual(['a.pack', 'b.pack'].map((name) => path.join(folder, name)));
      // Sorted by code unit: '-' comes before '/'.
      expect(openFilesUnder(dir, '.pack')).toEqual([path.join(`${folder}-other`, 'd.pack'), path.join(folder, 'a.pack'), path.join(folder, 'b.pack')]);
      unlinkSync(path.join(folder, 'c.idx'));
      expect(openFilesUnder(folder, '.idx (deleted)')).toEqual([`${path.join(folder, 'c.idx')} (deleted)`]);
      closeSync(fds.shift()!);
      expect(openFilesUnder(folder)).toEqual([path.join(folder, 'a.pack'), `${path.join(folder, 'c.idx')} (deleted)`]);
    } finally {
      for (const fd of fds) closeSync(fd);
      await remove();
    }
  });
});
