// Exact tests of loose-batch.ts: what LooseObjectBatch flushes at commit (each written file, then
// each folder, then the objects folder; or one `sync -f` from 64 files on), with how many at once,
// its failures, and sizedCompression's window sizes. The batch binds node:fs and
// child_process functions when it loads (promisify), so they are recorded by mocks here.
import { afterEach, describe, expect, it, vi } from 'vitest';
import path from 'node:path';
import zlib from 'node:zlib';
import { encodeObject, hashObject, isGittyError, nodeCompression, pakoCompression } from '@gitty/core';
import { tempDir } from '@gitty/driver-test/harness';
import { LooseObjectBatch, sizedCompression } from '../src/loose-batch.js';
import { batchIn } from './support/loose-batch.js';

const rec = vi.hoisted(() => ({
  events: [] as string[],
  inFlight: 0,
  maxInFlight: 0,
  failFsync: undefined as ((file: string) => string | undefined) | undefined,
  failFolder: undefined as ((folder: string) => string | undefined) | undefined,
  syncfs: 'ok' as 'ok' | 'fail',
  fdPaths: new Map<number, string>(),
}));

vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  const { openNotingPaths } = await import('./support/fd-paths.js');
  const err = (code: string) => Object.assign(new Error(`${code}: injected`), { code });
  return {
    ...real,
    open: openNotingPaths(real.open, rec.fdPaths),
    fsync: (fd: number, callback: (e: Error | null) => void) => {
      const file = rec.fdPaths.get(fd) ?? `fd:${fd}`;
      rec.inFlight++;
      rec.maxInFlight = Math.max(rec.maxInFlight, rec.inFlight);
      const code = rec.failFsync?.(file);
      setTimeout(() => {
        rec.inFlight--;
        if (code) return callback(err(code));
        real.fsync(fd, (e) => {
          if (!e) rec.events.push(`fsync ${file}`);
          callback(e);
        });
      }, 2);
    },
    close: (fd: number, callback: (e: Error | null) => void) => {
      rec.events.push(`close ${rec.fdPaths.get(fd) ?? fd}`);
      real.close(fd, callback);
    },
  };
});

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...real,
    open: async (file: string, flags: string) => {
      const handle = await real.open(file, flags);
      return {
        sync: async () => {
          const code = rec.failFolder?.(file);
          if (code) throw Object.assign(new Error(`${code}: injected`), { code });
          await handle.sync();
          rec.events.push(`folder ${file}`);
        },
        close: () => handle.close(),
      };
    },
  };
});

vi.mock('node:child_process', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:child_process')>();
  return {
    ...real,
    execFile: (command: string, args: string[], options: { timeout?: number }, callback: (e: Error | null, stdout: string, stderr: string) => void) => {
      rec.events.push(`exec ${command} ${args.join(' ')} timeout=${options.timeout}`);
      setImmediate(() => (rec.syncfs === 'ok' ? callback(null, '', '') : callback(new Error('sync: not available'), '', '')));
    },
  };
});

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  rec.events.length = 0;
  rec.inFlight = 0;
  rec.maxInFlight = 0;
  rec.failFsync = undefined;
  rec.failFolder = undefined;
  rec.syncfs = 'ok';
  while (cleanups.length > 0) await cleanups.pop()!();
});

const bytes = (text: string) => new TextEncoder().encode(text);

async function batchOf(durability: 'fsync' | 'none') {
  const { dir, remove } = await tempDir('gitty-batch-exact-');
  cleanups.push(remove);
  return batchIn(dir, durability);
}

async function addAll(batch: LooseObjectBatch, count: number, prefix = 'o'): Promise<string[]> {
  const hashes: string[] = [];
  for (let i = 0; i < count; i++) {
    const data = bytes(`${prefix}${i}`);
    hashes.push(hashObject('blob', data));
    await batch.add(hashes[i]!, 'blob', data);
  }
  return hashes;
}

async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    return `ok ${JSON.stringify(await promise)}`;
  } catch (err) {
    if (isGittyError(err)) return `${err.code}: ${err.message}`;
    return `${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
  }
}

describe('LooseObjectBatch', () => {
  it('with fsync: each new file flushed (and closed), then each folder, then the objects folder; an object already there is not counted', async () => {
    const { root, unflushed, batch } = await batchOf('fsync');
    const old = bytes('already there');
    await unflushed.store(hashObject('blob', old), 'blob', old);
    await batch.add(hashObject('blob', old), 'blob', old);
    const hashes = await addAll(batch, 2);
    rec.events.length = 0;
    expect(await batch.commit()).toEqual({ objects: 2 });
    const files = hashes.map((h) => unflushed.fileOf(h));
    const folders = [...new Set(files.map((f) => path.dirname(f)))];
    const fileEvents = rec.events.slice(0, 4);
    expect(fileEvents.filter((e) => e.startsWith('fsync')).sort()).toEqual(files.map((f) => `fsync ${f}`).sort());
    expect(fileEvents.filter((e) => e.startsWith('close')).sort()).toEqual(files.map((f) => `close ${f}`).sort());
    expect(rec.events.slice(4, 4 + folders.length).sort()).toEqual(folders.map((f) => `folder ${f}`).sort());
    expect(rec.events.slice(4 + folders.length)).toEqual([`folder ${root}`]);
  });

  it('addRaw counts and flushes a copy that was already there (an interrupted seal may have left it unflushed)', async () => {
    const { unflushed, batch } = await batchOf('fsync');
    const data = bytes('sealed before');
    const hash = hashObject('blob', data);
    const { raw } = encodeObject('blob', data, nodeCompression);
    await unflushed.storeRaw(hash, raw);
    await batch.addRaw(hash, raw);
    rec.events.length = 0;
    expect(await batch.commit()).toEqual({ objects: 1 });
    expect(rec.events).toContain(`fsync ${unflushed.fileOf(hash)}`);
  });

  it('without fsync, or with nothing written, nothing is flushed', async () => {
    const none = await batchOf('none');
    await addAll(none.batch, 3);
    rec.events.length = 0;
    expect(await none.batch.commit()).toEqual({ objects: 3 });
    expect(rec.events).toEqual([]);
    const empty = await batchOf('fsync');
    expect(await empty.batch.commit()).toEqual({ objects: 0 });
    expect(rec.events).toEqual([]);
  });

  it('from 64 new files on, one `sync -f` of the objects folder instead; below that, file by file, at most 16 at once', async () => {
    const many = await batchOf('fsync');
    await addAll(many.batch, 64);
    rec.events.length = 0;
    expect(await many.batch.commit()).toEqual({ objects: 64 });
    expect(rec.events).toEqual([`exec sync -f ${many.root} timeout=120000`]);
    const fewer = await batchOf('fsync');
    await addAll(fewer.batch, 63);
    rec.events.length = 0;
    expect(await fewer.batch.commit()).toEqual({ objects: 63 });
    expect(rec.events.filter((e) => e.startsWith('exec'))).toEqual([]);
    expect(rec.events.filter((e) => e.startsWith('fsync'))).toHaveLength(63);
    expect(rec.maxInFlight).toBe(16);
  });

  it('a failing `sync -f` falls back to flushing file by file', async () => {
    const { root, batch } = await batchOf('fsync');
    await addAll(batch, 64);
    rec.events.length = 0;
    rec.syncfs = 'fail';
    expect(await batch.commit()).toEqual({ objects: 64 });
    expect(rec.events[0]).toBe(`exec sync -f ${root} timeout=120000`);
    expect(rec.events.filter((e) => e.startsWith('fsync'))).toHaveLength(64);
    expect(rec.events.at(-1)).toBe(`folder ${root}`);
  });

  it('a failed file flush fails the commit (no room: STORAGE_FULL naming the file) after closing it; the others finish first', async () => {
    const { unflushed, batch } = await batchOf('fsync');
    const hashes = await addAll(batch, 3);
    const bad = unflushed.fileOf(hashes[1]!);
    rec.failFsync = (file) => (file === bad ? 'ENOSPC' : undefined);
    rec.events.length = 0;
    expect(await outcome(batch.commit())).toBe(`STORAGE_FULL: No room to write ${bad} (ENOSPC)`);
    expect(rec.events).toContain(`close ${bad}`);
    expect(rec.events.filter((e) => e.startsWith('fsync')).sort()).toEqual([hashes[0]!, hashes[2]!].map((h) => `fsync ${unflushed.fileOf(h)}`).sort());
    expect(rec.events.filter((e) => e.startsWith('folder'))).toEqual([]);
    // Finished even so.
    expect(await outcome(batch.commit())).toBe('object batch already finished');
  });

  it('a failed folder flush is STORAGE_FULL naming the folder; the objects folder\'s own failure passes as it is', async () => {
    const first = await batchOf('fsync');
    const [hash] = await addAll(first.batch, 1);
    const folder = path.dirname(first.unflushed.fileOf(hash!));
    rec.failFolder = (f) => (f === folder ? 'ENOSPC' : undefined);
    expect(await outcome(first.batch.commit())).toBe(`STORAGE_FULL: No room to write ${folder} (ENOSPC)`);
    const second = await batchOf('fsync');
    await addAll(second.batch, 1);
    rec.failFolder = (f) => (f === second.root ? 'EIO' : undefined);
    expect(await outcome(second.batch.commit())).toBe('EIO');
  });

  it('refuses every call once finished (committed or aborted), with the exact message', async () => {
    const { batch } = await batchOf('none');
    await batch.commit();
    const data = bytes('late');
    const hash = hashObject('blob', data);
    expect(await outcome(batch.add(hash, 'blob', data))).toBe('object batch already finished');
    expect(await outcome(batch.addRaw(hash, encodeObject('blob', data, nodeCompression).raw))).toBe('object batch already finished');
    expect(await outcome(batch.commit())).toBe('object batch already finished');
    const aborted = (await batchOf('fsync')).batch;
    await aborted.abort();
    expect(await outcome(aborted.add(hash, 'blob', data))).toBe('object batch already finished');
    expect(await outcome(aborted.commit())).toBe('object batch already finished');
  });
});

describe('sizedCompression', () => {
  it('is the base itself unless it is node-zlib', () => {
    expect(sizedCompression(pakoCompression)).toBe(pakoCompression);
    const sized = sizedCompression(nodeCompression);
    expect(sized).not.toBe(nodeCompression);
    expect(sized.name).toBe('node-zlib');
  });

  it('deflates with the smallest window that holds the data plus 262 bytes (9 to 15 bits), standard zlib either way', () => {
    const sized = sizedCompression(nodeCompression);
    const cases: [number, number][] = [[0, 9], [250, 9], [251, 10], [762, 10], [763, 11], [40_000, 15], [200_000, 15]];
    for (const [length, windowBits] of cases) {
      const data = new Uint8Array(length).map((_, i) => (i * 7919) % 251);
      const out = sized.deflate(data);
      const expected = zlib.deflateSync(data, { level: 6, windowBits, memLevel: Math.max(1, Math.min(8, windowBits - 5)) });
      expect(Buffer.from(out).equals(expected), `${length} bytes`).toBe(true);
      expect(out[0]! >> 4, `${length} bytes`).toBe(windowBits - 8);
      expect(Buffer.from(zlib.inflateSync(out)).equals(Buffer.from(data))).toBe(true);
      expect(Buffer.from(sized.deflate(data, 1)).equals(zlib.deflateSync(data, { level: 1, windowBits, memLevel: Math.max(1, Math.min(8, windowBits - 5)) }))).toBe(true);
    }
  });

  it('inflates through the base with its output limit', () => {
    const sized = sizedCompression(nodeCompression);
    const data = zlib.deflateSync(Buffer.alloc(1000, 1));
    expect(sized.inflate(data, 1000).length).toBe(1000);
    expect(() => sized.inflate(data, 999)).toThrow();
  });
});

describe('a written file', () => {
  it('is a loose object git can read (the batch writes through LooseObjects)', async () => {
    const { unflushed, batch } = await batchOf('none');
    const data = bytes('readable');
    const hash = hashObject('blob', data);
    await batch.add(hash, 'blob', data);
    await batch.commit();
    expect(await unflushed.load(hash)).toEqual({ type: 'blob', data });
  });
});
