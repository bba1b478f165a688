import { describe, expect, it } from 'vitest';
import { Output, formatBytes, formatTime, shortHash, table, visibleWidth, type OutputStream } from '../src/output.js';

/** A stream that keeps what was written, chunk by chunk. */
function sink(isTTY?: boolean): OutputStream & { chunks: (string | Uint8Array)[]; text(): string } {
  const chunks: (string | Uint8Array)[] = [];
  return {
    isTTY,
    chunks,
    write(chunk) {
      chunks.push(chunk);
      return true;
    },
    text: () => chunks.map((c) => (typeof c === 'string' ? c : Buffer.from(c).toString('utf8'))).join(''),
  };
}

describe('Output colour', () => {
  it('is on for a TTY without NO_COLOR or TERM=dumb, with each style its ANSI codes', () => {
    const out = new Output(false, sink(true), sink(), { TERM: 'xterm' });
    expect(out.color).toBe(true);
    expect(out.paint.bold('x')).toBe('\u001b[1mx\u001b[22m');
    expect(out.paint.dim('x')).toBe('\u001b[2mx\u001b[22m');
    expect(out.paint.red('x')).toBe('\u001b[31mx\u001b[39m');
    expect(out.paint.green('x')).toBe('\u001b[32mx\u001b[39m');
    expect(out.paint.yellow('x')).toBe('\u001b[33mx\u001b[39m');
    expect(out.paint.cyan('x')).toBe('\u001b[36mx\u001b[39m');
    expect(out.paint.magenta('x')).toBe('\u001b[35mx\u001b[39m');
    expect(new Output(false, sink(true), sink(), {}).color).toBe(true);
  });

  it('is off with --json, off a TTY, with NO_COLOR (even empty) and with TERM=dumb; styles are then identities', () => {
    const offs = [
      new Output(true, sink(true), sink(), {}),
      new Output(false, sink(false), sink(), {}),
      new Output(false, sink(), sink(), {}),
      new Output(false, sink(true), sink(), { NO_COLOR: '' }),
      new Output(false, sink(true), sink(), { TERM: 'dumb' }),
    ];
    for (const out of offs) {
      expect(out.color).toBe(false);
      for (const style of Object.values(out.paint)) expect(style('plain')).toBe('plain');
    }
  });

  it('an indented copy keeps the colour decision and the environment', () => {
    expect(new Output(false, sink(true), sink(), {}).indented('  ').color).toBe(true);
    expect(new Output(false, sink(true), sink(), { NO_COLOR: '1' }).indented('  ').color).toBe(false);
  });

  it('defaults to the process streams', () => {
    const out = new Output(false);
    expect(out.stdout).toBe(process.stdout);
    expect(out.stderr).toBe(process.stderr);
    expect(out.json).toBe(false);
  });
});

describe('Output lines, bytes and JSON', () => {
  it('writes human lines with the indent, an empty line without it', () => {
    const stdout = sink();
    const stderr = sink();
    const out = new Output(false, stdout, stderr, {});
    out.line('a');
    out.line();
    out.line('');
    const inner = out.indented('  ').indented('> ');
    inner.line('b');
    inner.line();
    expect(stdout.text()).toBe('a\n\n\n  > b\n\n');
    expect(inner.stdout).toBe(stdout);
    expect(inner.stderr).toBe(stderr);
    expect(inner.json).toBe(false);
    expect(stderr.chunks).toEqual([]);
  });

  it('writes no human lines with --json, and indented copies stay in JSON mode', () => {
    const stdout = sink();
    const out = new Output(true, stdout, sink(), {});
    out.line('a');
    out.indented('  ').line('b');
    expect(out.indented('  ').json).toBe(true);
    expect(stdout.chunks).toEqual([]);
  });

  it('writes raw bytes in either mode', () => {
    const bytes = new Uint8Array([0, 255, 10]);
    for (const json of [false, true]) {
      const stdout = sink();
      new Output(json, stdout, sink(), {}).bytes(bytes);
      expect(stdout.chunks).toEqual([bytes]);
    }
  });

  it('writes data as indented exact JSON and events as compact lines', () => {
    const stdout = sink();
    const out = new Output(false, stdout, sink(), {});
    out.data({ a: 1, big: 12345678901234567890n });
    out.event({ a: 1, b: [2] });
    expect(stdout.text()).toBe('{\n  "a": 1,\n  "big": 12345678901234567890\n}\n{"a":1,"b":[2]}\n');
  });

  it('result prints JSON or calls the human printer, never both', () => {
    const jsonOut = sink();
    let called = 0;
    new Output(true, jsonOut, sink(), {}).result({ ok: true }, () => called++);
    expect(jsonOut.text()).toBe('{\n  "ok": true\n}\n');
    expect(called).toBe(0);
    const humanOut = sink();
    new Output(false, humanOut, sink(), {}).result({ ok: true }, () => called++);
    expect(humanOut.chunks).toEqual([]);
    expect(called).toBe(1);
  });

  it('notes and errors go to stderr, one line each, in either mode', () => {
    for (const json of [false, true]) {
      const stdout = sink();
      const stderr = sink();
      const out = new Output(json, stdout, stderr, {}).indented('  ');
      out.note('watching');
      out.error('gitty: bad');
      expect(stderr.text()).toBe('watching\ngitty: bad\n');
      expect(stdout.chunks).toEqual([]);
    }
  });
});

describe('shortHash, formatTime, formatBytes', () => {
  it('shortHash keeps 10 characters, "-" for none', () => {
    expect(shortHash('0123456789abcdef0123456789abcdef01234567')).toBe('0123456789');
    expect(shortHash('abc')).toBe('abc');
    expect(shortHash('')).toBe('-');
    expect(shortHash(null)).toBe('-');
    expect(shortHash(undefined)).toBe('-');
  });

  it('formatTime writes UTC seconds, "?" for what is no time', () => {
    expect(formatTime(0)).toBe('1970-01-01 00:00:00');
    expect(formatTime(1_700_000_000.9)).toBe('2023-11-14 22:13:20');
    expect(formatTime(-1)).toBe('1969-12-31 23:59:59');
    expect(formatTime('1700000000')).toBe('?');
    expect(formatTime(undefined)).toBe('?');
    expect(formatTime(Number.NaN)).toBe('?');
    expect(formatTime(1e20)).toBe('?');
  });

  it('formatBytes switches units at 1024 and 1024²', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1024)).toBe('1.0 KiB');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(1024 * 1024 - 1)).toBe('1024.0 KiB');
    expect(formatBytes(1024 * 1024)).toBe('1.0 MiB');
    expect(formatBytes(5.5 * 1024 * 1024)).toBe('5.5 MiB');
  });
});

describe('table and visibleWidth', () => {
  it('pads every column but the last to its widest cell, two spaces apart', () => {
    expect(table([['a', 'bb', 'c'], ['ccc', 'd', 'eeee']])).toEqual(['a    bb  c', 'ccc  d   eeee']);
  });

  it('leaves the last cell of a shorter row unpadded', () => {
    expect(table([['x'], ['yy', 'z']])).toEqual(['x', 'yy  z']);
    expect(table([])).toEqual([]);
  });

  it('measures cells without colour codes, or with the given width function', () => {
    expect(table([['\u001b[1mab\u001b[22m', 'x'], ['abc', 'y']])).toEqual(['\u001b[1mab\u001b[22m   x', 'abc  y']);
    expect(table([['ab', 'c'], ['d', 'e']], () => 1)).toEqual(['ab  c', 'd  e']);
  });

  it('visibleWidth drops every ANSI colour code', () => {
    expect(visibleWidth('plain')).toBe(5);
    expect(visibleWidth('\u001b[31mred\u001b[39m')).toBe(3);
    expect(visibleWidth('\u001b[1;31mX\u001b[0m and \u001b[mY')).toBe(7);
    expect(visibleWidth('\u001b[12;34;56mZ')).toBe(1);
    expect(visibleWidth('\u001b[31x')).toBe(5);
  });
});
