import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { STALE_TEMP_MS, TEMP_PREFIX, isOwnTag, isStaleTemp, isTempName, removeStaleTemps, tempName, writerGone, writerTag } from '../src/temp-files.js';

// Writer tags decide whose temp files and journals may be removed or sealed: a live writer's
// taken for dead loses its write, a dead one's taken for live leaks forever.
const HOST = os.hostname().replace(/[^A-Za-z0-9_.]/g, '_').slice(0, 64) || 'host';
/** A pid that existed and is gone: a child that ran and exited. */
const deadPid = spawnSync(process.execPath, ['-e', '0']).pid;
let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('writer tags', () => {
  it('name this host and pid with 12 random hex digits; temp names add the prefix', () => {
    const tag = writerTag();
    expect(tag).toMatch(new RegExp(`^${HOST.replace(/\./g, '\\.')}-${process.pid}-[0-9a-f]{12}$`));
    expect(writerTag()).not.toBe(tag);
    const name = tempName();
    expect(name.startsWith(`${TEMP_PREFIX}${HOST}-${process.pid}-`)).toBe(true);
    expect(name.length).toBe(TEMP_PREFIX.length + tag.length);
    expect(TEMP_PREFIX).toBe('.tmp-');
    expect(STALE_TEMP_MS).toBe(3600_000);
    expect(isTempName('.tmp-')).toBe(true);
    expect(isTempName('.tmp')).toBe(false);
  });

  it('isOwnTag: only this host and this pid, in the tag\'s exact shape', () => {
    expect(isOwnTag(writerTag())).toBe(true);
    expect(isOwnTag(`${HOST}-${process.pid}-ab`)).toBe(true);
    expect(isOwnTag(`${HOST}-${process.pid + 1}-ab`)).toBe(false);
    expect(isOwnTag(`other${HOST}-${process.pid}-ab`)).toBe(false);
    expect(isOwnTag(`${HOST}-${process.pid}-xy`)).toBe(false);
    expect(isOwnTag(`${HOST}-${process.pid}-`)).toBe(false);
    expect(isOwnTag(`${HOST}-${process.pid}-ab-`)).toBe(false);
    expect(isOwnTag(`${HOST}-${process.pid}`)).toBe(false);
  });

  it('writerGone: a dead pid of this host only; never this process, a live one or another host', () => {
    expect(writerGone(`${HOST}-${deadPid}-ab`)).toBe(true);
    expect(writerGone(`${HOST}-${process.pid}-ab`)).toBe(false);
    expect(writerGone(`${HOST}-${process.ppid}-ab`)).toBe(false);
    expect(writerGone(`elsewhere-${deadPid}-ab`)).toBe(false);
    expect(writerGone(`${HOST}-${deadPid}-xyz`)).toBe(false);
    expect(writerGone(`${HOST}-${deadPid}`)).toBe(false);
  });

  it('isStaleTemp: older than staleMs (not equal) is stale whoever wrote it; younger only when the writer is gone', () => {
    const mine = tempName();
    expect(isStaleTemp(mine, 1000, 1000 + STALE_TEMP_MS)).toBe(false);
    expect(isStaleTemp(mine, 1000, 1001 + STALE_TEMP_MS)).toBe(true);
    expect(isStaleTemp(mine, 1000, 1100, 99)).toBe(true);
    expect(isStaleTemp(mine, 1000, 1100, 100)).toBe(false);
    expect(isStaleTemp(`${TEMP_PREFIX}${HOST}-${deadPid}-ab`, 1000, 1000)).toBe(true);
    const fresh = Date.now();
    expect(isStaleTemp(mine, fresh)).toBe(false);
    expect(isStaleTemp(mine, fresh - STALE_TEMP_MS - 60_000)).toBe(true);
  });
});

describe('removeStaleTemps', () => {
  it('removes dead writers\' files and folders (with what they hold), and counts them', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'gitty-temps-exact-'));
    const dead = `${TEMP_PREFIX}${HOST}-${deadPid}-aa`;
    const deadFolder = `${TEMP_PREFIX}${HOST}-${deadPid}-bb`;
    const old = `${TEMP_PREFIX}far-away-1-cc`;
    const live = tempName();
    writeFileSync(path.join(dir, dead), 'x');
    mkdirSync(path.join(dir, deadFolder, 'inner'), { recursive: true });
    writeFileSync(path.join(dir, deadFolder, 'inner', 'owner'), '{}');
    writeFileSync(path.join(dir, old), 'x');
    const longAgo = new Date(Date.now() - STALE_TEMP_MS - 60_000);
    utimesSync(path.join(dir, old), longAgo, longAgo);
    writeFileSync(path.join(dir, live), 'x');
    writeFileSync(path.join(dir, 'head'), 'x');
    utimesSync(path.join(dir, 'head'), longAgo, longAgo);
    expect(await removeStaleTemps(dir)).toBe(3);
    expect(readdirSync(dir).sort()).toEqual(['head', live].sort());
    expect(await removeStaleTemps(dir)).toBe(0);
  });

  it('a missing folder has none', async () => {
    expect(await removeStaleTemps(path.join(os.tmpdir(), `gitty-no-such-${process.pid}`, 'x'))).toBe(0);
  });
});
