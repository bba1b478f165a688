// Progress bars draw only on a terminal: a fake one for stderr, and what was drawn on it, for the
// tests of the bars of progressDisplay and of the commands that show one.
import { Readable } from 'node:stream';
import { afterEach, beforeEach, expect, vi } from 'vitest';
import { runCli } from '../../src/cli.js';

/** What was drawn, without cursor movements and colour codes. */
export function drawnLines(written: string): string[] {
  // eslint-disable-next-line no-control-regex
  return written.split(/\u001b(?:\[[0-9;?]*[A-Za-z]|[78])/).filter((s) => s.trim() !== '');
}

/** A terminal for stderr: everything written to it (raw) and what was drawn (lines). */
export function terminal(): { isTTY: true; columns: number; write(chunk: string | Uint8Array): boolean; raw(): string; lines(): string[] } {
  let written = '';
  return {
    isTTY: true,
    columns: 200,
    write(chunk) {
      written += String(chunk);
      return true;
    },
    raw: () => written,
    lines: () => drawnLines(written),
  };
}

/** A run of `gitty <args>` in this process with stderr on a terminal: `order` says which stream each write went to. */
export interface TerminalRun { code: number; stdout: string; stderr: string; drawn: string[]; order: ('stdout' | 'stderr')[] }

export async function onTerminal(args: readonly string[]): Promise<TerminalRun> {
  let stdout = '';
  let stderr = '';
  const order: ('stdout' | 'stderr')[] = [];
  const code = await runCli(args, {
    stdin: Readable.from([]),
    stdout: { write: (chunk: string | Uint8Array) => (order.push('stdout'), (stdout += String(chunk)), true) },
    stderr: { isTTY: true, columns: 200, write: (chunk: string | Uint8Array) => (order.push('stderr'), (stderr += String(chunk)), true) } as never,
    env: { NO_COLOR: '1' },
  });
  return { code, stdout, stderr, drawn: drawnLines(stderr), order };
}

/** The bar was drawn, then cleared (cli-progress ends with "erase line"), and all of it before the result on stdout. */
export function barClearedBeforeResult(run: TerminalRun, label: string): void {
  expect(run.drawn.length).toBeGreaterThan(0);
  for (const line of run.drawn) expect(line.startsWith(`${label} `), line).toBe(true);
  expect(run.stderr.endsWith('\u001b[2K')).toBe(true);
  expect(run.order.indexOf('stdout')).toBe(run.order.lastIndexOf('stderr') + 1);
}

/** For the tests of the enclosing describe: a clock frozen at 1 000 000 ms that only the test moves, so rates are exact. */
export function frozenClock(): void {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] });
    vi.setSystemTime(1_000_000);
  });
  afterEach(() => vi.useRealTimers());
}
