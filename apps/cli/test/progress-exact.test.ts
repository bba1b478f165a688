import { describe, expect, it, vi } from 'vitest';
import { progressDisplay } from '../src/progress.js';
import { frozenClock, terminal } from './support/terminal.js';

// The bar on a terminal: exact text per phase, count and rate (a frozen clock makes rates exact).

describe('progressDisplay', () => {
  frozenClock();

  it('is silent with --json, off a terminal, and by default off this test\'s stderr', () => {
    const quiet = progressDisplay('copy');
    const piped = { written: '', write(chunk: string | Uint8Array) { this.written += String(chunk); return true; } };
    expect(progressDisplay('copy', { json: false, stream: piped })).toBe(quiet);
    expect(progressDisplay('copy', { json: true, stream: terminal() })).toBe(quiet);
    const tty = terminal();
    const json = progressDisplay('copy', { json: true, stream: tty });
    json.listener({ phase: 'files', done: 1, total: 2 });
    json.stop();
    expect(tty.lines()).toEqual([]);
    quiet.listener({ phase: 'files', done: 1 });
    quiet.stop();
    expect(piped.written).toBe('');
  });

  it('draws the label, phase, bar, counts and rate, and clears on stop', () => {
    const tty = terminal();
    const display = progressDisplay('copy', { json: false, stream: tty });
    display.listener({ phase: 'files', done: 0, total: 8 });
    expect(tty.lines()).toEqual(['copy files [------------------------] 0/8 0/s']);
    vi.advanceTimersByTime(2000);
    display.listener({ phase: 'files', done: 4, total: 8 });
    expect(tty.lines().at(-1)).toBe('copy files [############------------] 4/8 2/s');
    display.stop();
    expect(tty.lines().at(-1)).toBe('copy files [############------------] 4/8 2/s');
  });

  it('shows bare counts when the total is unknown or 0, and a fresh rate per phase', () => {
    const tty = terminal();
    const display = progressDisplay('gc', { json: false, stream: tty });
    display.listener({ phase: 'objects', done: 3 });
    expect(tty.lines()).toEqual(['gc objects 3 3000/s']);
    vi.advanceTimersByTime(1000);
    display.listener({ phase: 'objects', done: 7, total: 0 });
    expect(tty.lines().at(-1)).toBe('gc objects 7 7/s');
    vi.advanceTimersByTime(1000);
    display.listener({ phase: 'sweep', done: 5, total: 10 });
    expect(tty.lines().at(-1)).toBe('gc sweep [############------------] 5/10 5000/s');
  });

  it('names a phase called like the label, or empty, once', () => {
    const tty = terminal();
    const display = progressDisplay('repack', { json: false, stream: tty });
    display.listener({ phase: 'repack', done: 1, total: 4 });
    expect(tty.lines()).toEqual(['repack [######------------------] 1/4 1000/s']);
    display.stop();
    const other = terminal();
    progressDisplay('fsck', { json: false, stream: other }).listener({ phase: '', done: 2, total: 2 });
    expect(other.lines()).toEqual(['fsck [########################] 2/2 2000/s']);
  });

  it('starts again after stop', () => {
    const tty = terminal();
    const display = progressDisplay('copy', { json: false, stream: tty });
    display.listener({ phase: 'files', done: 1, total: 2 });
    display.stop();
    const drawn = tty.lines().length;
    display.stop();
    expect(tty.lines()).toHaveLength(drawn);
    display.listener({ phase: 'files', done: 2, total: 2 });
    expect(tty.lines().at(-1)).toBe('copy files [########################] 2/2 2000/s');
  });

  it('hides the cursor while drawing and clears the line when done', () => {
    const tty = terminal();
    const display = progressDisplay('copy', { json: false, stream: tty });
    display.listener({ phase: 'files', done: 1, total: 2 });
    const line = 'copy files [############------------] 1/2 1000/s';
    expect(tty.raw()).toBe(`\u001b7\u001b[?25l\u001b[?7l\u001b[1G${line}\u001b[0K`);
    display.listener({ phase: 'files', done: 1, total: 2 });
    expect(tty.raw()).toBe(`\u001b7\u001b[?25l\u001b[?7l\u001b[1G${line}\u001b[0K`);
    display.stop();
    expect(tty.raw()).toBe(`\u001b7\u001b[?25l\u001b[?7l\u001b[1G${line}\u001b[0K\u001b[?25h\u001b[?7h\u001b8\u001b[1G\u001b[2K`);
  });
});
