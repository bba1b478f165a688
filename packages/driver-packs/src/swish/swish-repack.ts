import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { mkdir, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import {
  CorruptObjectError, decodeObject, isGittyError, writeAtom, type RepackOptions, type RepackReport,
} from '@gitty/core';
import { gzipCompression, syncFolder, tempName, type SwishFilesDriver, type SwishPack } from '@gitty/driver-files';

/** SWISH's defaults (`repack_objects/2`): pack once 1,000 loose objects exist; merge packs under 10 MB. */
export const SWISH_REPACK_DEFAULTS = { minFiles: 1000, smallPack: 10_000_000 } as const;

interface PackItem {
  hash: string;
  type: string;
  size: number;
  /** The gzip member exactly as stored (never re-encoded). */
  raw: Uint8Array;
}

/**
 * Pack loose objects (and the packs smaller than `smallPack`) into one new SWISH pack, as SWISH's
 * `repack_objects/2` does: header `gitty(1).`, one `obj(Hash,Type,Size,FileSize).` per object
 * sorted by hash, `end_of_header.`, then each object's gzip bytes as they were stored; the file
 * is named by the sha1 of its whole content. Every object is verified before it is packed (a
 * damaged loose object stays loose and is not counted). The pack is written to a temp file,
 * fsynced and renamed into place before any loose copy or merged pack is removed.
 * Call under the pack lock.
 */
export async function repackSwish(driver: SwishFilesDriver, options: RepackOptions = {}): Promise<RepackReport> {
  const minFiles = options.minFiles ?? SWISH_REPACK_DEFAULTS.minFiles;
  const smallPack = options.smallPack ?? SWISH_REPACK_DEFAULTS.smallPack;
  const report: RepackReport = { packed: 0, deltas: 0, packsRemoved: 0, looseRemoved: 0, bytes: 0 };
  const loose: string[] = [];
  for await (const hash of driver.loose.list()) loose.push(hash);
  if (loose.length < minFiles) return report;
  driver.packs.scan();
  const merged = driver.packs.all.filter((pack) => (statSync(pack.file, { throwIfNoEntry: false })?.size ?? Infinity) < smallPack);
  const items = new Map<string, PackItem>();
  const looseTaken: string[] = [];
  let done = 0;
  for (const hash of loose) {
    options.signal?.throwIfAborted();
    const file = driver.loose.fileOf(hash);
    let raw: Uint8Array;
    try {
      raw = readFileSync(file);
    } catch {
      continue; // removed meanwhile (gc, another repack)
    }
    try {
      const object = decodeObject(raw, hash, file, gzipCompression, driver.maxObjectSize);
      items.set(hash, { hash, type: object.type, size: object.data.length, raw });
      looseTaken.push(hash);
    } catch (err) {
      if (!isGittyError(err, 'CORRUPT_OBJECT')) throw err;
    }
    options.onProgress?.({ phase: 'repack', done: ++done, total: loose.length });
  }
  for (const pack of merged) collectPack(pack, items);
  if (items.size === 0) return report;
  const sorted = [...items.values()].sort((a, b) => (a.hash < b.hash ? -1 : 1));
  let header = 'gitty(1).\n';
  for (const item of sorted) header += `obj(${writeAtom(item.hash)},${writeAtom(item.type)},${item.size},${item.raw.length}).\n`;
  header += 'end_of_header.\n';
  const headerBytes = Buffer.from(header, 'utf8');
  const sha = createHash('sha1').update(headerBytes);
  for (const item of sorted) sha.update(item.raw);
  const name = `pack-${sha.digest('hex')}.pack`;
  const folder = driver.packs.folder;
  await mkdir(folder, { recursive: true });
  const target = path.join(folder, name);
  const temp = path.join(folder, tempName());
  const fd = openSync(temp, 'wx');
  try {
    writeSync(fd, headerBytes);
    for (const item of sorted) writeSync(fd, item.raw);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  closeSync(fd);
  await rename(temp, target);
  await syncFolder(folder);
  driver.packs.scan();
  report.pack = target;
  report.packed = sorted.length;
  report.bytes = headerBytes.length + sorted.reduce((n, i) => n + i.raw.length, 0);
  // Only now that the pack is in place: drop loose copies and the packs merged into it.
  for (const hash of looseTaken) if (await driver.loose.delete(hash)) report.looseRemoved++;
  for (const pack of merged) {
    if (pack.file === target) continue;
    if (await unlink(pack.file).then(() => true, () => false)) report.packsRemoved++;
  }
  driver.packs.scan();
  return report;
}

// Every object of a pack being merged, verified; a damaged one makes the merge fail loudly.
function collectPack(pack: SwishPack, items: Map<string, PackItem>): void {
  for (const entry of pack.entries.values()) {
    if (items.has(entry.hash)) continue;
    const raw = pack.readRaw(entry.hash);
    if (!raw) throw new CorruptObjectError(entry.hash, pack.file, 'listed in the header but not readable');
    pack.load(entry.hash); // verifies inflate, header entry and hash
    items.set(entry.hash, { hash: entry.hash, type: entry.type, size: entry.size, raw });
  }
}

/** Turn every SWISH pack back into loose gzip objects (bytes as packed), then remove the pack. */
export async function unpackSwish(driver: SwishFilesDriver, onProgress?: (p: { phase: string; done: number; total?: number }) => void): Promise<{ unpacked: number }> {
  driver.packs.scan();
  let unpacked = 0;
  for (const pack of driver.packs.all) {
    for (const entry of pack.entries.values()) {
      const raw = pack.readRaw(entry.hash)!;
      // storeRaw verifies the gzip member against its hash before writing it.
      if (await driver.loose.storeRaw(entry.hash, raw)) unpacked++;
      onProgress?.({ phase: 'unpack', done: unpacked });
    }
    await unlink(pack.file);
  }
  driver.packs.scan();
  await syncFolder(driver.packs.folder).catch(() => undefined);
  return { unpacked };
}
