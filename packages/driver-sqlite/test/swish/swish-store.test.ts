import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultDriverContext, Store } from '@gitty/core';
import { createDriver as createFilesDriver } from '@gitty/driver-files';
import { createDriver } from '@gitty/driver-sqlite';
import {
  extractFixture, fixtureManifest, locateSwish, parseExactJson, swishDump, warnSwishMissing, type DumpedFile,
} from '@gitty/driver-test/swish';

const manifest = parseExactJson(readFileSync(fixtureManifest, 'utf8')) as unknown as DumpedFile[];
const located = locateSwish();
if (located.reason) warnSwishMissing(located.reason, 'driver-sqlite swish-store.test.ts (SWISH reading what sqlite wrote)');

describe('sqlite over a SWISH store', () => {
  let fixture: { dir: string; remove: () => Promise<void> };
  let store: Store;
  beforeAll(async () => {
    fixture = await extractFixture();
    const context = defaultDriverContext();
    store = new Store(await createDriver({ dir: fixture.dir, durability: 'none', throttleMs: 0 }, context), context);
  });
  afterAll(async () => {
    await store?.close();
    await fixture?.remove();
  });

  it('answers listings, history and search from its index exactly as SWISH\'s manifest says (big integers exact)', async () => {
    expect(store.driver.capabilities.query).toBe(true);
    expect(store.driver.commitFormat).toBe('swish');
    const listed = [];
    for await (const entry of store.files()) listed.push([entry.name, entry.head]);
    expect(listed).toEqual(manifest.map((f) => [f.name, f.history[0]!.commit]).sort((a, b) => (a[0]! < b[0]! ? -1 : 1)));
    for (const file of manifest) {
      const { history } = await store.history(file.name, { depth: 100 });
      expect(history.map((c) => c.commit)).toEqual(file.history.map((v) => v.commit));
      const { text: _t, symbolic: _s, ...meta } = file.history[0]!;
      expect(history[0]).toStrictEqual(meta);
    }
    const hits = await store.search('program 12, edit');
    expect(hits.map((h) => h.name)).toEqual(['prog12.pl']);
  });

  it('writes SWISH commits that the SWISH-format files driver and SWISH itself read back', async () => {
    const made = await store.create('from-sqlite.pl', 'indexed(1).\n', { author: 'sqlite', tags: ['x'], big: -(2n ** 64n) });
    const context = defaultDriverContext();
    const files = new Store(await createFilesDriver({ dir: fixture.dir, durability: 'none' }, context), context);
    try {
      expect(await files.commit('from-sqlite.pl')).toStrictEqual(made);
      const updated = await files.update('from-sqlite.pl', 'indexed(2).\n', { previous: made.commit });
      await store.rescan();
      expect((await store.get('from-sqlite.pl')).text).toBe('indexed(2).\n');
      expect((await store.history('from-sqlite.pl')).history.map((c) => c.commit)).toEqual([updated.commit, made.commit]);
    } finally {
      await files.close();
    }
    if (located.bin) {
      const dumped = (await swishDump(located.bin, fixture.dir)).find((f) => f.name === 'from-sqlite.pl')!;
      const { text: _t, symbolic: _s, ...meta } = dumped.history.at(-1)!;
      expect(meta).toStrictEqual({ ...made });
    }
  });
});
