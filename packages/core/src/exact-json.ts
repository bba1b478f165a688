import { randomBytes } from 'node:crypto';

/**
 * `JSON.stringify` that also writes `bigint`s — as their exact digits, a plain JSON number.
 * Commits of SWISH stores hold integers beyond 2^53 as bigints (see `swish-commit.ts`);
 * printing them through this keeps every digit, where `JSON.stringify` throws.
 */
export function stringifyExactJson(value: unknown, space?: number): string {
  // A marker with a fresh nonce, so no string in `value` can be mistaken for it.
  const marker = `\u0000bigint-${randomBytes(6).toString('hex')}:`;
  const text = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? `${marker}${v.toString()}` : v), space);
  if (text === undefined || !text.includes(marker.slice(1))) return text;
  const escaped = JSON.stringify(marker).slice(1, -1).replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
  return text.replace(new RegExp(`"${escaped}(-?\\d+)"`, 'g'), '$1');
}
