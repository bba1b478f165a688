import type { JsonValue, Meta } from '@gitty/core';

const TRICKY = ['', "'", '"', '\\', '\\n', '\n', '\t', '\u0000', '\u007f', '\u2028', 'é', 'Ω', '☃', '𝄞', '👩‍👩‍👧', ' ', ':-', '.', 'a.\n', '0\'c', '[]', '{}', 'true', 'null', '-', '_X', 'Abc'];
const NUMBERS: JsonValue[] = [
  0, -0, 1, -1, 0.1, -3.25, 1.5e-7, 5e-324, 1.7976931348623157e308, -1.7976931348623157e308, 1e20, 1e21, 123456789.125,
  Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2n ** 53n, -(2n ** 53n), 12345678901234567890n, -(10n ** 40n),
];

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

function randomText(random: () => number): string {
  let text = '';
  const parts = Math.floor(random() * 4);
  for (let i = 0; i < parts; i++) {
    text += random() < 0.5 ? pick(random, TRICKY) : String.fromCodePoint(Math.floor(random() * 0x2ffff) % 0xd800);
  }
  return text;
}

function randomValue(random: () => number, depth: number): JsonValue {
  const r = random();
  if (r < 0.25) return randomText(random);
  if (r < 0.45) return pick(random, NUMBERS);
  if (r < 0.55) return pick(random, [true, false, null]);
  if (depth <= 0) return randomText(random);
  if (r < 0.75) return Array.from({ length: Math.floor(random() * 4) }, () => randomValue(random, depth - 1));
  return randomObject(random, depth - 1);
}

function randomObject(random: () => number, depth: number): { [key: string]: JsonValue } {
  const object: { [key: string]: JsonValue } = {};
  const keys = Math.floor(random() * 5);
  for (let i = 0; i < keys; i++) {
    const key = random() < 0.5 ? pick(random, TRICKY) : randomText(random);
    Object.defineProperty(object, key, { value: randomValue(random, depth), enumerable: true, writable: true, configurable: true });
  }
  return object;
}

/** Random commit metadata for round-trip tests: unicode, quotes, backslashes, numbers at the edges, nesting. */
export function randomMeta(random: () => number): Meta {
  const meta = randomObject(random, 3);
  for (const reserved of ['name', 'data', 'time', 'previous', 'commit']) delete meta[reserved];
  // The documented keys have fixed types (the Store checks them).
  delete meta.tags;
  delete meta.author;
  delete meta.commit_message;
  if (random() < 0.5) meta.tags = Array.from({ length: Math.floor(random() * 3) }, () => randomText(random));
  if (random() < 0.5) meta.author = randomText(random);
  return meta;
}
