/**
 * @gitty/server — a gitty store over HTTP (REST + server-sent events + OpenAPI) and a web page
 * to browse files, history and diffs.
 * @packageDocumentation
 */
export { createServer, startServer, startupMessage, type GittyServer, type RunningServer } from './server.js';
export { type ServerOptions, type WriteRateLimit, resolveOptions } from './options.js';
export { registerBuiltinDrivers } from './drivers.js';
export { type ErrorBody, type ServerErrorCode, HttpError, errorResponse } from './http-errors.js';
export { type ConflictBody, conflictBody } from './conflict.js';
export { mergeThreeWay } from './merge.js';
export { hostGuard } from './access.js';
export { openApiDocument } from './openapi.js';
export { WriteRateLimiter } from './rate-limit.js';
