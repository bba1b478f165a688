import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultDriverContext, Store, type Commit } from '@gitty/core';
import { SwishFilesDriver, createDriver } from '@gitty/driver-files';
import { extractFixture, fixtureManifest, parseExactJson, type DumpedFile } from '@gitty/driver-test/swish';

const manifest = parseExactJson(readFileSync(fixtureManifest, 'utf8')) as unknown as DumpedFile[];

// What SWISH's dump adds that is not commit metadata: `text` (the content) and `symbolic` (on the head).
function metadataOf(version: DumpedFile['history'][number]): Record<string, unknown> {
  const { text: _text, symbolic: _symbolic, ...meta } = version;
  return meta;
}

describe('a SWISH store made by real SWISH (fixture)', () => {
  let fixture: { dir: string; remove: () => Promise<void> };
  let store: Store;

  beforeAll(async () => {
    fixture = await extractFixture();
    // No format given: the folder is detected as SWISH's.
    store = new Store(await createDriver({ dir: fixture.dir, durability: 'none' }, defaultDriverContext()), defaultDriverContext());
  });
  afterAll(async () => {
    await store?.close();
    await fixture?.remove();
  });

  it('is detected as a SWISH store and lists exactly the manifest\'s files', async () => {
    expect(store.driver).toBeInstanceOf(SwishFilesDriver);
    expect(store.driver.commitFormat).toBe('swish');
    const names: string[] = [];
    for await (const entry of store.files()) names.push(entry.name);
    expect(names.sort()).toEqual(manifest.map((f) => f.name).sort());
  });

  it('gives every file\'s full history exactly as SWISH does: hashes, order, every metadata field, each text', async () => {
    let versions = 0;
    for (const file of manifest) {
      const { history } = await store.history(file.name, { depth: 100_000 });
      expect(history.map((c) => c.commit), file.name).toEqual(file.history.map((v) => v.commit));
      for (const [i, expected] of file.history.entries()) {
        const actual: Commit = history[i]!;
        expect(actual, `${file.name} #${i}`).toStrictEqual(expect.objectContaining(metadataOf(expected)));
        expect(Object.keys(actual).sort(), `${file.name} #${i}`).toEqual(Object.keys(metadataOf(expected)).sort());
        expect((await store.get(actual.commit)).text).toBe(expected.text);
        versions++;
      }
    }
    expect(versions).toBe(117);
  });

  it('keeps integers beyond 2^53 exact and never lets a stored "commit" key override the real hash', async () => {
    const head = await store.commit(manifest[0]!.name);
    expect(head.big).toBe(12345678901234567890n);
    // Some of SWISH's commits carry a stale `commit` key over from the previous version.
    const carried = manifest.flatMap((f) => f.history).find((v) => v.previous !== undefined && v.author === "Annie O'Neil")!;
    const commit = await store.commit(carried.commit as string);
    expect(commit.commit).toBe(carried.commit);
  });

  it('is fsck-clean: packs verify as SWISH\'s fsck_pack checks them, every object hashes to its name', async () => {
    const report = await store.fsck();
    expect(report.errors).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.counts.commits).toBe(117);
    const stats = await store.driverStats();
    expect(stats.packs).toBe(2);
  });
});
