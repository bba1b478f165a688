import { describe, expect, it } from 'vitest';
import { resolveOptions, type ServerOptions } from '../src/options.js';

// resolveOptions in the test process: every default, every refusal with its exact message, and
// the boundaries of each check (the API tests only ever start servers with valid options).

const store = { driver: 'memory' } as const;

function refusal(options: unknown): { code: string; message: string } {
  try {
    resolveOptions(options as ServerOptions);
  } catch (err) {
    const { code, message } = err as { code: string; message: string };
    return { code, message };
  }
  throw new Error('resolveOptions accepted the options');
}

describe('resolveOptions defaults', () => {
  it('fills every option a caller leaves out', () => {
    const resolved = resolveOptions({ store });
    expect(resolved).toEqual({
      port: 8080,
      host: '127.0.0.1',
      bodyLimit: 16 * 1024 * 1024,
      writeRateLimit: { rate: 10, burst: 50 },
      token: undefined,
      corsOrigins: [],
      keepAliveMs: 15_000,
      webPage: true,
      logger: false,
      trustProxy: false,
      acceptClientTime: false,
      errorLog: process.stderr,
      allowedHosts: [],
      authFailureLimit: { rate: 0.1, burst: 10 },
    });
  });

  it('keeps every option a caller gives', () => {
    const errorLog = { write: () => undefined };
    const resolved = resolveOptions({
      store,
      port: 0,
      host: '0.0.0.0',
      bodyLimit: 1,
      writeRateLimit: false,
      token: 't',
      corsOrigins: ['https://a.example'],
      keepAliveMs: 1,
      webPage: false,
      logger: true,
      trustProxy: true,
      acceptClientTime: true,
      errorLog,
      allowedHosts: ['gitty.example'],
      authFailureLimit: false,
    });
    expect(resolved).toEqual({
      port: 0,
      host: '0.0.0.0',
      bodyLimit: 1,
      writeRateLimit: false,
      token: 't',
      corsOrigins: ['https://a.example'],
      keepAliveMs: 1,
      webPage: false,
      logger: true,
      trustProxy: true,
      acceptClientTime: true,
      errorLog,
      allowedHosts: ['gitty.example'],
      authFailureLimit: false,
    });
    expect(resolved.errorLog).toBe(errorLog);
  });

  it('gives a bucket without a burst the rate rounded up, and at least 1', () => {
    expect(resolveOptions({ store, writeRateLimit: { rate: 2.5 } as never }).writeRateLimit).toEqual({ rate: 2.5, burst: 3 });
    expect(resolveOptions({ store, writeRateLimit: { rate: 0.01 } as never }).writeRateLimit).toEqual({ rate: 0.01, burst: 1 });
    expect(resolveOptions({ store, authFailureLimit: { rate: 7, burst: 2 } }).authFailureLimit).toEqual({ rate: 7, burst: 2 });
  });
});

describe('resolveOptions refusals', () => {
  it.each([null, undefined, 'x', 3])('refuses options that are not an object (%s)', (options) => {
    expect(refusal(options)).toEqual({ code: 'INVALID_CONFIG', message: 'Server options must be an object' });
  });

  it('takes port 0 and 65535 and refuses what lies outside', () => {
    expect(resolveOptions({ store, port: 0 }).port).toBe(0);
    expect(resolveOptions({ store, port: 65535 }).port).toBe(65535);
    expect(refusal({ store, port: 65536 })).toEqual({ code: 'INVALID_CONFIG', message: 'Server option "port" must be at most 65535' });
    for (const port of [-1, 1.5, '80', Number.NaN, 2 ** 53]) {
      expect(refusal({ store, port })).toEqual({ code: 'INVALID_CONFIG', message: 'Server option "port" must be a non-negative integer' });
    }
  });

  it('refuses a body limit or keep-alive interval under 1', () => {
    expect(resolveOptions({ store, bodyLimit: 1, keepAliveMs: 1 })).toMatchObject({ bodyLimit: 1, keepAliveMs: 1 });
    expect(refusal({ store, bodyLimit: 0 })).toEqual({ code: 'INVALID_CONFIG', message: 'Server option "bodyLimit" must be a positive integer' });
    expect(refusal({ store, keepAliveMs: 0 })).toEqual({ code: 'INVALID_CONFIG', message: 'Server option "keepAliveMs" must be a positive integer' });
    expect(refusal({ store, keepAliveMs: '5' })).toEqual({ code: 'INVALID_CONFIG', message: 'Server option "keepAliveMs" must be a positive integer' });
  });

  it.each(['', 5])('refuses a host that is not a non-empty string (%s)', (host) => {
    expect(refusal({ store, host })).toEqual({ code: 'INVALID_CONFIG', message: 'Server option "host" must be a non-empty string' });
  });

  it.each([
    ['writeRateLimit', { rate: 0, burst: 1 }],
    ['writeRateLimit', { rate: -1 }],
    ['writeRateLimit', { rate: Number.POSITIVE_INFINITY }],
    ['writeRateLimit', { rate: '1' }],
    ['authFailureLimit', { rate: 0 }],
  ])('refuses %s with rate %j', (key, value) => {
    expect(refusal({ store, [key]: value })).toEqual({ code: 'INVALID_CONFIG', message: `Server option "${key}.rate" must be a positive number per second` });
  });

  it('refuses a bucket whose burst is not a positive integer', () => {
    expect(refusal({ store, writeRateLimit: { rate: 1, burst: 0 } })).toEqual({ code: 'INVALID_CONFIG', message: 'Server option "writeRateLimit.burst" must be a positive integer' });
    expect(refusal({ store, authFailureLimit: { rate: 1, burst: 1.5 } })).toEqual({ code: 'INVALID_CONFIG', message: 'Server option "authFailureLimit.burst" must be a positive integer' });
  });

  it.each([['localhost'], [['']], [[5]], [[['a.example']]]])('refuses allowedHosts %j', (allowedHosts) => {
    expect(refusal({ store, allowedHosts })).toEqual({ code: 'INVALID_CONFIG', message: 'Server option "allowedHosts" must be an array of host names such as "gitty.example.org"' });
  });

  it.each([[{}], [{ write: 'x' }], [null]])('refuses an errorLog without a write method (%j)', (errorLog) => {
    expect(refusal({ store, errorLog })).toEqual({ code: 'INVALID_CONFIG', message: 'Server option "errorLog" must have a write(line) method' });
  });

  it.each(['', 42])('refuses a token that is not a non-empty string (%j)', (token) => {
    expect(refusal({ store, token })).toEqual({ code: 'INVALID_CONFIG', message: 'Server option "token" must be a non-empty string' });
  });

  it.each([['https://a.example'], [['']], [[1]], [[['https://a.example']]]])('refuses corsOrigins %j', (corsOrigins) => {
    expect(refusal({ store, corsOrigins })).toEqual({ code: 'INVALID_CONFIG', message: 'Server option "corsOrigins" must be an array of origins such as "https://example.org"' });
  });
});
