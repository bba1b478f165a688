import { describe, expect, it } from 'vitest';
import { decodeData, encodeData, textOf } from '../src/data-encoding.js';

// How file data travels in JSON bodies: exact bytes both ways, and exact refusals.

function refusal(run: () => unknown): { code: string; message: string } {
  try {
    run();
  } catch (err) {
    const { code, message } = err as { code: string; message: string };
    return { code, message };
  }
  throw new Error('accepted');
}

describe('decodeData', () => {
  it('takes text as UTF-8 by default and when asked', () => {
    expect([...decodeData('é')]).toEqual([0xc3, 0xa9]);
    expect([...decodeData('é', 'utf8')]).toEqual([0xc3, 0xa9]);
    expect([...decodeData('')]).toEqual([]);
  });

  it('takes padded base64', () => {
    expect([...decodeData('AAEC/w==', 'base64')]).toEqual([0, 1, 2, 255]);
    expect([...decodeData('AAECAw==', 'base64')]).toEqual([0, 1, 2, 3]);
    expect([...decodeData('+/+/', 'base64')]).toEqual([0xfb, 0xff, 0xbf]);
    expect([...decodeData('', 'base64')]).toEqual([]);
    expect(decodeData('AAEC', 'base64')).toBeInstanceOf(Uint8Array);
  });

  it.each(['AAE', 'AA=A', 'AA-_', 'AAE==', 'A===', ' AAA', 'AAA\n', 'AAAA=', 'AAECAw'])('refuses malformed or unpadded base64 %j', (data) => {
    expect(refusal(() => decodeData(data, 'base64'))).toEqual({ code: 'INVALID_ARGUMENT', message: '"data" is not valid base64' });
  });
});

describe('textOf', () => {
  it('reads valid UTF-8 and refuses the rest', () => {
    expect(textOf(new Uint8Array([0x68, 0xc3, 0xa9]))).toBe('hé');
    expect(textOf(new Uint8Array([]))).toBe('');
    expect(textOf(new Uint8Array([0xc3]))).toBeUndefined();
    expect(textOf(new Uint8Array([0xff, 0x41]))).toBeUndefined();
  });
});

describe('encodeData', () => {
  const text = new TextEncoder().encode('hé');
  const binary = new Uint8Array([0, 0xff, 0x10]);

  it('sends UTF-8 as text unless base64 is asked for', () => {
    expect(encodeData(text)).toEqual({ data: 'hé', encoding: 'utf8' });
    expect(encodeData(text, 'utf8')).toEqual({ data: 'hé', encoding: 'utf8' });
    expect(encodeData(text, 'base64')).toEqual({ data: 'aMOp', encoding: 'base64' });
  });

  it('sends other bytes as base64, or refuses when text was demanded', () => {
    expect(encodeData(binary)).toEqual({ data: 'AP8Q', encoding: 'base64' });
    expect(encodeData(binary, 'base64')).toEqual({ data: 'AP8Q', encoding: 'base64' });
    expect(refusal(() => encodeData(binary, 'utf8'))).toEqual({ code: 'INVALID_ARGUMENT', message: 'the data is not UTF-8 text; ask for encoding=base64' });
  });

  it('encodes only the view, not the whole buffer under it', () => {
    const buffer = new Uint8Array([0xff, 0xfe, 0x61, 0x62, 0xfd]);
    expect(encodeData(buffer.subarray(2, 4), 'base64')).toEqual({ data: 'YWI=', encoding: 'base64' });
    expect(encodeData(buffer.subarray(1, 3), 'base64')).toEqual({ data: '/mE=', encoding: 'base64' });
  });
});
