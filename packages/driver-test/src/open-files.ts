// What this process holds open, read from the kernel (Linux: /proc/self/fd): a test of a
// descriptor leak looks at the real descriptors, not at the code's own bookkeeping.
import { readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';

/**
 * The files under `folder` this process holds open whose names end with `suffix`, sorted (a
 * deleted one ends with " (deleted)").
 */
export function openFilesUnder(folder: string, suffix = ''): string[] {
  const open: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    let target = '';
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      // closed since the listing
    }
    if (target.startsWith(`${folder}${path.sep}`) && target.endsWith(suffix)) open.push(target);
  }
  return open.sort();
}
