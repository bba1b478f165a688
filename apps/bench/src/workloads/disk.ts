import path from 'node:path';
import type { BenchContext } from '../context.js';
import { openRowStore } from '../drivers.js';
import { diskUsage } from '../disk-usage.js';
import { gitPeerRepos } from '../peers/git-repos.js';
import type { DriverRow } from '../drivers.js';
import { checkGoal, type Row } from '../report.js';
import { missingRows, reasonOf } from './rows.js';

const KIB = 1024;

function kib(bytes: number): number {
  return bytes / KIB;
}

/**
 * Repack a row's built store once per run (drivers with the `packs` capability); resolves false
 * when the driver cannot repack. The read workload reads packs drivers after this.
 */
export function repackBuilt(ctx: BenchContext, row: DriverRow): Promise<boolean> {
  return ctx.once(`repacked-${row.id}`, async () => {
    const built = await ctx.builtStore(row);
    const store = await openRowStore(row, built.place);
    try {
      if (!store.driver.capabilities.packs) return false;
      ctx.log(`repacking ${row.id}`);
      await store.repack({ minFiles: 1, window: 250, depth: 50 });
      return true;
    } finally {
      await store.close();
    }
  });
}

/**
 * Disk: bytes on disk (`du`-style, block-rounded) of each persistent driver's store holding the
 * whole data set, after ingest and after repack (drivers with packs), against the same objects
 * loose as git writes them and packed by `git pack-objects --window=250 --depth=50`.
 * One measurement each (sizes do not vary between rounds).
 */
export async function diskWorkload(ctx: BenchContext): Promise<Row[]> {
  const repos = await gitPeerRepos(ctx);
  const gitLoose = await diskUsage(path.join(repos.loose, 'objects'), (f) => !f.includes(`${path.sep}pack${path.sep}`));
  const gitPack = await diskUsage(path.join(repos.packed, 'objects', 'pack'), (f) => /\.(pack|idx)$/.test(f));
  const textBytes = ctx.data.versions.reduce((n, v) => n + v.bytes.length, 0);
  const rows: Row[] = [];
  const unit = 'KiB';
  const looseNote = (apparent: number, files: number) => `${files} files, ${Math.round(kib(apparent))} KiB apparent`;

  // files-fsync stores the same bytes as files: measured once, under files.
  for (const row of ctx.drivers.filter((d) => d.persistent && d.id !== 'files-fsync')) {
    try {
      const built = await ctx.builtStore(row);
      const after = await diskUsage(built.place.dir);
      rows.push(checkGoal({
        workload: 'disk', subject: row.id, metric: 'after ingest', unit, value: kib(after.blocks),
        peer: 'git loose', peerValue: kib(gitLoose.blocks), ratio: after.blocks / gitLoose.blocks,
        note: looseNote(after.apparent, after.files),
      }));
      if (!(await repackBuilt(ctx, row))) continue;
      const packed = await diskUsage(built.place.dir);
      rows.push(checkGoal({
        workload: 'disk', subject: row.id, metric: 'after repack, whole store', unit, value: kib(packed.blocks),
        peer: 'git pack-objects', peerValue: kib(gitPack.blocks), ratio: packed.blocks / gitPack.blocks,
        note: looseNote(packed.apparent, packed.files),
      }));
      // The goal compares packs with packs: pack + idx only, as git's figure is.
      const packFiles = await diskUsage(path.join(built.place.dir, 'objects', 'pack'), (f) => /\.(pack|idx)$/.test(f));
      rows.push(checkGoal({
        workload: 'disk', subject: row.id, metric: 'after repack, pack + idx', unit, value: kib(packFiles.blocks),
        peer: 'git pack-objects', peerValue: kib(gitPack.blocks), ratio: packFiles.blocks / gitPack.blocks,
        goal: row.id === 'packs' ? { text: '≤ 1.2× git', on: 'ratio', op: '<=', target: 1.2 } : undefined,
        note: `${packFiles.files} files, ${Math.round(kib(packFiles.apparent))} KiB apparent (git: ${Math.round(kib(gitPack.apparent))} KiB apparent)`,
      }));
    } catch (err) {
      rows.push({ workload: 'disk', subject: row.id, metric: 'after ingest', unit, value: null, note: `failed: ${reasonOf(err)}` });
    }
  }
  rows.push(...missingRows(ctx, 'disk', 'after ingest', unit));
  rows.push({
    workload: 'disk', subject: 'git loose', metric: 'objects', unit, value: kib(gitLoose.blocks),
    peer: 'raw text', peerValue: kib(textBytes), ratio: gitLoose.blocks / textBytes, note: looseNote(gitLoose.apparent, gitLoose.files),
  });
  rows.push({
    workload: 'disk', subject: 'git pack-objects', metric: '--window=250 --depth=50', unit, value: kib(gitPack.blocks),
    peer: 'raw text', peerValue: kib(textBytes), ratio: gitPack.blocks / textBytes,
    note: `pack + idx, ${Math.round(kib(gitPack.apparent))} KiB apparent, packed in ${repos.packSeconds.toFixed(1)} s`,
  });
  return rows;
}
