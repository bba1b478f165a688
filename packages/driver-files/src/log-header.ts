import { readRangeSync } from './log-lines.js';

/**
 * One compaction, as the log it produced records it: the log of epoch `epoch` was read up to
 * `offset` into a snapshot (one line per live head), and its lines from `offset` to `end` were
 * copied as they were to the new log from `start` on. So a place `x` in `[offset, end]` of the
 * old log is `start + x - offset` in the new one, and a reader behind `offset` reads the old
 * log (kept as `head.retired-<epoch>`) up to `offset`, then goes on at `start`.
 */
export interface CompactionLink {
  epoch: string;
  offset: number;
  end: number;
  start: number;
}

/** A head log's first line: its epoch, and (for a compacted log) the compactions it follows from, newest first. */
export interface LogHeader {
  epoch: string;
  /** Where the first line after the header starts. */
  eventsStart: number;
  /** Newest first: `links[0]` leads from the previous epoch to this one, `links[1]` to that one, and so on. */
  links: CompactionLink[];
}

/** The header is looked for in this many first bytes (a compacted log pads its header to {@link COMPACTED_HEADER_BYTES}). */
export const HEADER_SCAN_BYTES = 4096;

/**
 * The fixed length of a compacted log's header line (padded with spaces): the header is written
 * last, once the copied tail is known, so its room is reserved before the snapshot.
 */
export const COMPACTED_HEADER_BYTES = 1024;

const NEWLINE = 0x0a;

function isLink(value: unknown): value is CompactionLink {
  const v = value as Partial<CompactionLink> | null;
  const place = (n: unknown) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
  return typeof v === 'object' && v !== null && typeof v.epoch === 'string' && v.epoch !== ''
    && place(v.offset) && place(v.end) && place(v.start) && v.offset! <= v.end!;
}

/** The header of the log open as `fd` (of `size` bytes), or undefined when its first line is no epoch line. */
export function readLogHeader(fd: number, size: number): LogHeader | undefined {
  const head = readRangeSync(fd, 0, Math.min(size, HEADER_SCAN_BYTES));
  const newline = head.indexOf(NEWLINE);
  if (newline < 0) return undefined;
  let value: { epoch?: unknown; compacted?: unknown };
  try {
    value = JSON.parse(head.subarray(0, newline).toString('utf8')) as typeof value;
  } catch {
    return undefined;
  }
  if (typeof value?.epoch !== 'string') return undefined;
  const links = Array.isArray(value.compacted) && value.compacted.every(isLink) ? value.compacted : [];
  return { epoch: value.epoch, eventsStart: newline + 1, links };
}

/** How many older compactions a header keeps (a reader further behind reads the whole log). */
export const MAX_LINKS = 8;

/**
 * A compacted log's header line, exactly {@link COMPACTED_HEADER_BYTES} long with its newline:
 * `{"epoch","created","compacted":[newest link, …older links]}`, dropping the oldest links
 * that do not fit.
 */
export function compactedHeaderLine(epoch: string, links: readonly CompactionLink[]): Buffer {
  for (let keep = Math.min(links.length, MAX_LINKS); keep >= 1; keep--) {
    const text = JSON.stringify({ epoch, created: Date.now(), compacted: links.slice(0, keep) });
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes < COMPACTED_HEADER_BYTES) return Buffer.from(`${text}${' '.repeat(COMPACTED_HEADER_BYTES - 1 - bytes)}\n`, 'utf8');
  }
  throw new Error('A compacted head log header does not fit its reserved room');
}
