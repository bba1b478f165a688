import { execFile } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultDriverContext, Store, writeAtom } from '@gitty/core';
import { readSwishPackHeader } from '@gitty/driver-files';
import { SwishPacksDriver, createDriver } from '@gitty/driver-packs';
import {
  extractFixture, fixtureManifest, locateSwish, parseExactJson, swish, swishDump, warnSwishMissing, type DumpedFile,
} from '@gitty/driver-test/swish';

const manifest = parseExactJson(readFileSync(fixtureManifest, 'utf8')) as unknown as DumpedFile[];
const located = locateSwish();
if (located.reason) warnSwishMissing(located.reason, 'swish-packs.test.ts (repacks by SWISH)');

async function openPacks(dir: string): Promise<Store> {
  const context = defaultDriverContext();
  return new Store(await createDriver({ dir, durability: 'none' }, context), context);
}

function packsIn(dir: string): string[] {
  return readdirSync(path.join(dir, 'pack')).filter((n) => n.endsWith('.pack'));
}

/** Every file's history as gitty reads it, in the shape of SWISH's dump (text, symbolic on the head). */
async function gittyDump(store: Store): Promise<DumpedFile[]> {
  const files: DumpedFile[] = [];
  for await (const { name } of store.files()) {
    const { history } = await store.history(name, { depth: 100_000 });
    const versions = [];
    for (const [i, commit] of history.entries()) {
      versions.push({ ...commit, ...(i === 0 ? { symbolic: 'HEAD' } : {}), text: (await store.get(commit.commit)).text });
    }
    files.push({ name, history: versions });
  }
  return files.sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** SWISH's own repack (`repack_objects/2`), every loose object and every pack merged. */
async function swishRepack(bin: string, dir: string): Promise<void> {
  const lib = path.join(path.dirname(bin), 'lib', 'gitty');
  const goal = `use_module(${writeAtom(lib)}), gitty_open(${writeAtom(dir)}, []), gitty_driver_files:repack_objects(${writeAtom(dir)}, [min_files(1), small_pack(1000000000)])`;
  await promisify(execFile)('swipl', ['-g', goal, '-t', 'halt'], { timeout: 120_000 });
}

describe('SWISH packs written by gitty', () => {
  let fixture: { dir: string; remove: () => Promise<void> };
  let store: Store;
  beforeEach(async () => {
    fixture = await extractFixture();
    store = await openPacks(fixture.dir);
  });
  afterEach(async () => {
    await store.close();
    await fixture.remove();
  });

  it('repack merges loose objects and SWISH\'s small packs into one SWISH pack; unpack undoes it; history equals the manifest throughout', async () => {
    expect(store.driver).toBeInstanceOf(SwishPacksDriver);
    expect(packsIn(fixture.dir)).toHaveLength(2);
    const report = await store.repack({ minFiles: 1 });
    expect(report).toMatchObject({ packsRemoved: 2 });
    expect(report.looseRemoved).toBeGreaterThan(0);
    expect(packsIn(fixture.dir)).toEqual([path.basename(report.pack!)]);
    const header = readSwishPackHeader(report.pack!);
    expect(header.entries.map((e) => e.hash)).toEqual([...header.entries.map((e) => e.hash)].sort());
    expect(header.entries).toHaveLength(report.packed);
    expect(await gittyDump(store)).toStrictEqual(manifest);
    expect((await store.fsck()).errors).toEqual([]);
    const { unpacked } = await store.unpack();
    expect(unpacked).toBe(report.packed);
    expect(packsIn(fixture.dir)).toEqual([]);
    expect(await gittyDump(store)).toStrictEqual(manifest);
  });

  describe('with real SWISH', () => {
    const bin = located.bin!;

    it('after gitty\'s repack SWISH reads every version and its fsck is clean; SWISH then updates and gitty sees it', async () => {
      await store.repack({ minFiles: 1 });
      expect(await swishDump(bin, fixture.dir)).toStrictEqual(manifest);
      await swish(bin, ['fsck', fixture.dir]);
      const printed = (await swish(bin, ['update', fixture.dir, 'prog2.lnk', 'after gitty repack\n'])).trim();
      await store.rescan();
      expect(await store.head('prog2.lnk')).toBe(printed);
      expect((await store.get('prog2.lnk')).text).toBe('after gitty repack\n');
    });

    it('after SWISH\'s repack gitty reads every version; gitty then updates and SWISH\'s dump shows it', async () => {
      const made = await store.update('prog3.md', 'before swish repack\n', { previous: (await store.head('prog3.md'))!, author: 'gitty' });
      await swishRepack(bin, fixture.dir);
      expect(packsIn(fixture.dir)).toHaveLength(1);
      await store.rescan();
      const swishView = await swishDump(bin, fixture.dir);
      expect(await gittyDump(store)).toStrictEqual(swishView);
      expect(swishView.find((f) => f.name === 'prog3.md')!.history[0]!.commit).toBe(made.commit);
      const next = await store.update('prog3.md', 'after swish repack\n', { previous: made.commit, author: 'gitty' });
      const after = await swishDump(bin, fixture.dir);
      const { text, symbolic: _s, ...meta } = after.find((f) => f.name === 'prog3.md')!.history[0]!;
      expect(meta).toStrictEqual({ ...next });
      expect(text).toBe('after swish repack\n');
      // And gitty's repack on top of SWISH's pack still leaves a store SWISH checks clean.
      await store.repack({ minFiles: 1 });
      await swish(bin, ['fsck', fixture.dir]);
    });
  });
});
