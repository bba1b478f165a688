import { UsageError } from './errors.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * Parse a duration such as `1h`, `90m`, `1h30m`, `2d`, `500ms` or `0` into milliseconds.
 * Throws a UsageError naming the accepted units.
 */
export function parseDuration(text: string, option = 'duration'): number {
  const trimmed = text.trim();
  if (trimmed === '0') return 0;
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy;
  let total = 0;
  let end = 0;
  for (let match = part.exec(trimmed); match; match = part.exec(trimmed)) {
    total += Number(match[1]) * (UNIT_MS[match[2] ?? ''] ?? Number.NaN);
    end = part.lastIndex;
  }
  if (trimmed.length === 0 || end !== trimmed.length || !Number.isFinite(total)) {
    throw new UsageError(`Invalid ${option} "${text}"`, 'write a number with a unit: ms, s, m, h, d or w (e.g. 1h, 30m, 1h30m, 0)');
  }
  return Math.round(total);
}

/** A positive integer option value, or a UsageError. */
export function parseCount(text: string, option: string, min = 1): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min) {
    throw new UsageError(`Invalid ${option} "${text}"`, `give a whole number of at least ${min}`);
  }
  return value;
}
