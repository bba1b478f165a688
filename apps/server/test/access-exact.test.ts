import type { FastifyReply, FastifyRequest } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { applyCors, hostGuard, hostName, writeGuard } from '../src/access.js';
import { resolveOptions, type ServerOptions } from '../src/options.js';

// The access checks in the test process, with requests and replies as plain objects: every
// status, code, message and header exactly, and the token and rate buckets counted to the write.

function options(extra: Partial<ServerOptions> = {}) {
  return resolveOptions({ store: { driver: 'memory' }, ...extra });
}

function request(method: string, headers: Record<string, string> = {}, ip = '10.0.0.1'): FastifyRequest {
  return { method, headers, ip } as unknown as FastifyRequest;
}

function thrown(check: () => void): Record<string, unknown> | undefined {
  try {
    check();
  } catch (err) {
    const { statusCode, code, message, headers } = err as Record<string, unknown>;
    return { statusCode, code, message, headers };
  }
  return undefined;
}

const unauthorized = {
  statusCode: 401,
  code: 'UNAUTHORIZED',
  message: 'Writes need "Authorization: Bearer <token>" with the server\'s token',
  headers: { 'www-authenticate': 'Bearer realm="gitty"' },
};

afterEach(() => {
  vi.useRealTimers();
});

describe('writeGuard: the token', () => {
  const guard = () => writeGuard(options({ token: 's3cret', writeRateLimit: false }));

  it('lets reads through without a token', () => {
    const check = guard();
    for (const method of ['GET', 'HEAD', 'OPTIONS']) expect(thrown(() => check(request(method)))).toBeUndefined();
  });

  it.each(['POST', 'PUT', 'DELETE', 'PATCH'])('asks %s for the token', (method) => {
    expect(thrown(() => guard()(request(method)))).toEqual(unauthorized);
  });

  it('takes the right token in any case of "Bearer", with spaces around it', () => {
    const check = guard();
    for (const header of ['Bearer s3cret', 'bearer s3cret', 'BEARER   s3cret  ', 'Bearer\ts3cret']) {
      expect(thrown(() => check(request('POST', { authorization: header })))).toBeUndefined();
    }
  });

  it.each(['Bearer wrong', 'Basic s3cret', 'Bearer', 'Bearer s3cret extra', 'xBearer s3cret', 's3cret', ''])('refuses %j', (header) => {
    expect(thrown(() => guard()(request('POST', { authorization: header })))).toEqual(unauthorized);
  });

  it('holds a guesser at 429 once its failure bucket is empty, per client, until it refills', () => {
    vi.useFakeTimers();
    const check = writeGuard(options({ token: 's3cret', writeRateLimit: false, authFailureLimit: { rate: 0.5, burst: 2 } }));
    const wrong = (ip = '10.0.0.1') => thrown(() => check(request('POST', { authorization: 'Bearer nope' }, ip)));
    expect(wrong()).toEqual(unauthorized);
    expect(wrong()).toEqual(unauthorized);
    const locked = {
      statusCode: 429,
      code: 'RATE_LIMITED',
      message: 'Too many failed token attempts from this client; retry in 2 s',
      headers: { 'retry-after': '2' },
    };
    expect(wrong()).toEqual(locked);
    // Even the right token waits: the guesser is held whatever it sends.
    expect(thrown(() => check(request('POST', { authorization: 'Bearer s3cret' })))).toEqual(locked);
    expect(wrong('10.0.0.2')).toEqual(unauthorized);
    vi.advanceTimersByTime(1000);
    expect(wrong()).toEqual({ ...locked, message: 'Too many failed token attempts from this client; retry in 1 s', headers: { 'retry-after': '1' } });
    vi.advanceTimersByTime(1000);
    expect(thrown(() => check(request('POST', { authorization: 'Bearer s3cret' })))).toBeUndefined();
  });

  it('never locks anyone out when the failure bucket is off', () => {
    const check = writeGuard(options({ token: 's3cret', writeRateLimit: false, authFailureLimit: false }));
    for (let i = 0; i < 50; i++) expect(thrown(() => check(request('POST', { authorization: 'Bearer nope' })))).toEqual(unauthorized);
    expect(thrown(() => check(request('POST', { authorization: 'Bearer s3cret' })))).toBeUndefined();
  });

  it('asks nobody for a token when none is set', () => {
    const check = writeGuard(options({ writeRateLimit: false }));
    expect(thrown(() => check(request('POST', { authorization: 'Bearer anything' })))).toBeUndefined();
    expect(thrown(() => check(request('DELETE')))).toBeUndefined();
  });
});

describe('writeGuard: the write bucket', () => {
  it('allows a burst of writes per client, then answers 429 with Retry-After', () => {
    vi.useFakeTimers();
    const check = writeGuard(options({ writeRateLimit: { rate: 1, burst: 2 } }));
    expect(thrown(() => check(request('PUT')))).toBeUndefined();
    expect(thrown(() => check(request('PUT')))).toBeUndefined();
    expect(thrown(() => check(request('PUT')))).toEqual({
      statusCode: 429,
      code: 'RATE_LIMITED',
      message: 'Too many writes from this client; retry in 1 s',
      headers: { 'retry-after': '1' },
    });
    expect(thrown(() => check(request('PUT', {}, '10.0.0.9')))).toBeUndefined();
    // Reads take no token.
    for (let i = 0; i < 5; i++) expect(thrown(() => check(request('GET')))).toBeUndefined();
    vi.advanceTimersByTime(1000);
    expect(thrown(() => check(request('PUT')))).toBeUndefined();
  });

  it('counts only writes that passed the token check', () => {
    const check = writeGuard(options({ token: 't', writeRateLimit: { rate: 1, burst: 1 }, authFailureLimit: false }));
    for (let i = 0; i < 3; i++) expect(thrown(() => check(request('POST')))).toEqual(unauthorized);
    expect(thrown(() => check(request('POST', { authorization: 'Bearer t' })))).toBeUndefined();
    expect(thrown(() => check(request('POST', { authorization: 'Bearer t' })))).toMatchObject({ statusCode: 429, code: 'RATE_LIMITED' });
  });
});

interface RecordedReply {
  headers: Record<string, string>;
  status?: number;
  sent: boolean;
}

function reply(): { reply: FastifyReply; recorded: RecordedReply } {
  const recorded: RecordedReply = { headers: {}, sent: false };
  const r = {
    header(name: string, value: string) {
      recorded.headers[name] = value;
      return r;
    },
    code(status: number) {
      recorded.status = status;
      return r;
    },
    send() {
      recorded.sent = true;
      return r;
    },
  };
  return { reply: r as unknown as FastifyReply, recorded };
}

describe('applyCors', () => {
  const exposed = 'X-Gitty-Commit, X-Gitty-Type, Retry-After';

  it('does nothing without configured origins, or for a request without an Origin', () => {
    for (const [opts, headers] of [
      [options(), { origin: 'https://a.example' }],
      [options({ corsOrigins: ['https://a.example'] }), {}],
    ] as const) {
      const { reply: r, recorded } = reply();
      expect(applyCors(opts, request('GET', headers), r)).toBe(false);
      expect(recorded).toEqual({ headers: {}, sent: false });
    }
  });

  it('does nothing for a request without an Origin even when * is listed', () => {
    const { reply: r, recorded } = reply();
    expect(applyCors(options({ corsOrigins: ['*'] }), request('GET', {}), r)).toBe(false);
    expect(recorded).toEqual({ headers: {}, sent: false });
  });

  it('answers only OPTIONS itself: a GET carrying Access-Control-Request-Method goes on to the routes', () => {
    const { reply: r, recorded } = reply();
    expect(applyCors(options({ corsOrigins: ['https://a.example'] }), request('GET', { origin: 'https://a.example', 'access-control-request-method': 'PUT' }), r)).toBe(false);
    expect(recorded.sent).toBe(false);
    expect(recorded.status).toBeUndefined();
  });

  it('answers a listed origin with itself, and refuses others', () => {
    const opts = options({ corsOrigins: ['https://a.example', 'https://b.example'] });
    const { reply: r, recorded } = reply();
    expect(applyCors(opts, request('GET', { origin: 'https://b.example' }), r)).toBe(false);
    expect(recorded).toEqual({
      headers: { 'access-control-allow-origin': 'https://b.example', vary: 'Origin', 'access-control-expose-headers': exposed },
      sent: false,
    });
    const other = reply();
    expect(applyCors(opts, request('GET', { origin: 'https://evil.example' }), other.reply)).toBe(false);
    expect(other.recorded).toEqual({ headers: {}, sent: false });
  });

  it('answers any origin with * when * is listed', () => {
    const { reply: r, recorded } = reply();
    expect(applyCors(options({ corsOrigins: ['https://a.example', '*'] }), request('GET', { origin: 'https://z.example' }), r)).toBe(false);
    expect(recorded.headers['access-control-allow-origin']).toBe('*');
  });

  it('answers a preflight itself with 204 and the allowed methods and headers', () => {
    const { reply: r, recorded } = reply();
    const preflight = request('OPTIONS', { origin: 'https://a.example', 'access-control-request-method': 'PUT' });
    expect(applyCors(options({ corsOrigins: ['https://a.example'] }), preflight, r)).toBe(true);
    expect(recorded).toEqual({
      headers: {
        'access-control-allow-origin': 'https://a.example',
        vary: 'Origin',
        'access-control-expose-headers': exposed,
        'access-control-allow-methods': 'GET, POST, PUT, DELETE',
        'access-control-allow-headers': 'Authorization, Content-Type',
        'access-control-max-age': '600',
      },
      status: 204,
      sent: true,
    });
  });

  it('leaves an OPTIONS request without Access-Control-Request-Method to the routes', () => {
    const { reply: r, recorded } = reply();
    expect(applyCors(options({ corsOrigins: ['https://a.example'] }), request('OPTIONS', { origin: 'https://a.example' }), r)).toBe(false);
    expect(recorded.sent).toBe(false);
    expect(recorded.status).toBeUndefined();
  });
});

describe('hostName', () => {
  it.each([
    ['Example.ORG:8080', 'example.org'],
    ['  example.org  ', 'example.org'],
    ['example.org', 'example.org'],
    ['127.0.0.1:80', '127.0.0.1'],
    ['[::1]:8080', '[::1]'],
    ['[::1]', '[::1]'],
    ['[FE80::1]:1', '[fe80::1]'],
    ['', ''],
    [':8080', ''],
  ])('%j names %j', (header, name) => {
    expect(hostName(header)).toBe(name);
  });
});

describe('hostGuard', () => {
  const refusedFor = (name: string) => ({
    statusCode: 421,
    code: 'HOST_NOT_ALLOWED',
    message: `This server does not answer for host "${name}"; start it with allowedHosts (--allow-host) to add it`,
    headers: {},
  });
  const ask = (check: (r: FastifyRequest) => void, host: string | undefined) =>
    thrown(() => check(request('GET', host === undefined ? {} : { host })));

  it('answers every loopback name for a loopback host, and nothing else', () => {
    for (const host of ['127.0.0.1', 'localhost', '::1', '[::1]']) {
      const check = hostGuard({ host, allowedHosts: [] }, 'mybox');
      for (const name of ['localhost:8080', '127.0.0.1:1', '[::1]:2', 'LOCALHOST']) expect(ask(check, name)).toBeUndefined();
      expect(ask(check, 'evil.example:8080')).toEqual(refusedFor('evil.example'));
      expect(ask(check, 'mybox')).toEqual(refusedFor('mybox'));
      expect(ask(check, '10.1.2.3')).toEqual(refusedFor('10.1.2.3'));
      // No Host header at all is no loopback name either.
      expect(ask(check, undefined)).toEqual(refusedFor(''));
    }
  });

  it('answers a named host and the allowed hosts only', () => {
    const check = hostGuard({ host: 'gitty.internal', allowedHosts: ['Gitty.Example.org:443'] }, 'mybox');
    expect(ask(check, 'gitty.internal:8080')).toBeUndefined();
    expect(ask(check, 'gitty.example.org')).toBeUndefined();
    expect(ask(check, 'localhost')).toEqual(refusedFor('localhost'));
    expect(ask(check, '10.1.2.3')).toEqual(refusedFor('10.1.2.3'));
    expect(ask(check, undefined)).toEqual(refusedFor(''));
  });

  it('answers any IP literal, localhost and the machine name on a wildcard host', () => {
    for (const host of ['0.0.0.0', '::', '[::]']) {
      const check = hostGuard({ host, allowedHosts: [] }, 'MyBox');
      for (const name of ['10.1.2.3:80', '[fe80::1]', 'localhost', 'mybox:8080']) expect(ask(check, name)).toBeUndefined();
      expect(ask(check, 'evil.example')).toEqual(refusedFor('evil.example'));
      // Not IP literals: a name that only looks like one, and digits with too many parts.
      expect(ask(check, '1.2.3.4.evil')).toEqual(refusedFor('1.2.3.4.evil'));
      expect(ask(check, '1.2.3')).toEqual(refusedFor('1.2.3'));
      expect(ask(check, '1234.1.1.1')).toEqual(refusedFor('1234.1.1.1'));
      expect(ask(check, '[fe80::g]')).toEqual(refusedFor('[fe80::g]'));
    }
  });

  it('takes multi-digit IPv4 parts as IP literals on a wildcard host, and not a name ending in a bracketed literal', () => {
    const check = hostGuard({ host: '0.0.0.0', allowedHosts: [] }, 'mybox');
    expect(ask(check, '10.11.123.45:80')).toBeUndefined();
    expect(ask(check, 'evil[::1]:80')).toEqual(refusedFor('evil[::1]'));
  });

  it('answers a bracketed IPv6 host, and loopback names for a host given in capitals', () => {
    const check = hostGuard({ host: '[fe80::2]', allowedHosts: [] }, 'mybox');
    expect(ask(check, '[fe80::2]:8080')).toBeUndefined();
    expect(ask(check, 'localhost')).toEqual(refusedFor('localhost'));
    const upper = hostGuard({ host: 'LOCALHOST', allowedHosts: [] }, 'mybox');
    expect(ask(upper, '127.0.0.1:8080')).toBeUndefined();
    expect(ask(upper, '[::1]')).toBeUndefined();
  });

  it('answers an IPv6 host given without brackets', () => {
    const check = hostGuard({ host: 'fe80::2', allowedHosts: [] }, 'mybox');
    expect(ask(check, '[fe80::2]:8080')).toBeUndefined();
    expect(ask(check, 'localhost')).toEqual(refusedFor('localhost'));
    expect(ask(check, '[fe80::3]')).toEqual(refusedFor('[fe80::3]'));
  });

  it('answers anything when * is allowed', () => {
    const check = hostGuard({ host: '127.0.0.1', allowedHosts: ['gitty.example', '*'] }, 'mybox');
    expect(ask(check, 'evil.example')).toBeUndefined();
    expect(ask(check, undefined)).toBeUndefined();
  });
});
