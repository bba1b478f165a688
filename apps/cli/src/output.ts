import { stringifyExactJson } from '@gitty/core';

/** ANSI styles, applied only when colour is on. */
export interface Paint {
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
  magenta(text: string): string;
}

function style(on: boolean, open: number, close: number): (text: string) => string {
  return on ? (text) => `\u001b[${open}m${text}\u001b[${close}m` : (text) => text;
}

/** A writable stream as far as output needs it. */
export interface OutputStream {
  write(chunk: string | Uint8Array): boolean;
  isTTY?: boolean;
}

/**
 * Where a command's results go: human text (coloured only on a TTY, never with NO_COLOR) or,
 * with `--json`, one JSON document per command on stdout. Diagnostics go to stderr.
 */
export class Output {
  /** Colour styles: identity functions when colour is off. */
  readonly paint: Paint;
  /** True when colours are written (stdout is a TTY, NO_COLOR unset, not --json). */
  readonly color: boolean;

  constructor(
    /** Machine-readable mode (`--json`). */
    readonly json: boolean,
    readonly stdout: OutputStream = process.stdout,
    readonly stderr: OutputStream = process.stderr,
    private readonly env: NodeJS.ProcessEnv = process.env,
    /** Prefix of every human line (see {@link indented}). */
    private readonly indent = '',
  ) {
    this.color = !json && stdout.isTTY === true && env.NO_COLOR === undefined && env.TERM !== 'dumb';
    const c = this.color;
    this.paint = {
      bold: style(c, 1, 22),
      dim: style(c, 2, 22),
      red: style(c, 31, 39),
      green: style(c, 32, 39),
      yellow: style(c, 33, 39),
      cyan: style(c, 36, 39),
      magenta: style(c, 35, 39),
    };
  }

  /** The same output with every human line indented by `prefix`. */
  indented(prefix: string): Output {
    return new Output(this.json, this.stdout, this.stderr, this.env, this.indent + prefix);
  }

  /** A line of human output on stdout (ignored with --json). */
  line(text = ''): void {
    if (!this.json) this.stdout.write(text === '' ? '\n' : `${this.indent}${text}\n`);
  }

  /** Raw bytes on stdout (file contents), in either mode. */
  bytes(data: Uint8Array): void {
    this.stdout.write(data);
  }

  /** A JSON document on stdout. */
  data(value: unknown): void {
    // Exact: SWISH stores hold integers beyond 2^53 as bigints.
    this.stdout.write(`${stringifyExactJson(value, 2)}\n`);
  }

  /** One compact JSON line on stdout (event streams such as `watch --json`). */
  event(value: unknown): void {
    this.stdout.write(`${stringifyExactJson(value)}\n`);
  }

  /** `value` as JSON with --json, else whatever `human` prints. */
  result(value: unknown, human: () => void): void {
    if (this.json) this.data(value);
    else human();
  }

  /** A note for people on stderr (progress summaries, "watching…"); kept out of stdout. */
  note(text: string): void {
    this.stderr.write(`${text}\n`);
  }

  /** An error line on stderr. */
  error(text: string): void {
    this.stderr.write(`${text}\n`);
  }
}

/** A commit hash shortened for people (the full hash is in --json). */
export function shortHash(hash: string | null | undefined): string {
  return hash ? hash.slice(0, 10) : '-';
}

/** Seconds since the epoch as `YYYY-MM-DD HH:MM:SS` (UTC); `?` for a value that is no such time. */
export function formatTime(seconds: unknown): string {
  const date = typeof seconds === 'number' ? new Date(seconds * 1000) : undefined;
  if (!date || Number.isNaN(date.getTime())) return '?';
  return date.toISOString().replace('T', ' ').slice(0, 19);
}

/** Bytes as B/KiB/MiB. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** Left-aligned columns; the last column is not padded. */
export function table(rows: string[][], widthOf: (cell: string) => number = visibleWidth): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, widthOf(cell))));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - widthOf(cell)))).join('  '));
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

/** Width of a string as shown (ANSI colour codes excluded). */
export function visibleWidth(text: string): number {
  return text.replace(ANSI, '').length;
}
