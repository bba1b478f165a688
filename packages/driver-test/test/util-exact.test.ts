import { afterEach, describe, expect, it, vi } from 'vitest';
import { GittyError, InvalidArgumentError, MemoryDriver, NotFoundError, decodeCommit, encodeCommit, hashObject } from '@gitty/core';
import {
  collect, commitHead, eventually, failsWith, pseudoRandomBytes, putBlob, putCommit, rejection, sameBytes, utf8,
} from '../src/util.js';

// The suite's own helpers: a failsWith that accepts the wrong error, or a sameBytes that says
// yes too easily, would turn suite tests into tests that cannot fail.

afterEach(() => {
  vi.restoreAllMocks();
});

/** xorshift32 (Marsaglia 13/17/5), written out independently to compare with. */
function xorshiftBytes(size: number, seed: number): number[] {
  let x = seed === 0 ? 1 : seed | 0;
  const out: number[] = [];
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out.push(x & 0xff);
  }
  return out;
}

describe('utf8', () => {
  it('encodes as UTF-8', () => {
    expect([...utf8('aé€')]).toEqual([0x61, 0xc3, 0xa9, 0xe2, 0x82, 0xac]);
  });
});

describe('pseudoRandomBytes', () => {
  it('is xorshift32 from the seed, default seed 1, exact length', () => {
    expect([...pseudoRandomBytes(300, 7)]).toEqual(xorshiftBytes(300, 7));
    expect([...pseudoRandomBytes(300, -3)]).toEqual(xorshiftBytes(300, -3));
    expect([...pseudoRandomBytes(300)]).toEqual(xorshiftBytes(300, 1));
    expect([...pseudoRandomBytes(5)]).toEqual([0x21, 0x01, 0xc5, 0x4f, 0xd1]);
    expect(pseudoRandomBytes(0).length).toBe(0);
    expect(pseudoRandomBytes(1).length).toBe(1);
  });

  it('takes seed 0 as 1 (xorshift would give only zeros)', () => {
    expect([...pseudoRandomBytes(64, 0)]).toEqual([...pseudoRandomBytes(64, 1)]);
    expect(pseudoRandomBytes(64, 0).some((b) => b !== 0)).toBe(true);
  });

  it('compressible: every other run of 64 bytes is the low nibble of the index', () => {
    const plain = pseudoRandomBytes(256, 9);
    const half = pseudoRandomBytes(256, 9, true);
    for (let i = 0; i < 256; i++) {
      expect(half[i]).toBe(i & 64 ? i & 0x0f : plain[i]);
    }
    expect(half[64]).toBe(0);
    expect(half[79]).toBe(15);
    expect([...half.subarray(0, 64)]).toEqual([...plain.subarray(0, 64)]);
    expect([...half.subarray(128, 192)]).toEqual([...plain.subarray(128, 192)]);
  });
});

describe('collect', () => {
  it('collects every value in order', async () => {
    async function* gen() {
      yield 1;
      yield 2;
      yield 3;
    }
    expect(await collect(gen())).toEqual([1, 2, 3]);
  });
});

describe('rejection and failsWith', () => {
  it('rejection returns what was thrown or rejected', async () => {
    const thrown = new Error('sync');
    expect(await rejection(() => {
      throw thrown;
    })).toBe(thrown);
    expect(await rejection(() => Promise.reject(42))).toBe(42);
  });

  it('rejection fails when the call succeeds', async () => {
    await expect(rejection(() => 'fine')).rejects.toThrow(new Error('expected the call to fail, but it succeeded'));
  });

  it('failsWith returns a GittyError with the code', async () => {
    const err = new NotFoundError('file', 'x');
    expect(await failsWith('NOT_FOUND', () => Promise.reject(err))).toBe(err);
  });

  it('failsWith names what came instead: another code, another error, a non-error, success', async () => {
    await expect(failsWith('NOT_FOUND', () => Promise.reject(new InvalidArgumentError('bad')))).rejects.toThrow(
      new Error('expected a GittyError with code NOT_FOUND, got INVALID_ARGUMENT'),
    );
    await expect(failsWith('NOT_FOUND', () => Promise.reject(new TypeError('boom')))).rejects.toThrow(
      new Error('expected a GittyError with code NOT_FOUND, got TypeError: boom'),
    );
    await expect(failsWith('NOT_FOUND', () => Promise.reject('just text'))).rejects.toThrow(
      new Error('expected a GittyError with code NOT_FOUND, got just text'),
    );
    await expect(failsWith('CORRUPT_OBJECT', () => Promise.reject(new GittyError('NOT_AT_HEAD', 'x')))).rejects.toThrow(
      new Error('expected a GittyError with code CORRUPT_OBJECT, got NOT_AT_HEAD'),
    );
    await expect(failsWith('NOT_FOUND', () => undefined)).rejects.toThrow(new Error('expected the call to fail, but it succeeded'));
  });
});

describe('putBlob, putCommit, commitHead', () => {
  it('putBlob stores the bytes (or the UTF-8 of a string) as a blob under its hash', async () => {
    const driver = new MemoryDriver();
    const hash = await putBlob(driver, 'héllo');
    expect(hash).toBe(hashObject('blob', utf8('héllo')));
    const obj = await driver.loadObject(hash);
    expect(obj?.type).toBe('blob');
    expect([...obj!.data]).toEqual([...utf8('héllo')]);
    const raw = new Uint8Array([0, 255, 1]);
    const rawHash = await putBlob(driver, raw);
    expect(rawHash).toBe(hashObject('blob', raw));
    expect([...(await driver.loadObject(rawHash))!.data]).toEqual([0, 255, 1]);
  });

  it('putCommit stores a JSON commit of name, data, time and previous', async () => {
    const driver = new MemoryDriver();
    const first = await putCommit(driver, 'a.pl', 'one', undefined, 1234.5);
    const body = encodeCommit({ name: 'a.pl', data: hashObject('blob', utf8('one')), time: 1234.5 });
    expect(first).toBe(hashObject('commit', body));
    const stored = await driver.loadObject(first);
    expect(stored?.type).toBe('commit');
    expect(decodeCommit(stored!.data, first)).toEqual({ name: 'a.pl', data: hashObject('blob', utf8('one')), time: 1234.5, commit: first });
    const second = await putCommit(driver, 'a.pl', 'two', first, 1300);
    expect(decodeCommit((await driver.loadObject(second))!.data, second)).toEqual({
      name: 'a.pl', data: hashObject('blob', utf8('two')), time: 1300, previous: first, commit: second,
    });
    expect(await driver.hasObject(hashObject('blob', utf8('two')))).toBe(true);
  });

  it('putCommit takes an empty previous as none: no previous key in the commit', async () => {
    const driver = new MemoryDriver();
    const hash = await putCommit(driver, 'e.pl', 'one', '', 10);
    const body = encodeCommit({ name: 'e.pl', data: hashObject('blob', utf8('one')), time: 10 });
    expect(new TextDecoder().decode(body)).toBe(`{"data":"${hashObject('blob', utf8('one'))}","name":"e.pl","time":10}\n`);
    expect(hash).toBe(hashObject('commit', body));
  });

  it('putCommit stamps the current time in seconds when none is given', async () => {
    vi.spyOn(Date, 'now').mockReturnValue(1_700_000_000_250);
    const driver = new MemoryDriver();
    const hash = await putCommit(driver, 'b.pl', 'x');
    expect(decodeCommit((await driver.loadObject(hash))!.data, hash).time).toBe(1_700_000_000.25);
  });

  it('commitHead creates the head, then moves it by compare-and-set', async () => {
    const driver = new MemoryDriver();
    const first = await commitHead(driver, 'c.pl', 'v1');
    expect(await driver.getHead('c.pl')).toBe(first);
    const second = await commitHead(driver, 'c.pl', 'v2', first);
    expect(await driver.getHead('c.pl')).toBe(second);
    expect(decodeCommit((await driver.loadObject(second))!.data, second).previous).toBe(first);
    await expect(commitHead(driver, 'c.pl', 'v3', first)).rejects.toMatchObject({ code: 'NOT_AT_HEAD' });
    await expect(commitHead(driver, 'c.pl', 'again')).rejects.toMatchObject({ code: 'NOT_AT_HEAD' });
  });
});

describe('eventually', () => {
  it('polls until the predicate holds, sync or async', async () => {
    let calls = 0;
    await eventually(() => ++calls === 3, 'three calls');
    expect(calls).toBe(3);
    let asyncCalls = 0;
    await eventually(async () => ++asyncCalls === 2, 'two calls');
    expect(asyncCalls).toBe(2);
    let once = 0;
    await eventually(() => (++once, true), 'at once');
    expect(once).toBe(1);
  });

  it('fails naming what it waited for once the timeout has passed', async () => {
    let calls = 0;
    await expect(eventually(() => (++calls, false), 'the moon', 60)).rejects.toThrow(new Error('timed out waiting for the moon'));
    expect(calls).toBeGreaterThan(1);
  });

  it('polls once more when the deadline is reached but not passed', async () => {
    // Date.now() stands still: with a timeout of 0 the deadline is now, which has not passed,
    // so a false predicate is asked again rather than timing out.
    vi.spyOn(Date, 'now').mockReturnValue(1_000_000);
    let calls = 0;
    await eventually(() => ++calls === 2, 'the second call', 0);
    expect(calls).toBe(2);
  });
});

describe('sameBytes', () => {
  it('is true only for the same length and the same bytes', () => {
    expect(sameBytes(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 3]))).toBe(true);
    expect(sameBytes(new Uint8Array([]), new Uint8Array([]))).toBe(true);
    expect(sameBytes(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2]))).toBe(false);
    expect(sameBytes(new Uint8Array([1, 2]), new Uint8Array([1, 2, 3]))).toBe(false);
    expect(sameBytes(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 4]))).toBe(false);
    expect(sameBytes(new Uint8Array([9, 2, 3]), new Uint8Array([1, 2, 3]))).toBe(false);
  });
});
