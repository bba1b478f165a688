// A log file read through a real descriptor, and the lines completeLines yields from it in a form
// a failure reads at a glance: the log-lines tests (exact and mutants) stage their ranges on these.
import { closeSync, openSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from '@gitty/driver-test/harness';
import { completeLines } from '../../src/log-lines.js';

/** Run `use` on a descriptor of a fresh temp file holding `content`, then close and remove it. */
export async function withFile(content: string | Buffer, use: (fd: number) => void): Promise<void> {
  const { dir, remove } = await tempDir('gitty-lines-');
  const file = path.join(dir, 'log');
  writeFileSync(file, content);
  const fd = openSync(file, 'r');
  try {
    use(fd);
  } finally {
    closeSync(fd);
    await remove();
  }
}

/** The lines of `fd` in [start, end) as text (an oversized one as '<long>') with their offsets. */
export const shape = (fd: number, start: number, end: number, chunk?: number, max?: number) =>
  [...completeLines(fd, start, end, chunk, max)].map((l) => ({ text: l.oversized ? '<long>' : l.bytes.toString(), start: l.start, end: l.end }));
