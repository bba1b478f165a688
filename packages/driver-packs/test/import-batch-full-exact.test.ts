import { existsSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PackImportBatch } from '../src/import-batch.js';
import { blob } from './fixtures.js';
import { memoryPacks } from './helpers.js';

// An import batch whose commit meets a full disk (ENOSPC from the rename that installs its pack,
// staged here): STORAGE_FULL naming its temp pack, and nothing left behind.

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  return { ...real, rename: vi.fn(real.rename) };
});

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  vi.mocked(fsp.rename).mockReset();
  for (const c of cleanups.splice(0)) await c();
});

describe('PackImportBatch on a full disk', () => {
  it('a commit whose install fails with ENOSPC is STORAGE_FULL naming the temp pack, and leaves no temp files', async () => {
    const t = await memoryPacks();
    cleanups.push(t.done);
    const folder = path.join(t.dir, 'objects', 'pack');
    const batch = new PackImportBatch({ store: t.driver.packStore, livePacked: async () => false, storeLoose: async () => true });
    const a = blob('no room\n');
    await batch.add(a.hash, a.type, a.data);
    let temp = '';
    vi.mocked(fsp.rename).mockImplementationOnce(async (from) => {
      temp = String(from);
      throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    });
    const error = await batch.commit().catch((err: unknown) => err);
    expect(path.basename(temp)).toMatch(new RegExp(`^tmp-import-${process.pid}-[0-9a-f]{12}\\.pack$`));
    expect(error).toMatchObject({ code: 'STORAGE_FULL', path: temp, message: `No room to write ${temp} (ENOSPC)` });
    expect(existsSync(temp)).toBe(false);
    expect(existsSync(temp.replace(/\.pack$/, '.idx'))).toBe(false);
    expect((await fsp.readdir(folder)).filter((n) => n.startsWith('tmp-'))).toEqual([]);
  });
});
