import { afterEach, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { HeadLog, type HeadLogPosition } from '@gitty/driver-files';
import { headLogTestHooks } from '../src/test-hooks.js';
import { h, logHeads, runChild, thief, withHeadLog } from './log-thief-support.js';

/** Another process, which took the lock over, appends one change (synchronously, from a hook). */
function steal(file: string, name: string, next: string | null): void {
  expect(runChild(thief, [file, name, next ?? 'null'])).toHaveProperty('ok');
}

const heads = logHeads;
const withLog = (use: (log: HeadLog, file: string, at: HeadLogPosition) => Promise<void>) =>
  withHeadLog('gitty-same-line-', [[{ name: 'f', old: null, new: h(1) }, { name: 'g', old: null, new: h(2) }]], use);

afterEach(() => {
  headLogTestHooks.beforeWrite = undefined;
});

describe('two writers deleting the same head (the lock lost between the check and the write)', () => {
  // The chaos files row (5 minutes, stalls and clock jumps): a stalled writer's deletion of
  // f1.txt was acknowledged although another writer had deleted and re-created the file first.
  it('the stalled writer does not take the other\'s identical deletion for its own: NOT_AT_HEAD, and the file stays re-created', async () => {
    await withLog(async (log, file, at) => {
      headLogTestHooks.beforeWrite = () => {
        headLogTestHooks.beforeWrite = undefined;
        steal(file, 'f', null);
        steal(file, 'f', h(3));
      };
      await expect(log.append(at, [{ name: 'f', old: h(1), new: null }])).rejects.toMatchObject({ code: 'NOT_AT_HEAD', head: h(3) });
      expect(await heads(file)).toEqual({ f: h(3), g: h(2) });
      // Every deletion line is its own: two deletions of one head never share their bytes.
      const deletions = (await readFile(file, 'utf8')).split('\n').filter((l) => l.includes('"new":null'));
      expect(deletions).toHaveLength(2);
      expect(new Set(deletions).size).toBe(2);
    });
  });

  it('appended together with another change, each gets its own outcome (appendEach)', async () => {
    await withLog(async (log, file, at) => {
      headLogTestHooks.beforeWrite = () => {
        headLogTestHooks.beforeWrite = undefined;
        steal(file, 'f', null);
      };
      const landed = await log.appendEach(at, [{ name: 'f', old: h(1), new: null }, { name: 'g', old: h(2), new: h(4) }]);
      expect(landed).toMatchObject({ alone: false, applied: [false, true], headsAt: [null, h(2)] });
      expect(await heads(file)).toEqual({ g: h(4) });
    });
  });
});
