import { describe, expect, it } from 'vitest';
import { CHUNK_BYTES, MAX_LINE_BYTES, holdsNewline, readRangeSync } from '../src/log-lines.js';
import { shape, withFile } from './support/log-file.js';

describe('log lines, exactly', () => {
  it('reads 1 MiB per chunk and keeps lines up to 1 MiB', () => {
    expect(CHUNK_BYTES).toBe(1048576);
    expect(MAX_LINE_BYTES).toBe(1048576);
  });

  it('places lines by their offsets in the file when reading starts mid-file', async () => {
    await withFile('skip\nab\n\ncd\nef', (fd) => {
      for (const chunk of [1, 2, 3, 100]) {
        expect(shape(fd, 5, 14, chunk), `chunk ${chunk}`).toEqual([
          { text: 'ab', start: 5, end: 8 }, { text: '', start: 8, end: 9 }, { text: 'cd', start: 9, end: 12 },
        ]);
      }
      // An end inside the file cuts the last line off; an end past it reads what is there.
      expect(shape(fd, 0, 11)).toEqual([{ text: 'skip', start: 0, end: 5 }, { text: 'ab', start: 5, end: 8 }, { text: '', start: 8, end: 9 }]);
      expect(shape(fd, 9, 1000, 2)).toEqual([{ text: 'cd', start: 9, end: 12 }]);
      expect(shape(fd, 14, 14)).toEqual([]);
    });
  });

  it('a line of exactly maxLine bytes is kept, one byte more is oversized, however the chunks fall', async () => {
    const text = `${'a'.repeat(8)}\n${'b'.repeat(9)}\nc\n${'d'.repeat(9)}`;
    await withFile(text, (fd) => {
      for (let chunk = 1; chunk <= text.length; chunk++) {
        expect(shape(fd, 0, text.length, chunk, 8), `chunk ${chunk}`).toEqual([
          { text: 'a'.repeat(8), start: 0, end: 9 },
          { text: '<long>', start: 9, end: 19 },
          { text: 'c', start: 19, end: 21 },
        ]);
      }
    });
  });

  it('an oversized line that spans chunks keeps its start, and the line after it reads normally', async () => {
    const text = `x\n${'z'.repeat(30)}\nyy\n`;
    await withFile(text, (fd) => {
      for (const chunk of [3, 4, 7, 10]) {
        expect(shape(fd, 0, text.length, chunk, 5), `chunk ${chunk}`).toEqual([
          { text: 'x', start: 0, end: 2 },
          { text: '<long>', start: 2, end: 33 },
          { text: 'yy', start: 33, end: 36 },
        ]);
      }
    });
  });

  it('holdsNewline looks in [start, end) only, across chunks, and past the file\'s end finds nothing', async () => {
    const big = Buffer.alloc(CHUNK_BYTES + 10, 0x61);
    big[CHUNK_BYTES + 5] = 0x0a;
    await withFile(big, (fd) => {
      expect(holdsNewline(fd, 0, CHUNK_BYTES + 5)).toBe(false);
      expect(holdsNewline(fd, 0, CHUNK_BYTES + 6)).toBe(true);
      expect(holdsNewline(fd, CHUNK_BYTES + 5, CHUNK_BYTES + 6)).toBe(true);
      expect(holdsNewline(fd, CHUNK_BYTES + 6, CHUNK_BYTES + 100)).toBe(false);
      expect(holdsNewline(fd, CHUNK_BYTES + 20, 3 * CHUNK_BYTES)).toBe(false);
      expect(holdsNewline(fd, 5, 5)).toBe(false);
    });
  });

  it('readRangeSync returns what is there: fewer bytes at the end, none for a negative length', async () => {
    await withFile('0123456789', (fd) => {
      expect(readRangeSync(fd, 2, 3).toString()).toBe('234');
      expect(readRangeSync(fd, 8, 5).toString()).toBe('89');
      expect(readRangeSync(fd, 20, 5).length).toBe(0);
      expect(readRangeSync(fd, 0, -1).length).toBe(0);
    });
  });
});
