import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { progressDisplay } from '../src/progress.js';

// The rate's clock and the default options of progressDisplay.
function terminal(): { isTTY: true; columns: number; write(chunk: string | Uint8Array): boolean; lines(): string[] } {
  let written = '';
  return {
    isTTY: true,
    columns: 200,
    write(chunk) {
      written += String(chunk);
      return true;
    },
    // eslint-disable-next-line no-control-regex
    lines: () => written.split(/\u001b(?:\[[0-9;?]*[A-Za-z]|[78])/).filter((s) => s.trim() !== ''),
  };
}

describe('progressDisplay', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] });
    vi.setSystemTime(1_000_000);
  });
  afterEach(() => vi.useRealTimers());

  it('counts the rate of a first, unnamed phase from when the display was made', () => {
    const tty = terminal();
    const display = progressDisplay('fsck', { json: false, stream: tty });
    vi.advanceTimersByTime(2000);
    display.listener({ phase: '', done: 4, total: 4 });
    expect(tty.lines()).toEqual(['fsck [########################] 4/4 2/s']);
    display.stop();
  });

  it('without options draws on stderr when it is a terminal (not JSON mode)', () => {
    const quiet = progressDisplay('copy', { json: true });
    const descriptor = Object.getOwnPropertyDescriptor(process.stderr, 'isTTY');
    Object.defineProperty(process.stderr, 'isTTY', { value: true, configurable: true, writable: true });
    try {
      const display = progressDisplay('copy');
      expect(display).not.toBe(quiet);
      display.stop(); // never started: writes nothing
    } finally {
      if (descriptor) Object.defineProperty(process.stderr, 'isTTY', descriptor);
      else delete (process.stderr as { isTTY?: boolean }).isTTY;
    }
    expect(progressDisplay('copy')).toBe(quiet);
  });
});
