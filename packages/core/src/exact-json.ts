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

/**
 * `JSON.parse` that keeps integers beyond 2^53 exact, as bigints (the inverse of
 * {@link stringifyExactJson}). Text without a long digit run goes to `JSON.parse` directly.
 */
export function parseExactJson(text: string): unknown {
  if (!/\d{16}/.test(text)) return JSON.parse(text);
  let pos = 0;
  const fail = (what: string): never => {
    throw new SyntaxError(`${what} at position ${pos} of JSON`);
  };
  const ws = () => {
    while (pos < text.length && (text[pos] === ' ' || text[pos] === '\t' || text[pos] === '\n' || text[pos] === '\r')) pos++;
  };
  const value = (): unknown => {
    ws();
    const c = text[pos];
    if (c === '{') {
      pos++;
      const object: Record<string, unknown> = {};
      ws();
      if (text[pos] === '}') return pos++, object;
      for (;;) {
        ws();
        if (text[pos] !== '"') fail('expected a key');
        const key = value() as string;
        ws();
        if (text[pos++] !== ':') fail('expected ":"');
        // Keys are data: "__proto__" must stay an own key.
        Object.defineProperty(object, key, { value: value(), enumerable: true, writable: true, configurable: true });
        ws();
        const next = text[pos++];
        if (next === '}') return object;
        if (next !== ',') fail('expected "," or "}"');
      }
    }
    if (c === '[') {
      pos++;
      const array: unknown[] = [];
      ws();
      if (text[pos] === ']') return pos++, array;
      for (;;) {
        array.push(value());
        ws();
        const next = text[pos++];
        if (next === ']') return array;
        if (next !== ',') fail('expected "," or "]"');
      }
    }
    // Raw control characters inside a string are refused by JSON.parse of the token below.
    const literal = /"(?:[^"\\]|\\.)*"|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;
    literal.lastIndex = pos;
    const match = literal.exec(text);
    if (!match) fail('unexpected text');
    const token = match![0];
    pos += token.length;
    if (/^-?\d+$/.test(token)) {
      const big = BigInt(token);
      return Number.isSafeInteger(Number(big)) ? Number(big) : big;
    }
    return JSON.parse(token) as unknown;
  };
  const result = value();
  ws();
  if (pos !== text.length) fail('unexpected text after the value');
  return result;
}
