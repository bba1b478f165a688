import type { FastifyReply, FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { AmbiguousError, GittyError, NotAtHeadError, StorageFullError } from '@gitty/core';
import { errorHandler, errorResponse, HttpError } from '../src/http-errors.js';

// errorResponse and errorHandler in the test process: the answer to every kind of error the
// server meets (its own, the core's, fastify's validation and parser errors, anything else),
// exactly, and which failures are logged.

function validation(context: string, entry: Record<string, unknown>, message = 'bad'): Error {
  return Object.assign(new Error(message), { validation: [entry], validationContext: context });
}

describe('errorResponse', () => {
  it('answers an HttpError with its status, code, message and headers', () => {
    expect(errorResponse(new HttpError(429, 'RATE_LIMITED', 'slow down', { 'retry-after': '3' }))).toEqual({
      status: 429,
      body: { code: 'RATE_LIMITED', message: 'slow down' },
      headers: { 'retry-after': '3' },
    });
    expect(errorResponse(new HttpError(421, 'HOST_NOT_ALLOWED', 'no')).headers).toEqual({});
  });

  it('answers STORAGE_FULL without the server\'s paths', () => {
    expect(errorResponse(new StorageFullError('/srv/secret/store/objects/ab: no space'))).toEqual({
      status: 507,
      body: { code: 'STORAGE_FULL', message: 'The server\'s storage is full: nothing was stored; retry once space is freed' },
      headers: {},
    });
  });

  it('adds the head of a conflict, when it is a string', () => {
    const conflict = new NotAtHeadError('f.txt', 'a'.repeat(40), 'b'.repeat(40));
    expect(errorResponse(conflict).body).toEqual({ code: 'NOT_AT_HEAD', message: conflict.message, head: 'a'.repeat(40) });
    const deleted = new NotAtHeadError('f.txt', null, 'b'.repeat(40));
    expect(errorResponse(deleted).body).toEqual({ code: 'NOT_AT_HEAD', message: deleted.message });
    const withHead = Object.assign(new GittyError('NOT_AT_HEAD', 'moved'), { head: 'c'.repeat(40) });
    expect(errorResponse(withHead)).toEqual({ status: 409, body: { code: 'NOT_AT_HEAD', message: 'moved', head: 'c'.repeat(40) }, headers: {} });
    const numberHead = Object.assign(new GittyError('NOT_AT_HEAD', 'moved'), { head: 5 });
    expect(errorResponse(numberHead).body).toEqual({ code: 'NOT_AT_HEAD', message: 'moved' });
  });

  it('answers AMBIGUOUS with the prefix and candidates only when they are there', () => {
    const candidates = [{ hash: 'a'.repeat(40), type: 'blob', size: 3 }];
    expect(errorResponse(new AmbiguousError('aaaa', candidates as never)).body).toEqual({
      code: 'AMBIGUOUS',
      message: expect.any(String),
      prefix: 'aaaa',
      candidates: [{ hash: 'a'.repeat(40), type: 'blob' }],
    });
    const bare = new GittyError('AMBIGUOUS', 'several');
    expect(errorResponse(bare).body).toEqual({ code: 'AMBIGUOUS', message: 'several' });
    const noPrefix = Object.assign(new GittyError('AMBIGUOUS', 'several'), { candidates: [], prefix: 7 });
    expect(errorResponse(noPrefix).body).toEqual({ code: 'AMBIGUOUS', message: 'several', candidates: [] });
  });

  it('gives a code the catalogue lacks 500', () => {
    const stranger = Object.assign(new GittyError('NOT_FOUND', 'x'), { code: 'NEW_CODE' });
    expect(errorResponse(stranger).status).toBe(500);
  });

  it.each([
    ['params', { instancePath: '/name', keyword: 'pattern' }, 'INVALID_NAME'],
    ['querystring', { instancePath: '/name', keyword: 'pattern' }, 'INVALID_ARGUMENT'],
    ['params', { instancePath: '/hash', keyword: 'pattern' }, 'INVALID_HASH'],
    ['querystring', { instancePath: '/version', keyword: 'pattern' }, 'INVALID_HASH'],
    ['querystring', { instancePath: '/includes', keyword: 'pattern' }, 'INVALID_HASH'],
    ['params', { instancePath: '/previous', keyword: 'type' }, 'INVALID_HASH'],
    ['body', { instancePath: '/hash', keyword: 'type' }, 'INVALID_ARGUMENT'],
    ['body', { instancePath: '/previous', keyword: 'pattern' }, 'INVALID_HASH'],
    ['body', { instancePath: '/previous', keyword: 'type' }, 'INVALID_ARGUMENT'],
    ['body', { instancePath: '', keyword: 'required', params: { missingProperty: 'data' } }, 'INVALID_ARGUMENT'],
    ['params', { instancePath: '', keyword: 'required', params: { missingProperty: 'name' } }, 'INVALID_NAME'],
    ['querystring', { instancePath: '', keyword: 'required', params: { missingProperty: 'hash' } }, 'INVALID_HASH'],
    ['querystring', { instancePath: '/depth', keyword: 'minimum' }, 'INVALID_ARGUMENT'],
  ])('answers a %s validation failure %j with %s', (context, entry, code) => {
    expect(errorResponse(validation(context, entry, 'querystring/x must match'))).toEqual({
      status: 400,
      body: { code, message: 'querystring/x must match' },
      headers: {},
    });
  });

  it.each([
    ['an empty list', []],
    ['an entry without a path or params', [{ keyword: 'x' }]],
    ['a missing name without a path', [{ keyword: 'required', params: { missingProperty: 'name' } }]],
  ])('answers a validation failure with %s without failing itself', (_what, entries) => {
    const error = Object.assign(new Error('invalid'), { validation: entries, validationContext: 'querystring' });
    expect(errorResponse(error)).toEqual({ status: 400, body: { code: 'INVALID_ARGUMENT', message: 'invalid' }, headers: {} });
  });

  it.each([
    ['FST_ERR_CTP_BODY_TOO_LARGE', 413, 'OBJECT_TOO_LARGE', 'The request body exceeds the server\'s body limit'],
    ['FST_ERR_CTP_INVALID_MEDIA_TYPE', 415, 'UNSUPPORTED_MEDIA_TYPE', 'Send request bodies as application/json'],
    ['FST_ERR_CTP_EMPTY_JSON_BODY', 400, 'INVALID_ARGUMENT', 'The request body is not valid JSON'],
    ['FST_ERR_CTP_INVALID_JSON_BODY', 400, 'INVALID_ARGUMENT', 'The request body is not valid JSON'],
  ])('answers fastify\'s %s with %i %s', (fastifyCode, status, code, message) => {
    expect(errorResponse(Object.assign(new Error('fastify says'), { code: fastifyCode, statusCode: 400 }))).toEqual({ status, body: { code, message }, headers: {} });
  });

  it('answers a JSON syntax error 400', () => {
    expect(errorResponse(new SyntaxError('Unexpected token'))).toEqual({
      status: 400,
      body: { code: 'INVALID_ARGUMENT', message: 'The request body is not valid JSON' },
      headers: {},
    });
  });

  it('passes other client errors on with their status and message, at 400 and 499', () => {
    for (const status of [400, 404, 499]) {
      expect(errorResponse(Object.assign(new Error('client side'), { statusCode: status }))).toEqual({
        status,
        body: { code: 'INVALID_ARGUMENT', message: 'client side' },
        headers: {},
      });
    }
  });

  it.each([
    ['a plain Error', new Error('boom at /srv/secret')],
    ['a 500 from fastify', Object.assign(new Error('boom'), { statusCode: 500 })],
    ['a 399 status', Object.assign(new Error('boom'), { statusCode: 399 })],
    ['a string status', Object.assign(new Error('boom'), { statusCode: '404' })],
    ['undefined', undefined],
    ['null', null],
    ['a string', 'boom'],
  ])('answers %s with 500 INTERNAL and no detail', (_what, error) => {
    expect(errorResponse(error)).toEqual({ status: 500, body: { code: 'INTERNAL', message: 'Internal server error' }, headers: {} });
  });
});

interface Sent {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
}

function fakeReply(): { reply: FastifyReply; sent: Sent } {
  const sent: Sent = {};
  const reply = {
    code(status: number) {
      sent.status = status;
      return reply;
    },
    headers(headers: Record<string, string>) {
      sent.headers = headers;
      return reply;
    },
    send(body: unknown) {
      sent.body = body;
      return reply;
    },
  };
  return { reply: reply as unknown as FastifyReply, sent };
}

function fakeRequest(logged: unknown[]): FastifyRequest {
  return { method: 'PUT', url: '/files/a.txt?x=1', log: { error: (...args: unknown[]) => logged.push(args) } } as unknown as FastifyRequest;
}

describe('errorHandler', () => {
  it('answers and logs a server failure as one line to errorLog, with the path but not the query', () => {
    const lines: string[] = [];
    const logged: unknown[] = [];
    const { reply, sent } = fakeReply();
    const failure = new Error('disk on fire');
    failure.stack = 'Error: disk on fire\n    at one (a.js:1)\n    at two (b.js:2)';
    errorHandler({ write: (line) => lines.push(line) })(failure, fakeRequest(logged), reply);
    expect(sent).toEqual({ status: 500, headers: {}, body: { code: 'INTERNAL', message: 'Internal server error' } });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z PUT \/files\/a\.txt → 500: Error: disk on fire \| at one \(a\.js:1\) \| at two \(b\.js:2\)\n$/);
    expect(logged).toEqual([]);
  });

  it('describes an error without a stack by name and message, and a non-error as text', () => {
    const lines: string[] = [];
    const noStack = new TypeError('bad thing');
    noStack.stack = undefined;
    errorHandler({ write: (line) => lines.push(line) })(noStack, fakeRequest([]), fakeReply().reply);
    errorHandler({ write: (line) => lines.push(line) })(42, fakeRequest([]), fakeReply().reply);
    expect(lines[0]).toMatch(/ PUT \/files\/a\.txt → 500: TypeError: bad thing\n$/);
    expect(lines[1]).toMatch(/ PUT \/files\/a\.txt → 500: 42\n$/);
  });

  it('logs to fastify\'s logger when there is no errorLog', () => {
    const logged: unknown[] = [];
    const failure = new GittyError('LOCK_TIMEOUT', 'stuck');
    const { reply, sent } = fakeReply();
    errorHandler(undefined)(failure, fakeRequest(logged), reply);
    expect(sent).toEqual({ status: 503, headers: {}, body: { code: 'LOCK_TIMEOUT', message: 'stuck' } });
    expect(logged).toEqual([[{ err: failure }, 'request failed']]);
  });

  it('logs nothing for client errors and for 501 UNSUPPORTED', () => {
    const lines: string[] = [];
    const logged: unknown[] = [];
    for (const error of [new GittyError('UNSUPPORTED', 'no packs here'), new GittyError('NOT_FOUND', 'gone'), new HttpError(499, 'INTERNAL', 'x')]) {
      errorHandler({ write: (line) => lines.push(line) })(error, fakeRequest(logged), fakeReply().reply);
      errorHandler(undefined)(error, fakeRequest(logged), fakeReply().reply);
    }
    expect(lines).toEqual([]);
    expect(logged).toEqual([]);
  });

  it('logs a 500 and the 5xx statuses beyond 501', () => {
    const lines: string[] = [];
    for (const error of [new HttpError(500, 'INTERNAL', 'a'), new HttpError(502, 'INTERNAL', 'b'), new GittyError('STORAGE_FULL', 'c')]) {
      errorHandler({ write: (line) => lines.push(line) })(error, fakeRequest([]), fakeReply().reply);
    }
    expect(lines.map((line) => line.split(' ').slice(1, 5).join(' '))).toEqual(['PUT /files/a.txt → 500:', 'PUT /files/a.txt → 502:', 'PUT /files/a.txt → 507:']);
  });
});
