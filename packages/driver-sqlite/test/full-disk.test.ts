import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, rmSync, statfsSync, statSync, truncateSync, writeSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultDriverContext, openStore, type Store } from '@gitty/core';
import { createDriver as createFilesDriver } from '@gitty/driver-files';
import { tempDir, tsNodeArgs } from '@gitty/driver-test/harness';
import { openSqlite, readWhileFull, type FullDiskReport } from './support/full-disk-reads.js';

const child = fileURLToPath(new URL('./children/full-disk-reads.ts', import.meta.url));
const NAMES = ['a.pl', 'b.txt', 'c.md'] as const;

/** As root, a real tmpfs that fills up; otherwise a child whose file size is limited (EFBIG). */
function canMount(): boolean {
  return process.getuid?.() === 0 && !process.env.GITTY_TEST_NO_MOUNT && spawnSync('mount', ['--version']).status === 0;
}

async function openFiles(dir: string): Promise<Store> {
  return openStore(await createFilesDriver({ dir, durability: 'none' }, defaultDriverContext()));
}

/** Fill the file system holding `dir` with `file`, then give back `leave` bytes. */
function fill(dir: string, file: string, leave: number): void {
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(1 << 20, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch {
    try {
      for (;;) writeSync(fd, chunk.subarray(0, 4096));
    } catch {
      // full
    }
  } finally {
    closeSync(fd);
  }
  truncateSync(file, Math.max(0, statSync(file).size - leave));
  expect(statfsSync(dir).bavail * statfsSync(dir).bsize).toBeLessThan(leave + 64 * 1024);
}

function childReport(dir: string, fsize: number): Promise<FullDiskReport> {
  const proc = spawn('prlimit', [`--fsize=${fsize}`, '--', process.execPath, ...tsNodeArgs(child, [dir, JSON.stringify(NAMES)])], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    proc.on('exit', (code) => {
      if (code !== 0) reject(new Error(`full-disk child exited ${String(code)}: ${err}`));
      else resolve(JSON.parse(out.trim().split('\n').pop()!) as FullDiskReport);
    });
  });
}

describe('a sqlite store on a full disk', () => {
  const how = canMount() ? 'tmpfs' : 'fsize';
  let base: { dir: string; remove: () => Promise<void> };
  let mount: string;
  let mounted = false;

  beforeAll(async () => {
    base = await tempDir('gitty-sqlite-full-');
    mount = path.join(base.dir, 'disk');
    mkdirSync(mount);
    if (how === 'tmpfs') {
      const result = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mount]);
      if (result.status !== 0) throw new Error(`mount failed: ${result.stderr.toString()}`);
      mounted = true;
    }
  });

  afterAll(async () => {
    if (mounted) spawnSync('umount', ['-l', mount]);
    await base.remove();
  });

  it(`(${how}) opens and reads everything, refuses writes with STORAGE_FULL, and catches up once there is room`, async () => {
    const dir = path.join(mount, 'store');
    const ballast = path.join(mount, 'ballast');
    const texts: Record<string, string> = {};
    const heads: Record<string, string | null> = {};

    // Three versions of each file through the sqlite driver, then one more of c.md by a files
    // process: the index is a line behind the log when the disk fills.
    const writer = await openSqlite(dir);
    for (const name of NAMES) {
      let head: string | undefined;
      for (let v = 1; v <= 3; v++) {
        const text = `${name} version ${v}${name === 'c.md' ? '' : ' needle'}\n`;
        head = (head === undefined ? await writer.create(name, text) : await writer.update(name, text, { previous: head })).commit;
        texts[name] = text;
      }
    }
    await writer.close();
    const files = await openFiles(dir);
    texts['c.md'] = 'c.md version 4 needle\n';
    await files.update('c.md', texts['c.md'], { previous: (await files.head('c.md'))! });

    // A store opened while there was room, whose index file then cannot grow.
    const early = how === 'tmpfs' ? await openSqlite(dir) : undefined;
    if (early) expect(await early.head('c.md')).toBe(await files.head('c.md'));

    // A head-log line the early store has not read yet; then no room is left for its index.
    await files.delete('b.txt');
    for (const name of NAMES) heads[name] = (await files.head(name)) ?? null;
    await files.close();
    expect(heads['b.txt']).toBeNull();
    if (how === 'tmpfs') fill(mount, ballast, 0);

    if (early) {
      expect(await early.head('b.txt')).toBeUndefined();
      expect((await early.driverStats()).indexInMemory).toBe(1);
      expect(await early.head('c.md')).toBe(heads['c.md']);
      const listed: string[] = [];
      for await (const entry of early.files()) listed.push(entry.name);
      expect(listed).toEqual(['a.pl', 'c.md']);
      expect((await early.search('needle')).map((hit) => hit.name)).toEqual(['a.pl', 'c.md']);
      await expect(early.update('a.pl', randomBytes(256 * 1024).toString('base64'), { previous: heads['a.pl']! })).rejects.toMatchObject({ code: 'STORAGE_FULL' });
      expect(await early.head('a.pl')).toBe(heads['a.pl']);
      expect((await early.driverStats()).indexInMemory).toBe(1);
    }

    const report = how === 'tmpfs' ? await readWhileFull(dir, NAMES) : await childReport(dir, 16 * 1024);
    expect(report.heads).toEqual(heads);
    expect(report.texts).toEqual({ 'a.pl': texts['a.pl'], 'c.md': texts['c.md'] });
    expect(report.histories).toEqual({ 'a.pl': 3, 'c.md': 4 });
    expect(report.files).toEqual(['a.pl', 'c.md']);
    expect(report.hits).toEqual(['a.pl', 'c.md']);
    expect(report.update).toBe('STORAGE_FULL');
    expect(report.create).toBe('STORAGE_FULL');
    expect(report.headsAfterWrites).toEqual({ ...heads, 'new-while-full.txt': null });
    expect(report.fsckErrors).toEqual([]);
    expect(report.stats.indexInMemory).toBe(1);

    // Room again: writes work, the index file catches up, a fresh open sees everything.
    rmSync(ballast, { force: true });
    if (early) {
      heads['a.pl'] = (await early.update('a.pl', 'a.pl version 4 needle\n', { previous: heads['a.pl']! })).commit;
      expect((await early.driverStats()).indexInMemory).toBe(0);
      await early.close();
    }
    const after = await openSqlite(dir);
    const previous = (await after.head('c.md'))!;
    heads['c.md'] = (await after.update('c.md', 'c.md version 5\n', { previous })).commit;
    heads['new.txt'] = (await after.create('new.txt', 'written once there was room, needle\n')).commit;
    expect((await after.driverStats()).indexInMemory).toBe(0);
    await after.close();

    const fresh = await openSqlite(dir);
    try {
      for (const [name, head] of Object.entries(heads)) expect(await fresh.head(name), name).toBe(head ?? undefined);
      const listed: string[] = [];
      for await (const entry of fresh.files()) listed.push(entry.name);
      expect(listed).toEqual(['a.pl', 'c.md', 'new.txt']);
      expect((await fresh.search('needle')).map((hit) => hit.name)).toEqual(how === 'tmpfs' ? ['a.pl', 'new.txt'] : ['a.pl', 'new.txt']);
      expect((await fresh.history('c.md', { depth: 50 })).history.length).toBe(5);
      const stats = await fresh.driverStats();
      expect(stats.indexInMemory).toBe(0);
      expect(stats.indexHeals).toBe(0);
      expect((await fresh.fsck()).errors).toEqual([]);
    } finally {
      await fresh.close();
    }
  }, 300_000);
});
