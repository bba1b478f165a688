import { describe, expect, it } from 'vitest';
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { appendFile, readFile, truncate } from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from '@gitty/driver-test/harness';
import { openStore } from '@gitty/core';
import { completeLines } from '../src/log-lines.js';
import { openFiles, withStoreDir } from './support.js';

describe('reading a head log in chunks', () => {
  it('yields the same complete lines whatever the chunk size, never an incomplete last line', async () => {
    const { dir, remove } = await tempDir('gitty-lines-');
    try {
      const file = path.join(dir, 'log');
      const text = 'first\n\nsecond line\na much longer third line of the log\nx\nincomplete';
      writeFileSync(file, text);
      const fd = openSync(file, 'r');
      try {
        const expected = ['first', '', 'second line', 'a much longer third line of the log', 'x'];
        for (let chunk = 1; chunk <= text.length + 1; chunk++) {
          const lines = [...completeLines(fd, 0, text.length, chunk)];
          expect(lines.map((l) => l.bytes.toString()), `chunk ${chunk}`).toEqual(expected);
          for (const l of lines) expect(text.slice(l.start, l.end - 1)).toBe(l.bytes.toString());
          // A line longer than the limit is reported without its bytes, with its place.
          const capped = [...completeLines(fd, 0, text.length, chunk, 12)];
          expect(capped.map((l) => (l.oversized ? '<long>' : l.bytes.toString()))).toEqual(['first', '', 'second line', '<long>', 'x']);
          expect(capped[3]).toMatchObject({ start: 19, end: 55 });
        }
      } finally {
        closeSync(fd);
      }
    } finally {
      await remove();
    }
  });

  // GITTY_HUGE_LOG=1: a hole of 4.1 GiB, more than one Buffer can hold (about a minute on a loaded
  // machine); by default 48 MiB, still many chunks and an oversized line.
  const hole = process.env.GITTY_HUGE_LOG === '1' ? 4.1 * 2 ** 30 : 48 * 2 ** 20;
  it(`opens a store whose log holds a ${Math.round(hole / 2 ** 20)} MiB hole of NUL bytes (streamed, never one Buffer)`, async () => {
    await withStoreDir(async (dir, open) => {
      const store = await open();
      const a = await store.create('a.txt', 'before the hole\n');
      const b = await store.create('b.txt', 'after the hole\n');
      const file = path.join(dir, 'ref', 'head');
      const lines = (await readFile(file, 'utf8')).split('\n');
      await store.close();
      // epoch, a.txt, then a sparse hole (as a crash can leave on some file systems), then b.txt.
      await truncate(file, 0);
      await appendFile(file, `${lines[0]}\n${lines[1]}\n`);
      const holeEnd = (await readFile(file)).length + hole;
      await truncate(file, Math.floor(holeEnd));
      await appendFile(file, `\n${lines[2]}\n`);
      const reopened = await openStore(await openFiles(dir));
      try {
        expect(await reopened.head('a.txt')).toBe(a.commit);
        expect(await reopened.head('b.txt')).toBe(b.commit);
        expect(await reopened.driver.stats!()).toMatchObject({ headLogSkippedLines: 1 });
      } finally {
        await reopened.close();
      }
    });
  }, 120_000);
});
