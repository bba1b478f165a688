import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { defaultDriverContext, openStore, type Driver, type Store } from '@gitty/core';
import { tempDir } from '@gitty/driver-test/harness';
import { readFile } from 'node:fs/promises';
import { createDriver } from '../src/index.js';
import { parseEntryHeader, PackType } from '../src/pack-format.js';
import { PackIndex } from '../src/pack-index.js';
import type { PacksDriver } from '../src/packs-driver.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** One edit of a version: replace, insert or delete a line, or start over with other text. */
const edit = fc.oneof(
  fc.record({ kind: fc.constantFrom('replace' as const, 'insert' as const, 'delete' as const), at: fc.nat(), text: fc.string({ maxLength: 60 }) }),
  fc.record({ kind: fc.constant('rewrite' as const), at: fc.constant(0), text: fc.string({ maxLength: 400 }) }),
);

/** Random histories: up to 4 files of up to 24 versions, each version an edit of the previous. */
const histories = fc.array(fc.record({ start: fc.integer({ min: 1, max: 40 }), edits: fc.array(edit, { maxLength: 23 }) }), { minLength: 1, maxLength: 4 });

function apply(lines: string[], e: { kind: string; at: number; text: string }): string[] {
  const next = [...lines];
  const at = next.length === 0 ? 0 : e.at % next.length;
  if (e.kind === 'replace' && next.length > 0) next[at] = e.text;
  else if (e.kind === 'insert') next.splice(at, 0, e.text);
  else if (e.kind === 'delete') next.splice(at, 1);
  else if (e.kind === 'rewrite') return e.text.split('\n');
  return next;
}

async function open(dir: string): Promise<{ driver: Driver; store: Store }> {
  const driver = await createDriver({ dir, durability: 'none' }, defaultDriverContext());
  return { driver, store: await openStore(driver) };
}

describe('packed reads equal loose reads', () => {
  it('every version of every file, and its raw blob and commit, read the same from packs (any depth, window, one or two packs) as loose (property)', async () => {
    await fc.assert(fc.asyncProperty(
      histories, fc.integer({ min: 0, max: 50 }), fc.integer({ min: 1, max: 4 }), fc.boolean(), fc.nat(),
      async (files, depth, window, twoPacks, seed) => {
        const { dir, remove } = await tempDir('gitty-packs-prop-');
        cleanups.push(remove);
        const writer = await open(dir);
        // Loose truth: each version as read before any repack.
        const loose = new Map<string, { text: string; blob: Buffer; commit: Buffer }>();
        const record = async (commit: string) => {
          const version = await writer.store.get(commit);
          loose.set(commit, { text: version.text, blob: Buffer.from((await writer.driver.loadObject(version.commit.data))!.data), commit: Buffer.from((await writer.driver.loadObject(commit))!.data) });
        };
        const half = Math.floor(files.reduce((n, f) => n + f.edits.length, 0) / 2);
        let written = 0;
        for (const [f, file] of files.entries()) {
          let lines = Array.from({ length: file.start }, (_, i) => `file ${f} line ${i}: ${'lorem ipsum '.repeat(1 + (i % 4))}`);
          let previous = (await writer.store.create(`f${f}.txt`, lines.join('\n'))).commit;
          await record(previous);
          for (const e of file.edits) {
            lines = apply(lines, e);
            previous = (await writer.store.update(`f${f}.txt`, lines.join('\n'), { previous })).commit;
            await record(previous);
            // Two packs: the older half is packed first, so the second repack merges a pack with loose objects.
            if (twoPacks && ++written === half) await writer.store.repack({ minFiles: 1, depth, window });
          }
        }
        await writer.store.repack({ minFiles: 1, depth, window });
        const stats = await (writer.driver as PacksDriver).stats();
        expect(stats.looseObjects).toBe(0);
        // Cold (a fresh process's view) and warm (the writer's cache), in a shuffled order.
        const reader = await open(dir);
        const order = [...loose.keys()].sort((a, b) => ((a.charCodeAt(seed % 40) ^ seed) & 7) - ((b.charCodeAt(seed % 40) ^ seed) & 7) || a.localeCompare(b));
        for (const { store, driver } of [reader, writer, reader]) {
          for (const commit of order) {
            const truth = loose.get(commit)!;
            const version = await store.get(commit);
            expect(version.text).toBe(truth.text);
            expect(Buffer.from((await driver.loadObject(version.commit.data))!.data).equals(truth.blob)).toBe(true);
            expect(Buffer.from((await driver.loadObject(commit))!.data).equals(truth.commit)).toBe(true);
          }
        }
        await reader.store.close();
        await writer.store.close();
      },
    ), { numRuns: 20 });
  }, 120_000);

  it('objects and deltas over 64 KiB (inflated by zlib, not the small-entry decoder) read the same from packs', async () => {
    const { dir, remove } = await tempDir('gitty-packs-large-');
    cleanups.push(remove);
    const writer = await open(dir);
    // Random halves: each older version keeps one 80 KB half of the next and replaces the other,
    // so its delta (an 80 KB insert) is over 64 KiB yet smaller than the whole object.
    const half = (seed: number) => Buffer.from(Array.from({ length: 80_000 }, (_, i) => (Math.imul(seed + 1, 2654435761) ^ Math.imul(i, 40503)) >>> 7 & 255));
    const versions = [Buffer.concat([half(1), half(2)]), Buffer.concat([half(1), half(3)]), Buffer.concat([half(4), half(3)])];
    let previous = (await writer.store.create('big.bin', versions[0]!)).commit;
    const commits = [previous];
    for (const data of versions.slice(1)) commits.push(previous = (await writer.store.update('big.bin', data, { previous })).commit);
    const report = await writer.store.repack({ minFiles: 1 });
    // The two older blobs are stored as deltas of over 64 KiB.
    const pack = await readFile(report.pack!);
    const index = new PackIndex(await readFile(report.pack!.replace(/\.pack$/, '.idx')), report.pack!);
    const bigDeltas = Array.from({ length: index.count }, (_, i) => parseEntryHeader(pack.subarray(index.offsetAt(i)), index.offsetAt(i), report.pack!))
      .filter((h) => h.type === PackType.ofsDelta && h.size > 64 * 1024);
    expect(bigDeltas.length).toBe(2);
    const reader = await open(dir);
    for (const [i, commit] of commits.entries()) expect(Buffer.from((await reader.store.get(commit)).data).equals(versions[i]!)).toBe(true);
    await reader.store.close();
    await writer.store.close();
  });
});
