import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashObject, type GitObject } from '@gitty/core';
import { PackType } from '../src/pack-format.js';
import { writePackIndex } from '../src/pack-index.js';
import { PackWriter } from '../src/pack-writer.js';
import { packedCommitSource } from '../src/restore-heads.js';

// A heads rebuild sees every live object once, loose copies first: a deleted packed object
// must not come back, and a loose object must not be listed twice.

const text = (s: string) => new TextEncoder().encode(s);
const blob = (s: string): GitObject => ({ type: 'blob', data: text(s) });
const hashOf = (s: string) => hashObject('blob', text(s));
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gitty-restore-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writePack(blobs: string[]): Promise<void> {
  const temp = path.join(dir, 'tmp-1.pack');
  const writer = await PackWriter.create(temp);
  for (const s of blobs) await writer.addWhole(hashOf(s), PackType.blob, text(s));
  const checksum = await writer.finish();
  await rename(temp, path.join(dir, `pack-${checksum}.pack`));
  await writeFile(path.join(dir, `pack-${checksum}.idx`), writePackIndex(writer.entries, checksum));
}

function looseSource(objects: Record<string, GitObject>) {
  const loads: string[] = [];
  return {
    loads,
    source: {
      async *objects() {
        yield* Object.keys(objects);
      },
      loadObject: async (hash: string) => {
        loads.push(hash);
        return objects[hash];
      },
    },
  };
}

async function all(iterable: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const h of iterable) out.push(h);
  return out;
}

describe('packedCommitSource', () => {
  it('lists loose objects, then packed ones neither loose nor deleted', async () => {
    await writePack(['a\n', 'b\n', 'c\n', 'e\n']);
    await writeFile(path.join(dir, 'deleted'), `-${hashOf('b\n')}\n-${hashOf('e\n')}\n+${hashOf('e\n')}\n`);
    const { source } = looseSource({ [hashOf('a\n')]: blob('loose a'), [hashOf('d\n')]: blob('d\n') });
    const combined = await packedCommitSource(dir, 1 << 20, source);
    const packed = [hashOf('c\n'), hashOf('e\n')].sort();
    expect(await all(combined.objects())).toEqual([hashOf('a\n'), hashOf('d\n'), ...packed]);
  });

  it('loads the loose copy first, the packed one unless deleted', async () => {
    await writePack(['a\n', 'b\n', 'c\n']);
    await writeFile(path.join(dir, 'deleted'), `-${hashOf('b\n')}\n-${hashOf('c\n')}\n`);
    const { source, loads } = looseSource({ [hashOf('a\n')]: blob('loose a'), [hashOf('c\n')]: blob('loose c') });
    const combined = await packedCommitSource(dir, 1 << 20, source);
    expect(await combined.loadObject(hashOf('a\n'))).toEqual(blob('loose a'));
    expect(await combined.loadObject(hashOf('c\n'))).toEqual(blob('loose c'));
    expect(await combined.loadObject(hashOf('b\n'))).toBeUndefined();
    expect(await combined.loadObject(hashOf('x\n'))).toBeUndefined();
    expect(loads).toEqual([hashOf('a\n'), hashOf('c\n'), hashOf('b\n'), hashOf('x\n')]);
  });

  it('reads a packed object the loose store lacks', async () => {
    await writePack(['a\n']);
    const { source } = looseSource({});
    const combined = await packedCommitSource(dir, 1 << 20, source);
    const object = await combined.loadObject(hashOf('a\n'));
    expect({ type: object?.type, data: Buffer.from(object!.data).toString() }).toEqual({ type: 'blob', data: 'a\n' });
    expect(await all(combined.objects())).toEqual([hashOf('a\n')]);
  });
});
