import { describe, expect, it } from 'vitest';
import { parseCount, parseDuration } from '../src/duration.js';
import { UsageError } from '../src/errors.js';

// Durations and counts come from people typing options: every unit, every refusal, exactly.
function usage(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return err as UsageError;
  }
  throw new Error('no UsageError');
}

const DURATION_HINT = 'write a number with a unit: ms, s, m, h, d or w (e.g. 1h, 30m, 1h30m, 0)';

describe('parseDuration', () => {
  it('reads each unit in milliseconds', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('7s')).toBe(7000);
    expect(parseDuration('3m')).toBe(180_000);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration('2d')).toBe(172_800_000);
    expect(parseDuration('1w')).toBe(604_800_000);
  });

  it('adds parts, reads several digits and fractions, and rounds to whole milliseconds', () => {
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('1d2h3m4s5ms')).toBe(86_400_000 + 7_200_000 + 180_000 + 4000 + 5);
    expect(parseDuration('10s')).toBe(10_000);
    expect(parseDuration('1.25s')).toBe(1250);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('0.0004s')).toBe(0);
    expect(parseDuration('0.0006s')).toBe(1);
    expect(parseDuration('0s')).toBe(0);
  });

  it('takes a bare 0 and surrounding spaces', () => {
    expect(parseDuration('0')).toBe(0);
    expect(parseDuration(' 0 ')).toBe(0);
    expect(parseDuration('  2h ')).toBe(7_200_000);
  });

  it('refuses anything else, quoting the text as given and the option', () => {
    for (const text of ['', '   ', 'soon', '1', '5x', 'h', '1h soon', '1h 30m', '.5s', '1.s', '-1h', 's1', '00', '1e3s']) {
      const err = usage(() => parseDuration(text));
      expect(err.message).toBe(`Invalid duration "${text}"`);
      expect(err.hint).toBe(DURATION_HINT);
    }
    const err = usage(() => parseDuration(' nope ', '--grace'));
    expect(err.message).toBe('Invalid --grace " nope "');
    expect(err.hint).toBe(DURATION_HINT);
  });

  it('refuses a duration too large to be a number', () => {
    const huge = `${'9'.repeat(400)}ms`;
    expect(usage(() => parseDuration(huge, '--older-than')).message).toBe(`Invalid --older-than "${huge}"`);
  });
});

describe('parseCount', () => {
  it('reads whole numbers of at least min (1 by default)', () => {
    expect(parseCount('1', '--depth')).toBe(1);
    expect(parseCount('12', '--depth')).toBe(12);
    expect(parseCount(' 3 ', '--depth')).toBe(3);
    expect(parseCount('0', '--limit', 0)).toBe(0);
    expect(parseCount('5', '--limit', 5)).toBe(5);
    expect(parseCount(String(Number.MAX_SAFE_INTEGER), '--n')).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('refuses fewer than min, fractions, signs, exponents, hex and unsafe integers', () => {
    const cases: [string, number][] = [['0', 1], ['4', 5], ['', 1], [' ', 0], ['1.5', 1], ['-1', 0], ['+1', 1], ['1e3', 1], ['0x10', 1], ['a1', 1], ['1a', 1], ['9007199254740993', 1]];
    for (const [text, min] of cases) {
      const err = usage(() => parseCount(text, '--depth', min));
      expect(err.message).toBe(`Invalid --depth "${text}"`);
      expect(err.hint).toBe(`give a whole number of at least ${min}`);
    }
    expect(usage(() => parseCount('0', '--jobs')).hint).toBe('give a whole number of at least 1');
  });
});
