import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';

/** Bytes a tree occupies: `blocks` as `du` counts them (allocated 512-byte blocks), `apparent` as file sizes. */
export interface DiskUsage {
  blocks: number;
  apparent: number;
  files: number;
}

/**
 * Walk `root` and add up every regular file, `du`-style: allocated blocks × 512, so a 300-byte
 * loose object costs a whole file system block. A missing root counts as empty.
 */
export async function diskUsage(root: string, filter: (file: string) => boolean = () => true): Promise<DiskUsage> {
  const total: DiskUsage = { blocks: 0, apparent: 0, files: 0 };
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile() && filter(full)) {
        const s = await lstat(full);
        total.blocks += s.blocks * 512;
        total.apparent += s.size;
        total.files++;
      }
    }
  };
  await walk(root);
  return total;
}
