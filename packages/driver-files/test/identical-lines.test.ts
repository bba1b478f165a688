import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir, tsNodeArgs } from '@gitty/driver-test/harness';
import { HeadLog, type HeadLogPosition } from '@gitty/driver-files';
import { headLogTestHooks } from '../src/test-hooks.js';

const thief = fileURLToPath(new URL('./children/log-thief.ts', import.meta.url));
const h = (n: number) => n.toString(16).padStart(40, '0');

/** Another process, which took the lock over, appends one change (synchronously, from a hook). */
function steal(file: string, name: string, next: string | null): void {
  const result = spawnSync(process.execPath, tsNodeArgs(thief, [file, name, next ?? 'null']), { encoding: 'utf8', timeout: 60_000 });
  expect(JSON.parse(result.stdout.trim())).toHaveProperty('ok');
}

async function heads(file: string): Promise<Record<string, string>> {
  const read = (await new HeadLog(file, { durability: 'none' }).readFrom())!;
  const result: Record<string, string> = {};
  for (const change of read.events) {
    if (change.new === null) delete result[change.name];
    else result[change.name] = change.new;
  }
  return result;
}

async function withLog(use: (log: HeadLog, file: string, at: HeadLogPosition) => Promise<void>): Promise<void> {
  const { dir, remove } = await tempDir('gitty-same-line-');
  const file = path.join(dir, 'ref', 'head');
  const log = new HeadLog(file, { durability: 'none' });
  try {
    let at = await log.withLock(() => log.create([]));
    at = await log.withLock(() => log.append(at, [{ name: 'f', old: null, new: h(1) }, { name: 'g', old: null, new: h(2) }]));
    await use(log, file, at);
  } finally {
    log.close();
    await remove();
  }
}

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
