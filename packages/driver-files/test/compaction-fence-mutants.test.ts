// Tests written against surviving mutants of compaction-fence.ts: a failed first mkdir of the
// staging folder that is not EEXIST is thrown at once (not taken for a folder to veto and
// retried); a temp file gone before it is staged throws the rename's own error; a vetoed folder
// another process's sweep (removeRetiredLogs) removed right after we moved it aside is no error.
// Failures and races are staged by wrapping node:fs, so nothing depends on timing.
import { afterEach, describe, expect, it } from 'vitest';
import fs, { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from '@gitty/driver-test/harness';
import { patch, undoPatches } from './support/patch-fs.js';
import { stageNewLog, stagingFolder, vetoPendingCompaction } from '../src/compaction-fence.js';
import { removeRetiredLogs } from '../src/epoch-follow.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  undoPatches();
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function folder(): Promise<string> {
  const { dir, remove } = await tempDir('gitty-compaction-fence-mutants-');
  cleanups.push(remove);
  return dir;
}

describe('stageNewLog', () => {
  it('a first mkdir that fails other than EEXIST is thrown as it is, even when a second would succeed', async () => {
    const dir = await folder();
    const logFile = path.join(dir, 'head');
    const temp = path.join(dir, '.tmp-new');
    writeFileSync(temp, 'new');
    let calls = 0;
    // A passing failure (EACCES once): taken for a left folder, it would be "vetoed" and retried.
    patch('mkdirSync', (original) => ((target: fs.PathLike, ...rest: unknown[]) => {
      if (String(target) === stagingFolder(logFile)) calls++;
      if (String(target) === stagingFolder(logFile) && calls === 1) throw Object.assign(new Error('EACCES: mkdir'), { code: 'EACCES' });
      return (original as (...a: unknown[]) => unknown)(target, ...rest);
    }) as typeof fs.mkdirSync);
    expect(() => stageNewLog(logFile, temp)).toThrow(expect.objectContaining({ code: 'EACCES' }));
    expect(calls).toBe(1);
    expect(readFileSync(temp, 'utf8')).toBe('new');
    expect(existsSync(stagingFolder(logFile))).toBe(false);
  });

  it('a temp file that is gone: the rename\'s ENOENT is thrown (not a stat\'s of the temp file)', async () => {
    const dir = await folder();
    const logFile = path.join(dir, 'head');
    const temp = path.join(dir, '.tmp-never-written');
    let thrown: unknown;
    try {
      stageNewLog(logFile, temp);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toMatchObject({ code: 'ENOENT', syscall: 'rename', path: temp });
  });
});

describe('vetoPendingCompaction', () => {
  it('the folder moved aside and at once swept by another process (removeRetiredLogs): still a veto, no error', async () => {
    const dir = await folder();
    const logFile = path.join(dir, 'head');
    mkdirSync(stagingFolder(logFile));
    writeFileSync(path.join(stagingFolder(logFile), '.tmp-staged'), 'staged');
    let swept: string[] | undefined;
    patch('renameSync', (original) => ((from: fs.PathLike, to: fs.PathLike) => {
      original(from, to);
      if (String(from) !== stagingFolder(logFile)) return;
      // Another process's gc, right after our rename: vetoed folders go at any age.
      removeRetiredLogs(logFile, 600_000);
      swept = readdirSync(dir);
    }) as typeof fs.renameSync);
    expect(vetoPendingCompaction(logFile)).toBe(true);
    expect(swept).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
  });
});
