import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HeadLog, compactHeadLog, removeRetiredLogs, type HeadLogPosition } from '@gitty/driver-files';
import { compactionTestHooks } from '../src/compact-log.js';
import { stagingFolder } from '../src/compaction-fence.js';
import { headLogTestHooks } from '../src/test-hooks.js';
import { h, logHeads, runChild, thief, withHeadLog } from './log-thief-support.js';

const compactor = fileURLToPath(new URL('./children/log-compactor.ts', import.meta.url));
const heads = logHeads;

const withLog = (use: (log: HeadLog, file: string, at: HeadLogPosition) => Promise<void>) =>
  withHeadLog('gitty-switch-', Array.from({ length: 20 }, (_, n) => [{ name: `f${(n + 1) % 4}`, old: n + 1 > 4 ? h(n - 3) : null, new: h(n + 1) }]), use);

afterEach(() => {
  for (const key of Object.keys(compactionTestHooks) as (keyof typeof compactionTestHooks)[]) compactionTestHooks[key] = undefined;
  headLogTestHooks.afterAppend = undefined;
});

describe('a compaction switching logs while a writer that took its lock over appends', () => {
  // The writer appends to the old log after the compaction copied its tail and acknowledges
  // (the old log is still at the path when it checks); the rename must not then drop its line.
  it.each(['afterTailCopy', 'afterSync', 'afterLink'] as const)('%s: the writer vetoes the switch, its acknowledged line stays', async (step) => {
    await withLog(async (log, file) => {
      let stolen: { ok?: HeadLogPosition; error?: string } | undefined;
      compactionTestHooks[step] = () => {
        compactionTestHooks[step] = undefined;
        stolen = runChild(thief, [file, 'f1', h(100)]);
      };
      const report = await compactHeadLog(log, { durability: 'none' });
      expect(stolen?.ok).toBeDefined();
      // Acknowledged, so it is the head for every reader; the compaction gave up.
      expect((await heads(file)).f1).toBe(h(100));
      expect(report).toBeUndefined();
      expect(existsSync(stagingFolder(file))).toBe(false);
      expect((await readdir(path.dirname(file))).filter((n) => n.startsWith('.tmp-') || n.includes('.vetoed-'))).toEqual([]);
      // The next compaction goes through and keeps it.
      expect(await compactHeadLog(log, { durability: 'none' })).toBeDefined();
      expect((await heads(file)).f1).toBe(h(100));
    });
  });

  it('afterStage: the switch is announced before the tail copy, so a line appended then vetoes it too', async () => {
    await withLog(async (log, file) => {
      let stolen: { ok?: HeadLogPosition } | undefined;
      compactionTestHooks.afterStage = () => {
        compactionTestHooks.afterStage = undefined;
        stolen = runChild(thief, [file, 'f2', h(200)]);
      };
      const report = await compactHeadLog(log, { durability: 'none' });
      expect(stolen?.ok).toBeDefined();
      expect(report).toBeUndefined();
      expect((await heads(file)).f2).toBe(h(200));
    });
  });

  it('a writer whose line a whole compaction copied between its write and its checks finds it there and acknowledges it', async () => {
    await withLog(async (log, file, at) => {
      let report: unknown;
      headLogTestHooks.afterAppend = () => {
        headLogTestHooks.afterAppend = undefined;
        report = runChild(compactor, [file]);
      };
      const appended = await log.append(at, [{ name: 'f3', old: h(19), new: h(300) }]);
      expect(report).toMatchObject({ previousEpoch: at.epoch });
      expect(appended).toMatchObject({ epoch: at.epoch, alone: false });
      expect((await heads(file)).f3).toBe(h(300));
      // Its place in the old epoch carries over to the new log, just past its line.
      const after = (await log.readFrom(appended))!;
      expect(after).toMatchObject({ reset: false, events: [] });
    });
  });

  it('a writer whose line the compaction did not copy is told nothing of it counts (and the new log does not hold it)', async () => {
    await withLog(async (log, file, at) => {
      const first = new HeadLog(file, { durability: 'none' });
      try {
        // Opens the log and keeps it, as a writer does between appends.
        at = await first.append(at, [{ name: 'f0', old: h(20), new: h(400) }]);
        compactionTestHooks.afterRename = () => undefined;
        expect(await compactHeadLog(log, { durability: 'none' })).toBeDefined();
        // `at` is now a place in the retired log: the append must not land there and count.
        await expect(first.append(at, [{ name: 'f0', old: h(400), new: h(401) }])).rejects.toMatchObject({ code: 'LOCK_TIMEOUT' });
        expect((await heads(file)).f0).toBe(h(400));
      } finally {
        first.close();
      }
    });
  });

  it('what a veto that crashed left (a folder moved aside) is removed with the old retired logs', async () => {
    await withLog(async (_log, file) => {
      const aside = `${file}.vetoed-0123456789ab`;
      mkdirSync(aside);
      writeFileSync(path.join(aside, '.tmp-staged'), 'a staged log');
      removeRetiredLogs(file, 60_000);
      expect(existsSync(aside)).toBe(false);
      expect(existsSync(file)).toBe(true);
    });
  });

  it('a staging folder a dead compactor left is cleared by the next write (acknowledged after a read-back) and by the next compaction', async () => {
    await withLog(async (log, file, at) => {
      const leftover = () => {
        mkdirSync(stagingFolder(file));
        writeFileSync(path.join(stagingFolder(file), '.tmp-dead-compactor'), 'a staged log');
      };
      leftover();
      const appended = await log.withLock(() => log.append(at, [{ name: 'f0', old: h(20), new: h(500) }]));
      expect(appended.alone).toBe(false);
      expect(existsSync(stagingFolder(file))).toBe(false);
      expect((await heads(file)).f0).toBe(h(500));
      leftover();
      expect(await compactHeadLog(log, { durability: 'none' })).toMatchObject({ previousEpoch: at.epoch });
      expect(existsSync(stagingFolder(file))).toBe(false);
      expect((await heads(file)).f0).toBe(h(500));
      expect((await readdir(path.dirname(file))).filter((n) => n.includes('.vetoed-') || n.startsWith('.tmp-'))).toEqual([]);
    });
  });
});
