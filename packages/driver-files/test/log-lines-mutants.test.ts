import { afterEach, describe, expect, it, vi } from 'vitest';
import { CHUNK_BYTES, holdsNewline } from '../src/log-lines.js';
import { shape, withFile } from './support/log-file.js';

// Every readSync the code under test makes, with the length it asked for: how far past the
// file's end holdsNewline goes on reading is seen only in its reads (each answers nothing).
const reads = vi.hoisted(() => ({ lengths: [] as number[] }));

vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  return {
    ...real,
    readSync: (fd: number, buffer: NodeJS.ArrayBufferView, offset: number, length: number, position: number | null) => {
      reads.lengths.push(length);
      return real.readSync(fd, buffer, offset, length, position);
    },
  };
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('log lines (mutants)', () => {
  it('a range that starts mid-file and ends before the file does reads no line past its end', async () => {
    // The chunk (default 1 MiB, or 100) is larger than the range, and the file goes on after
    // `end` with whole lines: a read longer than `end - start` would yield 'ef' and 'gh'.
    await withFile('ab\ncd\nef\ngh\n', (fd) => {
      expect(shape(fd, 3, 6)).toEqual([{ text: 'cd', start: 3, end: 6 }]);
      expect(shape(fd, 3, 6, 100)).toEqual([{ text: 'cd', start: 3, end: 6 }]);
      // A second chunk starting mid-range still stops at `end`.
      expect(shape(fd, 3, 9, 4)).toEqual([{ text: 'cd', start: 3, end: 6 }, { text: 'ef', start: 6, end: 9 }]);
    });
  });

  it('an oversized line is skipped unbuffered: no buffer made while reading holds more than a chunk and maxLine', async () => {
    const chunk = 4;
    const maxLine = 6;
    const text = `x\n${'z'.repeat(200)}\nyy\n`;
    await withFile(text, (fd) => {
      const sizes: number[] = [];
      const concat = Buffer.concat.bind(Buffer);
      vi.spyOn(Buffer, 'concat').mockImplementation((list: readonly Uint8Array[], totalLength?: number) => {
        const out = concat(list, totalLength);
        sizes.push(out.length);
        return out;
      });
      expect(shape(fd, 0, text.length, chunk, maxLine)).toEqual([
        { text: 'x', start: 0, end: 2 },
        { text: '<long>', start: 2, end: 203 },
        { text: 'yy', start: 203, end: 206 },
      ]);
      // A carried line is joined with the next chunk; buffering the whole 200-byte line
      // would make these grow with it (and a line of more than 4 GiB could not be read).
      expect(sizes.length).toBeGreaterThan(0);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(chunk + maxLine);
    });
  });

  it('holdsNewline stops at the file\'s end rather than reading on, chunk by chunk, to a far `end`', async () => {
    await withFile('abc', (fd) => {
      reads.lengths.length = 0;
      // 64 chunks' worth past a 3-byte file: one read of the first chunk (3 bytes, then the
      // 0 that ends it), one empty read of the second, and no more.
      expect(holdsNewline(fd, 0, 64 * CHUNK_BYTES)).toBe(false);
      expect(reads.lengths).toEqual([CHUNK_BYTES, CHUNK_BYTES - 3, CHUNK_BYTES]);
      reads.lengths.length = 0;
      // Starting past the end: a single empty read.
      expect(holdsNewline(fd, 10, 10 + 64 * CHUNK_BYTES)).toBe(false);
      expect(reads.lengths).toEqual([CHUNK_BYTES]);
    });
  });
});
