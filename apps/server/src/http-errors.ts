import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isGittyError, type ErrorCode, type GittyError } from '@gitty/core';

/** Codes the HTTP layer adds to the core's catalogue (auth, rate limit, unexpected failures). */
export type ServerErrorCode = 'UNAUTHORIZED' | 'RATE_LIMITED' | 'UNSUPPORTED_MEDIA_TYPE' | 'HOST_NOT_ALLOWED' | 'INTERNAL';

/** The body of every error response. Conflicts add `head` and `diffs` (see the conflict route). */
export interface ErrorBody {
  code: ErrorCode | ServerErrorCode;
  message: string;
  [extra: string]: unknown;
}

/** An error raised by the HTTP layer itself, carrying its status and code. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: ServerErrorCode | ErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/**
 * HTTP status of each core error code. A complete record, so a code added to the catalogue
 * does not compile until it is given a status here (no accidental 500s).
 */
const STATUS: Record<ErrorCode, number> = {
  NOT_FOUND: 404,
  FILE_EXISTS: 409,
  NOT_AT_HEAD: 409,
  INVALID_NAME: 400,
  INVALID_HASH: 400,
  // A hash prefix matching several objects: the client gives more digits (the body lists them).
  AMBIGUOUS: 400,
  INVALID_ARGUMENT: 400,
  INVALID_CONFIG: 400,
  OBJECT_TOO_LARGE: 413,
  // The server's own store is damaged, or its driver missing: a server failure, logged.
  CORRUPT_OBJECT: 500,
  DRIVER_NOT_FOUND: 500,
  UNSUPPORTED: 501,
  OBJECT_UNAVAILABLE: 503,
  REDIS_UNAVAILABLE: 503,
  LOCK_TIMEOUT: 503,
  CLOSED: 503,
  STORAGE_FULL: 507,
  // Only the server's own shutdown aborts work: retry later.
  ABORTED: 503,
};

/** What an error adds to `{code, message}`: the head of a conflict, the candidates of AMBIGUOUS. */
function details(error: unknown): Record<string, unknown> {
  const extra: Record<string, unknown> = {};
  // Checked, not trusted: a GittyError('AMBIGUOUS') from elsewhere may lack the fields.
  if (isGittyError(error, 'AMBIGUOUS') && Array.isArray(error.candidates)) {
    if (typeof error.prefix === 'string') extra.prefix = error.prefix;
    extra.candidates = error.candidates.map(({ hash, type }) => ({ hash, type }));
  }
  if (isGittyError(error) && 'head' in error && typeof error.head === 'string') extra.head = error.head;
  return extra;
}

/** The message answered: the error's own, but without the server's file paths where it names one. */
function publicMessage(error: GittyError): string {
  if (error.code === 'STORAGE_FULL') return 'The server\'s storage is full: nothing was stored; retry once space is freed';
  return error.message;
}

/** Which validation failures are about names and which about hashes, by the field's name. */
const HASH_FIELDS = new Set(['hash', 'previous', 'includes', 'version']);

function validationCode(error: FastifyError): ErrorCode {
  const field = error.validation?.[0]?.instancePath?.split('/')[1]
    ?? (error.validation?.[0]?.params as { missingProperty?: string } | undefined)?.missingProperty;
  if (error.validationContext === 'params' && field === 'name') return 'INVALID_NAME';
  if (field && HASH_FIELDS.has(field) && error.validationContext !== 'body') return 'INVALID_HASH';
  if (field === 'previous' && error.validation?.[0]?.keyword === 'pattern') return 'INVALID_HASH';
  return 'INVALID_ARGUMENT';
}

/** Turn any error into a status and an `{code, message}` body; never leaks a stack trace. */
export function errorResponse(error: unknown): { status: number; body: ErrorBody; headers: Record<string, string> } {
  if (error instanceof HttpError) {
    return { status: error.statusCode, body: { code: error.code, message: error.message }, headers: error.headers };
  }
  if (isGittyError(error)) {
    return { status: STATUS[error.code] ?? 500, body: { code: error.code, message: publicMessage(error), ...details(error) }, headers: {} };
  }
  const fe = error as FastifyError;
  if (fe && Array.isArray(fe.validation)) {
    return { status: 400, body: { code: validationCode(fe), message: fe.message }, headers: {} };
  }
  switch (fe?.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, body: { code: 'OBJECT_TOO_LARGE', message: 'The request body exceeds the server\'s body limit' }, headers: {} };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, body: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Send request bodies as application/json' }, headers: {} };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { status: 400, body: { code: 'INVALID_ARGUMENT', message: 'The request body is not valid JSON' }, headers: {} };
  }
  if (fe instanceof SyntaxError) {
    return { status: 400, body: { code: 'INVALID_ARGUMENT', message: 'The request body is not valid JSON' }, headers: {} };
  }
  if (typeof fe?.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return { status: fe.statusCode, body: { code: 'INVALID_ARGUMENT', message: fe.message }, headers: {} };
  }
  return { status: 500, body: { code: 'INTERNAL', message: 'Internal server error' }, headers: {} };
}

/**
 * A fastify error handler: answers `{code, message}` and logs failures (5xx but 501) — to
 * fastify's logger when it is on, else one line to `errorLog`, so a 500 is never silent.
 */
export function errorHandler(errorLog: { write(line: string): unknown } | undefined) {
  return (error: unknown, request: FastifyRequest, reply: FastifyReply): void => {
    const { status, body, headers } = errorResponse(error);
    // 501 is an answer (the driver cannot do that), not a failure to look into.
    if (status >= 500 && status !== 501) {
      if (errorLog) errorLog.write(`${new Date().toISOString()} ${request.method} ${request.url.split('?')[0]} → ${status}: ${describe(error)}\n`);
      else request.log.error({ err: error }, 'request failed');
    }
    void reply.code(status).headers(headers).send(body);
  };
}

function describe(error: unknown): string {
  if (error instanceof Error) return (error.stack ?? `${error.name}: ${error.message}`).replace(/\n\s*/g, ' | ');
  return String(error);
}
