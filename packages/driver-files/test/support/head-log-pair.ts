// Two HeadLog instances on one log file in a fresh temp folder, as two processes sharing a store
// hold it: the head-log tests (exact and mutants) see what one writes through the other.
import path from 'node:path';
import { tempDir } from '@gitty/driver-test/harness';
import { HeadLog } from '@gitty/driver-files';

/** Run `use` on `log` (with `lock` options when given) and `other` over `ref/head` in a temp folder, then close both and remove it. */
export async function withLog(use: (log: HeadLog, file: string, other: HeadLog) => Promise<void>, lock?: { timeoutMs: number }): Promise<void> {
  const { dir, remove } = await tempDir('gitty-log-');
  const file = path.join(dir, 'ref', 'head');
  const log = new HeadLog(file, { durability: 'none', ...(lock ? { lock } : {}) });
  const other = new HeadLog(file, { durability: 'none' });
  try {
    await use(log, file, other);
  } finally {
    log.close();
    other.close();
    await remove();
  }
}
