import { appendFileSync, readFileSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultDriverContext, encodeObject, Store, type GittyError } from '@gitty/core';
import { createDriver, gzipCompression, readSwishPackHeader, swishObjectPaths, type SwishFilesDriver } from '@gitty/driver-files';
import { extractFixture, fixtureManifest, parseExactJson, type DumpedFile } from '@gitty/driver-test/swish';

const manifest = parseExactJson(readFileSync(fixtureManifest, 'utf8')) as unknown as DumpedFile[];

async function open(dir: string): Promise<Store> {
  const context = defaultDriverContext();
  return new Store(await createDriver({ dir, durability: 'none' }, context), context);
}

async function failure(promise: Promise<unknown>): Promise<GittyError> {
  try {
    await promise;
  } catch (err) {
    return err as GittyError;
  }
  throw new Error('expected a failure');
}

/** Every file of the manifest except `broken` reads exactly as SWISH wrote it. */
async function othersReadFine(store: Store, broken: ReadonlySet<string>): Promise<number> {
  let checked = 0;
  for (const file of manifest) {
    if (broken.has(file.name)) continue;
    const { history } = await store.history(file.name, { depth: 100_000 });
    expect(history.map((c) => c.commit)).toEqual(file.history.map((v) => v.commit));
    expect((await store.get(file.name)).text).toBe(file.history[0]!.text);
    checked++;
  }
  return checked;
}

function packs(dir: string): string[] {
  return readdirSync(path.join(dir, 'pack')).filter((n) => n.endsWith('.pack')).map((n) => path.join(dir, 'pack', n));
}

/** A file whose head lives loose (written after SWISH's last repack). */
const looseFile = manifest.find((f) => f.name.startsWith('prog26.'))!;

describe('bad input in a SWISH store: typed errors naming the file, the rest usable', () => {
  let fixture: { dir: string; remove: () => Promise<void> };
  let store: Store | undefined;
  beforeEach(async () => {
    fixture = await extractFixture();
  });
  afterEach(async () => {
    await store?.close();
    store = undefined;
    await fixture.remove();
  });

  const looseHead = () => path.join(fixture.dir, ...swishObjectPaths.segments(looseFile.history[0]!.commit as string));

  it('a truncated gzip loose object: CORRUPT_OBJECT naming its file; fsck lists it; other files read and new writes work', async () => {
    const file = looseHead();
    truncateSync(file, 20);
    store = await open(fixture.dir);
    const err = await failure(store.get(looseFile.name));
    expect(err.code).toBe('CORRUPT_OBJECT');
    expect(err.message).toContain(file);
    expect(await othersReadFine(store, new Set([looseFile.name]))).toBe(manifest.length - 1);
    const report = await store.fsck();
    expect(report.errors.map((e) => e.hash)).toContain(looseFile.history[0]!.commit);
    await store.create('still-writable.pl', 'ok.\n');
  });

  it('a corrupt gzip loose object (bytes flipped): CORRUPT_OBJECT naming its file', async () => {
    const file = looseHead();
    const bytes = readFileSync(file);
    for (let i = 12; i < bytes.length - 8; i += 7) bytes[i] = bytes[i]! ^ 0x5a;
    writeFileSync(file, bytes);
    store = await open(fixture.dir);
    const err = await failure(store.commit(looseFile.name));
    expect(err.code).toBe('CORRUPT_OBJECT');
    expect(err.message).toContain(file);
    expect(await othersReadFine(store, new Set([looseFile.name]))).toBe(manifest.length - 1);
  });

  it('a truncated SWISH pack: objects past the cut fail naming the pack, fsck reports the pack, loose files still read', async () => {
    const [pack] = packs(fixture.dir).sort();
    const { entries, fileBytes } = readSwishPackHeader(pack!);
    truncateSync(pack!, fileBytes - 200);
    const cut = new Set(entries.filter((e) => e.offset + e.fileSize > fileBytes - 200).map((e) => e.hash));
    store = await open(fixture.dir);
    expect(cut.size).toBeGreaterThan(0);
    const err = await failure(store.load([...cut][0]!));
    expect(err.code).toBe('CORRUPT_OBJECT');
    expect(err.message).toContain(pack);
    const issues = await store.driver.fsck!();
    expect(issues.some((i) => i.code === 'CORRUPT_PACK' && i.message.includes(pack!))).toBe(true);
    expect((await store.get(looseFile.name)).text).toBe(looseFile.history[0]!.text);
  });

  it('a SWISH pack whose header is garbage is left out and named by fsck; the other pack and loose objects read', async () => {
    const [pack] = packs(fixture.dir).sort();
    const bytes = readFileSync(pack!);
    bytes.write('gitty(1).\nobj(nonsense', 0, 'latin1');
    writeFileSync(pack!, bytes);
    store = await open(fixture.dir);
    const issues = await store.driver.fsck!();
    expect(issues).toContainEqual(expect.objectContaining({ code: 'CORRUPT_PACK', message: expect.stringContaining(pack!) }));
    expect((await store.get(looseFile.name)).text).toBe(looseFile.history[0]!.text);
  });

  it('a corrupt gzip member inside a SWISH pack: CORRUPT_OBJECT naming the pack for that object only', async () => {
    const [pack] = packs(fixture.dir).sort();
    const { entries } = readSwishPackHeader(pack!);
    const victim = entries.find((e) => e.type === 'blob')!;
    const bytes = readFileSync(pack!);
    for (let i = victim.offset + 12; i < victim.offset + victim.fileSize - 8; i++) bytes[i] = bytes[i]! ^ 0xff;
    writeFileSync(pack!, bytes);
    store = await open(fixture.dir);
    const err = await failure(store.load(victim.hash));
    expect(err.code).toBe('CORRUPT_OBJECT');
    expect(err.message).toContain(pack);
    const other = entries.find((e) => e !== victim && e.type === 'blob')!;
    expect((await store.load(other.hash)).type).toBe('blob');
  });

  it('a malformed ref/head line is skipped: the other heads hold, fsck names the file and line', async () => {
    const log = path.join(fixture.dir, 'ref', 'head');
    const lines = readFileSync(log, 'utf8').split('\n');
    lines.splice(5, 0, "head('broken.pl',-,");
    writeFileSync(log, lines.join('\n'));
    store = await open(fixture.dir);
    expect(await othersReadFine(store, new Set())).toBe(manifest.length);
    const issues = await store.driver.fsck!();
    expect(issues).toContainEqual(expect.objectContaining({ code: 'HEAD_LOG_LINE', message: expect.stringContaining(`${log}: line 6`) }));
    expect((await store.driverStats()).headLogSkippedLines).toBe(1);
    // A line SWISH appends later is still picked up.
    const head = await store.head('prog1.swinb');
    await store.update('prog1.swinb', 'after the bad line\n', { previous: head! });
    await store.rescan();
    expect((await store.get('prog1.swinb')).text).toBe('after the bad line\n');
  });

  it('a commit whose dict does not parse: CORRUPT_OBJECT naming its object file; other files read', async () => {
    const body = new TextEncoder().encode("gitty{name:'bad.pl',data:'4aea38bf4fb9a2c05be3c612c52d6a63a6e0f225',time:1.0,tags:[a,\n");
    const { hash, raw } = encodeObject('commit', body, gzipCompression);
    const file = path.join(fixture.dir, ...swishObjectPaths.segments(hash));
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, raw);
    appendFileSync(path.join(fixture.dir, 'ref', 'head'), `head('bad.pl',-,'${hash}').\n`);
    store = await open(fixture.dir);
    const err = await failure(store.commit('bad.pl'));
    expect(err.code).toBe('CORRUPT_OBJECT');
    expect(err.message).toContain(file);
    expect(await othersReadFine(store, new Set())).toBe(manifest.length);
    expect((await store.fsck()).errors.map((e) => e.hash)).toContain(hash);
    expect((store.driver as SwishFilesDriver).commitFormat).toBe('swish');
  });
});
