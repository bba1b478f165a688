// createDriver: the exact INVALID_CONFIG of each malformed option, that every documented option
// is accepted, and how the options reach the parts (read from the composed driver's fields:
// the factory's only observable job is wiring them).
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultDriverContext, type Driver } from '@gitty/core';
import { createDriver } from '../src/factory.js';
import { LatePacksDriver } from '../src/late-packs.js';
import { LooseObjectsDriver } from '../src/loose-driver.js';

// The composed parts, as the driver holds them (private fields, read for the wiring only).
type Parts = {
  inner: Driver & { current?: Driver; loose?: Driver };
  index: { busyTimeout: number | undefined; memory: boolean; path: string; db: { pragma: (s: string, o: { simple: true }) => unknown } };
  throttleMs: number;
  log: { file: string; strict?: boolean; durability?: string; lock?: { timeoutMs: number; staleMs: number } };
  compaction?: { options: { durability: string; policy: { compactAt: number | false; compactRatio: number } } };
};
const parts = (driver: Driver) => driver as unknown as Parts;

describe('createDriver', () => {
  let dir: string;
  let opened: Driver[];
  const open = async (options: Record<string, unknown>) => {
    const driver = await createDriver({ dir, ...options }, defaultDriverContext());
    opened.push(driver);
    return driver;
  };
  const invalid = (message: string) => expect.objectContaining({ code: 'INVALID_CONFIG', message });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gitty-sqlite-factory-'));
    opened = [];
  });
  afterEach(async () => {
    for (const driver of opened) await driver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a malformed durability or packs with their exact messages', async () => {
    await expect(open({ durability: 'fast' })).rejects.toEqual(invalid('The sqlite driver\'s "durability" must be "fsync" or "none"'));
    await expect(open({ packs: 'yes' })).rejects.toEqual(invalid('The sqlite driver\'s "packs" must be true or false'));
    await expect(open({ packs: null })).rejects.toEqual(invalid('The sqlite driver\'s "packs" must be true or false'));
  });

  it.each(['throttleMs', 'busyTimeout', 'lockTimeout', 'lockStale'])('refuses %s that is not a non-negative finite number', async (key) => {
    const message = `The sqlite driver's "${key}" must be a non-negative number of milliseconds`;
    for (const value of [-1, Number.NaN, Infinity, '5', null]) await expect(open({ [key]: value })).rejects.toEqual(invalid(message));
    // Nothing was created for a refused configuration.
    expect(existsSync(join(dir, 'index.sqlite'))).toBe(false);
  });

  it('refuses an unknown option, a missing or malformed dir, and a malformed compaction policy, naming the sqlite driver', async () => {
    await expect(open({ dirr: 1 })).rejects.toEqual(invalid(
      'Unknown option "dirr" for the sqlite driver; valid options: dir, packs, durability, throttleMs, busyTimeout, lockTimeout, lockStale, format, compactAt, compactRatio',
    ));
    await expect(createDriver({}, defaultDriverContext())).rejects.toEqual(invalid('The sqlite driver needs the option "dir"'));
    await expect(createDriver({ dir: 5 }, defaultDriverContext())).rejects.toEqual(invalid('The sqlite driver needs "dir" as a non-empty string'));
    await expect(open({ compactAt: -1 })).rejects.toEqual(invalid('The sqlite driver\'s "compactAt" must be a number of bytes >= 0 or false'));
  });

  it('accepts every documented option, and passes each to its part', async () => {
    const driver = await open({
      packs: true, durability: 'none', throttleMs: 0, busyTimeout: 250, lockTimeout: 1234, lockStale: 5678, format: 'git', compactAt: 4096, compactRatio: 2,
    });
    const p = parts(driver);
    expect(driver.name).toBe('sqlite');
    expect(driver.capabilities).toMatchObject({ packs: true, query: true, search: true, reindex: true, watch: true, sharedHeads: true, persistent: true });
    expect(p.throttleMs).toBe(0);
    expect(p.index.busyTimeout).toBe(250);
    expect(p.index.path).toBe(join(dir, 'index.sqlite'));
    expect(p.index.db.pragma('busy_timeout', { simple: true })).toBe(250);
    expect(p.log.file).toBe(join(dir, 'ref', 'head'));
    expect(p.log.durability).toBe('none');
    expect(p.log.lock).toMatchObject({ timeoutMs: 1234, staleMs: 5678 });
    expect(p.compaction?.options).toEqual({ durability: 'none', policy: { compactAt: 4096, compactRatio: 2 } });
    expect(existsSync(join(dir, 'objects'))).toBe(true);
  });

  it('defaults: fsync, a 1000 ms throttle, SQLite\'s 5000 ms busy timeout, loose objects that attach late packs', async () => {
    const driver = await open({});
    const p = parts(driver);
    expect(p.throttleMs).toBe(1000);
    expect(p.index.busyTimeout).toBeUndefined();
    expect(p.index.db.pragma('busy_timeout', { simple: true })).toBe(5000);
    expect(p.log.durability).toBe('fsync');
    expect(p.log.lock).toMatchObject({ timeoutMs: 30_000, staleMs: 10_000 });
    expect(p.compaction?.options.durability).toBe('fsync');
    expect(p.inner).toBeInstanceOf(LatePacksDriver);
    expect(driver.capabilities.packs).toBeUndefined();
    expect(existsSync(join(dir, 'objects'))).toBe(true);
    expect(existsSync(join(dir, 'ref', 'head'))).toBe(true);
    expect(existsSync(join(dir, 'index.sqlite'))).toBe(true);
  });

  it('opens packs when the pack folder exists, unless packs is false', async () => {
    mkdirSync(join(dir, 'objects', 'pack'), { recursive: true });
    const withPacks = await open({ durability: 'none' });
    expect(withPacks.capabilities.packs).toBe(true);
    await withPacks.close();
    const without = await open({ durability: 'none', packs: false });
    expect(parts(without).inner).toBeInstanceOf(LatePacksDriver);
    expect(parts(without).inner.current).toBeInstanceOf(LooseObjectsDriver);
  });

  it('indexes a SWISH store with format "swish", passing durability and the lock options', async () => {
    const driver = await open({ format: 'swish', durability: 'none', lockTimeout: 111, lockStale: 2222, busyTimeout: 99 });
    const p = parts(driver);
    expect(driver.commitFormat).toBe('swish');
    expect(p.inner.name).toBe('files');
    expect(p.log.strict).toBeUndefined();
    expect(p.compaction).toBeUndefined();
    expect(p.index.busyTimeout).toBe(99);
    expect(p.index.path).toBe(join(dir, 'index.sqlite'));
    expect(existsSync(join(dir, 'objects'))).toBe(false);
    expect((p.log as unknown as { lock: { timeoutMs: number; staleMs: number } }).lock).toMatchObject({ timeoutMs: 111, staleMs: 2222 });
    expect((p.log as unknown as { durability: string }).durability).toBe('none');
  });

  it('resolves dir relative to the working folder and names it a path option', async () => {
    expect(createDriver.pathOptions).toEqual(['dir']);
    const driver = await createDriver({ dir: join(dir, 'sub', '..', 'store'), durability: 'none' }, defaultDriverContext());
    opened.push(driver);
    expect(parts(driver).index.path).toBe(join(dir, 'store', 'index.sqlite'));
  });

  it('fails with the error of an index that cannot be opened or replaced', async () => {
    // A folder where the index file should be: SQLite cannot open it, and removing it fails.
    mkdirSync(join(dir, 'index.sqlite'));
    await expect(open({ durability: 'none' })).rejects.toMatchObject({ code: 'ERR_FS_EISDIR' });
  });
});
