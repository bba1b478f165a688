import { afterEach, describe, expect, it, vi } from 'vitest';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { COMPACTED_HEADER_BYTES, HEADER_SCAN_BYTES, MAX_LINKS, compactedHeaderLine, readLogHeader, type CompactionLink } from '../src/log-header.js';

// The header decides where a reader of a compacted log goes on: a link taken for valid when it
// is not (or the other way round) sends readers to the wrong byte of another epoch's log.
let dir: string | undefined;
afterEach(() => {
  vi.restoreAllMocks();
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** readLogHeader of a file holding `text` (size: the file's, unless given). */
function header(text: string | Buffer, size?: number) {
  dir ??= mkdtempSync(path.join(os.tmpdir(), 'gitty-log-header-'));
  const file = path.join(dir, 'head');
  writeFileSync(file, text);
  const fd = openSync(file, 'r');
  try {
    return readLogHeader(fd, size ?? Buffer.byteLength(text));
  } finally {
    closeSync(fd);
  }
}

const link = (over: Partial<Record<keyof CompactionLink, unknown>> = {}) => ({ epoch: 'e1', offset: 10, end: 20, start: 5, ...over });
const withLinks = (compacted: unknown) => `${JSON.stringify({ epoch: 'e2', compacted })}\n{"name":"x"}\n`;

describe('readLogHeader', () => {
  it('reads the epoch, where events start and the links', () => {
    const first = `${JSON.stringify({ epoch: 'e2', compacted: [link(), link({ epoch: 'e0', offset: 0, end: 0, start: 0 })] })}`;
    expect(header(`${first}\nrest\n`)).toStrictEqual({
      epoch: 'e2', eventsStart: Buffer.byteLength(first) + 1, links: [link(), link({ epoch: 'e0', offset: 0, end: 0, start: 0 })],
    });
    expect(header('{"epoch":"plain"}\n')).toStrictEqual({ epoch: 'plain', eventsStart: 18, links: [] });
  });

  it('is undefined for a first line that is no epoch line', () => {
    expect(header('{"epoch":"e"}')).toBeUndefined(); // no newline yet
    expect(header('{"epoch":"e"} ')).toBeUndefined(); // still no newline, though all but the last byte parse
    expect(header('')).toBeUndefined();
    expect(header('{"epoch":\n')).toBeUndefined();
    expect(header('null\n')).toBeUndefined();
    expect(header('{"epoch":3}\n')).toBeUndefined();
    expect(header('{"name":"a"}\n')).toBeUndefined();
  });

  it('reads only the first `size` bytes, and at most HEADER_SCAN_BYTES of them', () => {
    expect(header('{"epoch":"e"}\n', 13)).toBeUndefined();
    expect(header('{"epoch":"e"}\n', 14)).toStrictEqual({ epoch: 'e', eventsStart: 14, links: [] });
    expect(HEADER_SCAN_BYTES).toBe(4096);
    const pad = (n: number) => `{"epoch":"e","p":"${'x'.repeat(n - 21)}"}\n`;
    expect(Buffer.byteLength(pad(4096))).toBe(4096);
    expect(header(pad(4096))).toStrictEqual({ epoch: 'e', eventsStart: 4096, links: [] });
    expect(header(pad(4097))).toBeUndefined();
  });

  it('drops every link when one is not a valid link', () => {
    const bad = [
      null, 'link', link({ epoch: '' }), link({ epoch: 7 }), link({ offset: -1 }), link({ end: -1 }), link({ start: -1 }),
      link({ offset: 1.5 }), link({ end: '20' }), link({ start: 2 ** 53 }), link({ offset: 21, end: 20 }),
    ];
    for (const b of bad) expect(header(withLinks([link(), b]))?.links, JSON.stringify(b)).toEqual([]);
    expect(header(withLinks({ 0: link() }))?.links).toEqual([]);
    expect(header(withLinks([link({ offset: 20, end: 20 })]))?.links).toEqual([link({ offset: 20, end: 20 })]);
  });
});

describe('compactedHeaderLine', () => {
  it('is exactly COMPACTED_HEADER_BYTES, space-padded, with the newest links first', () => {
    vi.spyOn(Date, 'now').mockReturnValue(1234);
    const links = [link(), link({ epoch: 'e0' })] as CompactionLink[];
    const line = compactedHeaderLine('e2', links);
    const text = JSON.stringify({ epoch: 'e2', created: 1234, compacted: links });
    expect(COMPACTED_HEADER_BYTES).toBe(1024);
    expect(line.toString('utf8')).toBe(`${text}${' '.repeat(1023 - text.length)}\n`);
  });

  it('keeps at most MAX_LINKS links', () => {
    vi.spyOn(Date, 'now').mockReturnValue(1);
    const links = Array.from({ length: 10 }, (_, i) => link({ epoch: `e${i}` })) as CompactionLink[];
    expect(MAX_LINKS).toBe(8);
    const parsed = JSON.parse(compactedHeaderLine('e', links).toString('utf8')) as { compacted: CompactionLink[] };
    expect(parsed.compacted).toEqual(links.slice(0, 8));
  });

  it('drops the oldest links that do not fit; a text of 1023 bytes fits exactly', () => {
    vi.spyOn(Date, 'now').mockReturnValue(1);
    const one = [link()] as CompactionLink[];
    const base = JSON.stringify({ epoch: '', created: 1, compacted: one }).length;
    const epoch = 'x'.repeat(1023 - base);
    expect(compactedHeaderLine(epoch, one).toString('utf8')).toBe(`${JSON.stringify({ epoch, created: 1, compacted: one })}\n`);
    // One more byte and one link does not fit: refused.
    expect(() => compactedHeaderLine(`${epoch}x`, one)).toThrow(new Error('A compacted head log header does not fit its reserved room'));
    // With two links, the second (older) one is dropped to make room.
    const two = [link(), link({ epoch: 'old' })] as CompactionLink[];
    const parsed = JSON.parse(compactedHeaderLine(epoch, two).toString('utf8')) as { compacted: CompactionLink[] };
    expect(parsed.compacted).toEqual(one);
  });

  it('refuses a header without links', () => {
    expect(() => compactedHeaderLine('e', [])).toThrow(new Error('A compacted head log header does not fit its reserved room'));
  });
});
