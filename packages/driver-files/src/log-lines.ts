import { readSync } from 'node:fs';

/** One complete line of a log: its bytes (without the newline) and where it lies. */
export interface LogLine {
  /** Empty when {@link oversized}. */
  bytes: Buffer;
  /** Longer than any head change can be (garbage, e.g. a hole of NUL bytes): its bytes were not kept. */
  oversized: boolean;
  /** Offset of its first byte. */
  start: number;
  /** Offset just after its newline. */
  end: number;
}

const NEWLINE = 0x0a;

/** How much of a log one read takes: a log of any size is read in pieces of this. */
export const CHUNK_BYTES = 1 << 20;

/** Longer lines are garbage (a head change is a name and two hashes); they are skipped unbuffered. */
export const MAX_LINE_BYTES = 1 << 20;

/**
 * The complete lines of the open file `fd` between `start` and `end`, read in chunks (never the
 * whole range into one buffer: a head log may outgrow what one Buffer can hold). An incomplete
 * last line is not yielded.
 */
export function* completeLines(fd: number, start: number, end: number, chunkBytes = CHUNK_BYTES, maxLine = MAX_LINE_BYTES): Generator<LogLine> {
  let carry: Buffer = Buffer.alloc(0);
  let carryStart = start;
  let oversized = false;
  let position = start;
  while (position < end) {
    const chunk = readRangeSync(fd, position, Math.min(chunkBytes, end - position));
    if (chunk.length === 0) break; // the file shrank meanwhile
    const chunkStart = position;
    position += chunk.length;
    // `bytes` begins at `base`: the carried start of a line, or this chunk when the line is too long to keep.
    const bytes = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
    const base = carry.length > 0 ? carryStart : chunkStart;
    let lineStart = 0;
    for (let newline = bytes.indexOf(NEWLINE); newline >= 0; newline = bytes.indexOf(NEWLINE, lineStart)) {
      yield oversized || newline - lineStart > maxLine
        ? { bytes: Buffer.alloc(0), oversized: true, start: oversized ? carryStart : base + lineStart, end: base + newline + 1 }
        : { bytes: bytes.subarray(lineStart, newline), oversized: false, start: base + lineStart, end: base + newline + 1 };
      oversized = false;
      lineStart = newline + 1;
      carryStart = base + lineStart;
    }
    if (bytes.length - lineStart > maxLine) {
      oversized = true;
      carry = Buffer.alloc(0);
    } else {
      carry = oversized ? Buffer.alloc(0) : Buffer.from(bytes.subarray(lineStart));
    }
  }
}

/** True when `[start, end)` of `fd` holds a newline (read in chunks). */
export function holdsNewline(fd: number, start: number, end: number): boolean {
  for (let position = start; position < end; position += CHUNK_BYTES) {
    const chunk = readRangeSync(fd, position, Math.min(CHUNK_BYTES, end - position));
    if (chunk.includes(NEWLINE)) return true;
    if (chunk.length === 0) return false;
  }
  return false;
}

/** Read up to `length` bytes at `position` (fewer at the end of the file). */
export function readRangeSync(fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.alloc(Math.max(0, length));
  let done = 0;
  while (done < buffer.length) {
    const bytesRead = readSync(fd, buffer, done, buffer.length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return buffer.subarray(0, done);
}
