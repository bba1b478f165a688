import { describe, expect, it, vi } from 'vitest';
import { progressDisplay } from '../src/progress.js';
import { frozenClock, terminal } from './support/terminal.js';

// The rate's clock and the default options of progressDisplay.

describe('progressDisplay', () => {
  frozenClock();

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
