import { readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
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
    // SWISH carries a stale `commit` key over into later versions; the real hash wins.
    let carried = 0;
    for (const version of manifest.flatMap((f) => f.history)) {
      const hash = version.commit as string;
      const body = new TextDecoder().decode((await store.load(hash)).data);
      const stored = /[{,]commit:'?([0-9a-f]{40})/.exec(body)?.[1];
      if (stored === undefined) continue;
      expect(stored).not.toBe(hash);
      expect((await store.commit(hash)).commit).toBe(hash);
      carried++;
    }
    expect(carried).toBeGreaterThan(10);
  });

  it('is fsck-clean: packs verify as SWISH\'s fsck_pack checks them, every object hashes to its name', async () => {
    const report = await store.fsck();
    expect(report.errors).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.counts.commits).toBe(117);
    const stats = await store.driverStats();
    expect(stats.packs).toBe(2);
  });

  it.each(['missing', 'empty'])('rebuilds heads from loose and packed commits when ref/head is %s, as SWISH does', async (state) => {
    const copy = await extractFixture();
    try {
      if (state === 'missing') await rm(path.join(copy.dir, 'ref', 'head'));
      else await writeFile(path.join(copy.dir, 'ref', 'head'), '');
      const rebuilt = await createDriver({ dir: copy.dir, durability: 'none' }, defaultDriverContext());
      try {
        const heads = new Map<string, string>();
        for await (const { name, head } of rebuilt.heads()) heads.set(name, head);
        expect(heads).toEqual(new Map(manifest.map((f) => [f.name, f.history[0]!.commit as string])));
      } finally {
        await rebuilt.close();
      }
      expect(readFileSync(path.join(copy.dir, 'ref', 'head'), 'utf8')).toMatch(/^epoch\(\d+\)\.\n\nhead\(/);
    } finally {
      await copy.remove();
    }
  });
});
