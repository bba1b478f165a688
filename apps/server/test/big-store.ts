import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { HeadLog, storeLayout } from '@gitty/driver-files';
import { PackType, PackWriter, writePackIndex } from '@gitty/driver-packs';
import { encodeCommit, hashObject, openStore } from '@gitty/core';
import { registerBuiltinDrivers } from '../src/index.js';

/** Authors, tags and words the generated files are made of (so filters and searches have answers). */
export const AUTHORS = ['ann', 'bob', 'cy', 'dee'];
export const TAGS = ['exam', 'demo', 'lib'];

/** The name of generated file `i`: sorted by name they are in `i` order. */
export function bigName(i: number): string {
  return `file-${String(i).padStart(6, '0')}.${i % 3 === 0 ? 'md' : 'pl'}`;
}

/** Generated file `i`'s content: one of 100 topics, and for every 1000th file a unique `needle-<i>`. */
export function bigContent(i: number): string {
  return i % 1000 === 0 ? `% generated file\nneedle-${i} topic-${i % 100}\n` : `% generated file\ntopic-${i % 100} lorem ipsum\n`;
}

/**
 * Build a sqlite store of `count` files fast: every object in one pack (as a repack would
 * leave them), the heads in one head-log write (as a rebuild writes it), then one sqlite open
 * indexes them all. Creating them one by one (a CAS each) ran at ~90 files/s on this machine,
 * and loose objects at ~2,000/s: 100k files would take minutes either way.
 */
export async function buildBigStore(dir: string, count: number): Promise<void> {
  await registerBuiltinDrivers();
  const layout = storeLayout(dir);
  const packDir = path.join(layout.objects, 'pack');
  await mkdir(packDir, { recursive: true });
  const temp = path.join(packDir, 'tmp-generated.pack');
  const pack = await PackWriter.create(temp, 1);
  const written = new Set<string>();
  const add = async (type: 'blob' | 'commit', bytes: Uint8Array): Promise<string> => {
    const hash = hashObject(type, bytes);
    if (!written.has(hash)) {
      written.add(hash);
      await pack.addWhole(hash, type === 'blob' ? PackType.blob : PackType.commit, bytes);
    }
    return hash;
  };
  const encoder = new TextEncoder();
  const heads: Array<{ name: string; head: string }> = [];
  for (let i = 0; i < count; i++) {
    const name = bigName(i);
    const data = await add('blob', encoder.encode(bigContent(i)));
    const commit = encodeCommit({
      name, data, time: 1_700_000_000 + i, author: AUTHORS[i % AUTHORS.length]!, tags: [TAGS[i % TAGS.length]!], commit_message: `generated ${i}`,
    });
    heads.push({ name, head: await add('commit', commit) });
  }
  const checksum = await pack.finish();
  await writeFile(path.join(packDir, `pack-${checksum}.idx`), writePackIndex(pack.entries, checksum));
  await rename(temp, path.join(packDir, `pack-${checksum}.pack`));
  const log = new HeadLog(layout.headLog, { durability: 'none' });
  await log.withLock(() => log.create(heads));
  // Opening indexes the whole log (a new epoch: a rebuild) in one go.
  const indexed = await openStore({ driver: 'sqlite', dir, packs: true, durability: 'none' });
  await indexed.close();
}
