import { InvalidArgumentError } from '@gitty/core';

/** How data travels in JSON: UTF-8 text as is, anything else as base64. */
export type DataEncoding = 'utf8' | 'base64';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Decode `data` sent in a request body; malformed base64 is INVALID_ARGUMENT, not silently truncated. */
export function decodeData(data: string, encoding: DataEncoding = 'utf8'): Uint8Array {
  if (encoding === 'utf8') return new TextEncoder().encode(data);
  if (data.length % 4 !== 0 || !BASE64.test(data)) throw new InvalidArgumentError('"data" is not valid base64');
  return new Uint8Array(Buffer.from(data, 'base64'));
}

/** The bytes as UTF-8 text, or undefined when they are not valid UTF-8. */
export function textOf(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** Encode bytes for a JSON response: text when asked for (or when they are UTF-8), else base64. */
export function encodeData(bytes: Uint8Array, wanted?: DataEncoding): { data: string; encoding: DataEncoding } {
  if (wanted !== 'base64') {
    const text = textOf(bytes);
    if (text !== undefined) return { data: text, encoding: 'utf8' };
    if (wanted === 'utf8') throw new InvalidArgumentError('the data is not UTF-8 text; ask for encoding=base64');
  }
  return { data: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'), encoding: 'base64' };
}
