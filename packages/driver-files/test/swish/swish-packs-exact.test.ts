import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { encodeObject } from '@gitty/core';
import { tempDir } from '@gitty/driver-test/harness';
import { SwishPack, SwishPackSet, gzipCompression, readSwishPackHeader } from '@gitty/driver-files';

interface Built { hash: string; type: string; data: Uint8Array; raw: Uint8Array }

function object(type: string, text: string): Built {
  const data = new TextEncoder().encode(text);
  const { hash, raw } = encodeObject(type, data, gzipCompression);
  return { hash, type, data, raw };
}

/** A SWISH pack's bytes: header (`gitty(1).`, obj/4 per object, `end_of_header.`), then the gzip members. */
function packBytes(objects: Built[], header = (o: Built) => `obj('${o.hash}',${o.type},${o.data.length},${o.raw.length}).\n`, first = 'gitty(1).\n'): Buffer {
  const text = `${first}${objects.map(header).join('')}end_of_header.\n`;
  return Buffer.concat([Buffer.from(text, 'latin1'), ...objects.map((o) => Buffer.from(o.raw))]);
}

/** Write a pack named by its sha1, as SWISH does; returns its path. */
function writePack(folder: string, bytes: Buffer, name?: string): string {
  mkdirSync(folder, { recursive: true });
  const file = path.join(folder, name ?? `pack-${createHash('sha1').update(bytes).digest('hex')}.pack`);
  writeFileSync(file, bytes);
  return file;
}

async function withFolder(use: (folder: string) => Promise<void> | void): Promise<void> {
  const { dir, remove } = await tempDir('gitty-swish-packs-');
  try {
    await use(path.join(dir, 'pack'));
  } finally {
    await remove();
  }
}

const one = object('blob', 'hello\n');
const two = object('commit', 'tree-less commit text');
const three = object('blob', '');

describe('readSwishPackHeader', () => {
  it('lists every object with its offset in header order', async () => {
    await withFolder((folder) => {
      const bytes = packBytes([one, two, three]);
      const file = writePack(folder, bytes);
      const header = `gitty(1).\nobj('${one.hash}',blob,6,${one.raw.length}).\nobj('${two.hash}',commit,${two.data.length},${two.raw.length}).\nobj('${three.hash}',blob,0,${three.raw.length}).\nend_of_header.\n`;
      const start = Buffer.byteLength(header);
      expect(readSwishPackHeader(file)).toEqual({
        version: 1, dataOffset: start, fileBytes: bytes.length,
        entries: [
          { hash: one.hash, type: 'blob', size: 6, offset: start, fileSize: one.raw.length },
          { hash: two.hash, type: 'commit', size: two.data.length, offset: start + one.raw.length, fileSize: two.raw.length },
          { hash: three.hash, type: 'blob', size: 0, offset: start + one.raw.length + two.raw.length, fileSize: three.raw.length },
        ],
      });
    });
  });

  it('reads a header longer than the first 64 KiB read', async () => {
    await withFolder((folder) => {
      const many = Array.from({ length: 1200 }, (_, i) => object('blob', `object ${i}\n`));
      const bytes = packBytes(many);
      const file = writePack(folder, bytes);
      const read = readSwishPackHeader(file);
      expect(read.dataOffset).toBeGreaterThan(64 * 1024);
      expect(read.entries).toHaveLength(1200);
      expect(read.entries.at(-1)).toMatchObject({ hash: many.at(-1)!.hash, offset: bytes.length - many.at(-1)!.raw.length });
      expect(new SwishPack(file, read.entries, 1 << 20).load(many[1199]!.hash)).toEqual({ type: 'blob', data: many[1199]!.data });
    });
  });

  it('refuses damaged headers with CORRUPT_OBJECT naming the pack and why', async () => {
    await withFolder((folder) => {
      const cases: [string, Buffer | string, string][] = [
        ['no end', 'gitty(1).\n', 'SWISH pack header has no end_of_header'],
        ['version 2', packBytes([one], undefined, 'gitty(2).\n'), 'SWISH pack version 2 is not 1'],
        ['no version', packBytes([], undefined, ''), 'SWISH pack version undefined is not 1'],
        ['obj before gitty', packBytes([one], undefined, ''), 'unexpected term in the SWISH pack header at offset '],
        ['other term', packBytes([one], undefined, 'gitty(1).\nfoo(1).\n'), 'unexpected term in the SWISH pack header at offset '],
        ['second gitty', packBytes([one], undefined, 'gitty(1).\ngitty(1).\n'), 'unexpected term in the SWISH pack header at offset '],
        ['obj-3', packBytes([one], (o) => `obj('${o.hash}',blob,6).\n`), 'unexpected term in the SWISH pack header at offset '],
        ['bad hash', packBytes([one], (o) => `obj('${o.hash.slice(1)}',blob,6,${o.raw.length}).\n`), 'malformed obj/4 entry in the SWISH pack header at offset '],
        ['string type', packBytes([one], (o) => `obj('${o.hash}',"blob",6,${o.raw.length}).\n`), 'malformed obj/4 entry in the SWISH pack header at offset '],
        ['negative size', packBytes([one], (o) => `obj('${o.hash}',blob,-6,${o.raw.length}).\n`), 'malformed obj/4 entry in the SWISH pack header at offset '],
        ['float file size', packBytes([one], (o) => `obj('${o.hash}',blob,6,1.5).\n`), 'malformed obj/4 entry in the SWISH pack header at offset '],
        ['syntax', 'gitty(1).\nobj(,.\nend_of_header.\n', 'SWISH pack header does not parse ('],
      ];
      for (const [label, bytes, reason] of cases) {
        const file = writePack(folder, Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes), `${label.replace(/ /g, '-')}.pack`);
        let error: { code?: string; message?: string } | undefined;
        try {
          readSwishPackHeader(file);
        } catch (err) {
          error = err as typeof error;
        }
        expect(error?.code, label).toBe('CORRUPT_OBJECT');
        expect(error?.message?.startsWith(`Corrupt object in ${file}: ${reason}`), `${label}: ${error?.message}`).toBe(true);
      }
    });
  });
});

describe('SwishPack', () => {
  it('loads objects, refuses header mismatches and cut-off objects, and fsck checks name and objects', async () => {
    await withFolder((folder) => {
      const good = writePack(folder, packBytes([one, two]));
      const pack = SwishPack.attach(good, 1 << 20);
      expect(pack.file).toBe(good);
      expect(pack.load(one.hash)).toEqual({ type: 'blob', data: one.data });
      expect(pack.load(two.hash)).toEqual({ type: 'commit', data: two.data });
      expect(Buffer.from(pack.readRaw(one.hash)!)).toEqual(Buffer.from(one.raw));
      expect(pack.load(three.hash)).toBeUndefined();
      expect(pack.readRaw(three.hash)).toBeUndefined();
      expect(pack.fsck()).toEqual([]);
      // Too small a limit fails the inflate.
      expect(() => SwishPack.attach(good, 3).load(one.hash)).toThrow(expect.objectContaining({ code: expect.any(String) }));
      // A header that lists another size or type.
      const lying = writePack(folder, packBytes([one], (o) => `obj('${o.hash}',tree,6,${o.raw.length}).\n`), 'lying.pack');
      expect(() => SwishPack.attach(lying, 1 << 20).load(one.hash)).toThrow(`Corrupt object ${one.hash} in ${lying}: header lists tree 6, the object is blob 6`);
      const sized = writePack(folder, packBytes([one], (o) => `obj('${o.hash}',blob,7,${o.raw.length}).\n`), 'sized.pack');
      expect(() => SwishPack.attach(sized, 1 << 20).load(one.hash)).toThrow(`Corrupt object ${one.hash} in ${sized}: header lists blob 7, the object is blob 6`);
      const lyingPack = SwishPack.attach(lying, 1 << 20);
      const issues = lyingPack.fsck();
      expect(issues[0]).toMatchObject({ code: 'CORRUPT_PACK', message: expect.stringMatching(new RegExp(`^${lying}: the file's sha1 is [0-9a-f]{40}, its name says \\(no hash\\)$`)) });
      expect(issues[1]).toEqual({ code: 'CORRUPT_OBJECT', hash: one.hash, message: `Corrupt object ${one.hash} in ${lying}: header lists tree 6, the object is blob 6` });
      expect(issues).toHaveLength(2);
      // A pack cut inside its last object.
      const bytes = packBytes([one, two]);
      const cut = writePack(folder, bytes.subarray(0, bytes.length - 1), 'cut.pack');
      const cutPack = SwishPack.attach(cut, 1 << 20);
      expect(cutPack.load(one.hash)).toEqual({ type: 'blob', data: one.data });
      expect(() => cutPack.load(two.hash)).toThrow(`Corrupt object ${two.hash} in ${cut}: the SWISH pack ends inside this object`);
      // A pack renamed to another sha1.
      const wrongName = path.join(folder, `pack-${'0'.repeat(40)}.pack`);
      writeFileSync(wrongName, bytes);
      const actual = createHash('sha1').update(bytes).digest('hex');
      expect(SwishPack.attach(wrongName, 1 << 20).fsck()).toEqual([{ code: 'CORRUPT_PACK', message: `${wrongName}: the file's sha1 is ${actual}, its name says ${'0'.repeat(40)}` }]);
    });
  });
});

describe('SwishPackSet', () => {
  it('attaches packs, keeps known ones, drops vanished ones, and reports packs that do not attach', async () => {
    await withFolder((folder) => {
      const set = new SwishPackSet(folder, 1 << 20);
      set.scan();
      expect(set.all).toEqual([]);
      expect(set.hashes()).toEqual(new Set());
      expect(set.problems()).toEqual([]);
      const first = writePack(folder, packBytes([one, two]));
      const second = writePack(folder, packBytes([two, three]));
      writeFileSync(path.join(folder, 'notes.idx'), 'not a pack');
      const broken = writePack(folder, Buffer.from('garbage'), 'broken.pack');
      set.scan();
      expect(set.all.map((p) => p.file).sort()).toEqual([first, second].sort());
      expect(set.hashes()).toEqual(new Set([one.hash, two.hash, three.hash]));
      expect(set.find(one.hash)?.file).toBe(first);
      expect(set.find(three.hash)?.file).toBe(second);
      expect(set.find(object('blob', 'absent').hash)).toBeUndefined();
      expect(set.problems()).toEqual([{ code: 'CORRUPT_PACK', message: `${broken}: Corrupt object in ${broken}: SWISH pack header has no end_of_header` }]);
      const kept = set.find(one.hash);
      rmSync(second);
      rmSync(broken);
      set.scan();
      expect(set.find(one.hash)).toBe(kept);
      expect(set.find(three.hash)).toBeUndefined();
      expect(set.problems()).toEqual([]);
      renameSync(folder, `${folder}-gone`);
      set.scan();
      expect(set.all).toEqual([]);
      expect(set.folder).toBe(folder);
    });
  });
});
