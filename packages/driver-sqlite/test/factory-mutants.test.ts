// createDriver where factory-exact left an outcome open: an index that finds no room while the
// driver opens fails as STORAGE_FULL naming the index file, with SQLite's error as its cause,
// and the parts opened so far are closed. The full disk is the one part not made real here
// (SqliteDriver.open failing as SQLite does; full-disk.test.ts makes a real one on tmpfs).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { defaultDriverContext } from '@gitty/core';
import { createDriver } from '../src/factory.js';
import { SqliteDriver } from '../src/sqlite-driver.js';

describe('createDriver (mutants)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gitty-sqlite-factory-'));
  });
  afterEach(() => {
    vi.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an open that finds no room for the index fails as STORAGE_FULL with SQLite\'s error as the cause', async () => {
    const full = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    vi.spyOn(SqliteDriver.prototype, 'open').mockRejectedValue(full);
    const err = await createDriver({ dir, durability: 'none' }, defaultDriverContext()).then(() => undefined, (e: unknown) => e);
    expect(err).toMatchObject({ code: 'STORAGE_FULL', message: `No room to write ${join(dir, 'index.sqlite')} (SQLITE_FULL)` });
    expect((err as Error).cause).toBe(full);
  });

  it('an open failing otherwise passes the error on as it is', async () => {
    const other = Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
    vi.spyOn(SqliteDriver.prototype, 'open').mockRejectedValue(other);
    await expect(createDriver({ dir, durability: 'none' }, defaultDriverContext())).rejects.toBe(other);
  });
});
