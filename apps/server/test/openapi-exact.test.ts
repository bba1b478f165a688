import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '@gitty/core';
import type { RouteOptions } from 'fastify';
import { createServer, type GittyServer } from '../src/index.js';
import { openApiDocument, routeCollector, type DocumentedRoute } from '../src/openapi.js';
import * as expected from './schemas-expected.js';

// The OpenAPI generator on made-up routes, every field of its output exactly; then the document
// the server serves: each route with its own schema, the server's address, and nothing else.

const INFO = { title: 'T', version: '9' };
const TAGS = [
  { name: 'files', description: 'Named files: versions, history, listing, search and diffs' },
  { name: 'objects', description: 'Raw content-addressed objects' },
  { name: 'service', description: 'Health, events and this document' },
];
const COMPONENTS = { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'Needed for writes when the server has a token' } } };
const WRITE = [{ bearer: [] }, {}];

describe('openApiDocument', () => {
  it('gives the fixed frame around no routes: version, license, tags, security scheme, no servers', () => {
    expect(openApiDocument([], INFO)).toStrictEqual({
      openapi: '3.1.0',
      info: { title: 'T', version: '9', license: { name: 'BSD-2-Clause', identifier: 'BSD-2-Clause' } },
      servers: [],
      tags: TAGS,
      paths: {},
      components: COMPONENTS,
    });
    const servers = [{ url: 'http://h:1', description: 'd' }];
    expect(openApiDocument([], { ...INFO, description: 'about' }, servers)).toMatchObject({
      info: { title: 'T', version: '9', description: 'about', license: { name: 'BSD-2-Clause', identifier: 'BSD-2-Clause' } },
      servers,
    });
  });

  it('turns a route into an operation: path and query parameters, responses, body, security', () => {
    const body200 = { type: 'object', description: 'Custom', properties: { a: { type: 'string' } } };
    const body201 = { type: 'object' };
    const error = { type: 'object', required: ['code'] };
    const route: DocumentedRoute = {
      method: ['GET', 'HEAD', 'POST'],
      url: '/x/:aZ_09/y/:Q/z',
      schema: {
        operationId: 'op', summary: 'S', description: 'Long', tags: ['files'], 'x-raw': true,
        params: {
          type: 'object', required: ['aZ_09'],
          properties: { aZ_09: { type: 'string', description: 'first', minLength: 1 }, Q: { type: 'integer' } },
        },
        querystring: {
          type: 'object', required: ['must'],
          properties: { must: { type: 'string', description: 'needed' }, may: { type: 'number', description: '' } },
        },
        body: { type: 'object', properties: { data: { type: 'string' } } },
        response: { 200: body200, 201: body201, 204: { type: 'null', description: 'Gone' }, 302: { type: 'string' }, '4xx': error, '5xx': error },
      },
    };
    const responses = {
      200: { description: 'Custom', content: { 'application/json': { schema: body200 }, 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
      201: { description: 'Success', content: { 'application/json': { schema: body201 } } },
      204: { description: 'Gone' },
      302: { description: 'Error: {code, message}', content: { 'application/json': { schema: { type: 'string' } } } },
      '4XX': { description: 'Error: {code, message}', content: { 'application/json': { schema: error } } },
      '5XX': { description: 'Error: {code, message}', content: { 'application/json': { schema: error } } },
    };
    const operation = {
      operationId: 'op',
      summary: 'S',
      description: 'Long',
      tags: ['files'],
      parameters: [
        { name: 'aZ_09', in: 'path', required: true, description: 'first', schema: { type: 'string', minLength: 1 } },
        { name: 'Q', in: 'path', required: true, schema: { type: 'integer' } },
        { name: 'must', in: 'query', required: true, description: 'needed', schema: { type: 'string' } },
        { name: 'may', in: 'query', required: false, schema: { type: 'number' } },
      ],
      responses,
    };
    const requestBody = { required: true, content: { 'application/json': { schema: route.schema!.body } } };
    const doc = openApiDocument([route], INFO);
    expect(doc.paths).toStrictEqual({
      '/x/{aZ_09}/y/{Q}/z': {
        get: { ...operation, requestBody, security: [] },
        post: { ...operation, requestBody, security: WRITE },
      },
    });
  });

  it('needs the token for POST, PUT and DELETE only; leaves out routes without a schema and HEAD', () => {
    const routes: DocumentedRoute[] = ['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'].map((method) => ({
      method, url: `/m/${method.toLowerCase()}`, schema: { operationId: method },
    }));
    routes.push({ method: 'GET', url: '/plain' }, { method: 'POST', url: '/plain' });
    const doc = openApiDocument(routes, INFO) as { paths: Record<string, Record<string, { security: unknown }>> };
    expect(Object.entries(doc.paths).map(([path, ops]) => [path, Object.keys(ops), Object.values(ops)[0]!.security])).toEqual([
      ['/m/get', ['get'], []],
      ['/m/put', ['put'], WRITE],
      ['/m/delete', ['delete'], WRITE],
      ['/m/patch', ['patch'], []],
      ['/m/options', ['options'], []],
    ]);
  });

  it('answers a route without responses with 200 and its description; no params, no description, another content type', () => {
    const doc = openApiDocument([
      { method: 'GET', url: '/a', schema: { operationId: 'a', description: 'Stream it' } },
      { method: 'GET', url: '/b', schema: { operationId: 'b' } },
      { method: 'GET', url: '/c', schema: { operationId: 'c', 'x-content-type': 'text/event-stream', response: { 200: { type: 'string' } } } },
      { method: 'GET', url: '/d', schema: { operationId: 'd', 'x-raw': true, response: { 201: { type: 'string' } } } },
    ], INFO) as { paths: Record<string, { get: Record<string, unknown> }> };
    expect(doc.paths['/a']!.get).toStrictEqual({
      operationId: 'a', summary: undefined, description: 'Stream it', tags: undefined, parameters: [],
      responses: { 200: { description: 'Stream it' } }, security: [],
    });
    expect(doc.paths['/b']!.get).toStrictEqual({
      operationId: 'b', summary: undefined, tags: undefined, parameters: [], responses: { 200: { description: 'Success' } }, security: [],
    });
    expect(doc.paths['/c']!.get.responses).toStrictEqual({ 200: { description: 'Success', content: { 'text/event-stream': { schema: { type: 'string' } } } } });
    expect(doc.paths['/d']!.get.responses).toStrictEqual({ 201: { description: 'Success', content: { 'application/json': { schema: { type: 'string' } } } } });
  });

  it('keeps a path without parameters, and a colon not followed by a name, as they are', () => {
    const doc = openApiDocument([
      { method: 'GET', url: '/files', schema: {} },
      { method: 'GET', url: '/a:/b', schema: {} },
    ], INFO) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(['/files', '/a:/b']);
  });
});

describe('routeCollector', () => {
  it('records each route\'s method, URL and schema as it is registered', () => {
    const collector = routeCollector();
    expect(collector.routes).toEqual([]);
    const schema = { operationId: 'x' };
    collector.onRoute({ method: 'GET', url: '/a', schema, handler: () => undefined } as unknown as RouteOptions);
    collector.onRoute({ method: ['POST', 'PUT'], url: '/b', handler: () => undefined } as unknown as RouteOptions);
    expect(collector.routes).toStrictEqual([
      { method: 'GET', url: '/a', schema },
      { method: ['POST', 'PUT'], url: '/b', schema: undefined },
    ]);
  });
});

describe('GET /openapi.json', () => {
  let server: GittyServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const serve = async (trustProxy = false) => {
    server = await createServer({ store: await openStore({ driver: 'memory' }), closeStore: true, trustProxy });
  };

  it('documents exactly the server\'s routes, each with its own schema, and this server', async () => {
    await serve();
    const res = await server!.app.inject({ url: '/openapi.json', headers: { host: 'localhost:8123' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    const routes: DocumentedRoute[] = [
      { method: 'POST', url: '/files/:name', schema: expected.createSchema },
      { method: 'PUT', url: '/files/:name', schema: expected.updateSchema },
      { method: 'GET', url: '/files/:name', schema: expected.getFileSchema },
      { method: 'DELETE', url: '/files/:name', schema: expected.deleteSchema },
      { method: 'GET', url: '/files/:name/history', schema: expected.historySchema },
      { method: 'GET', url: '/files', schema: expected.listSchema },
      { method: 'GET', url: '/objects/:hash', schema: expected.objectSchema },
      { method: 'GET', url: '/diff', schema: expected.diffSchema },
      { method: 'GET', url: '/events', schema: expected.eventsSchema },
      { method: 'GET', url: '/healthz', schema: expected.healthSchema },
    ];
    const info = {
      title: 'gitty storage service',
      version: '0.1.0',
      description: 'A versioned file store: named files with linear histories of content-addressed commits.',
    };
    const want = openApiDocument(routes, info, [{ url: 'http://localhost:8123', description: 'This server' }]);
    expect(res.json()).toStrictEqual(JSON.parse(JSON.stringify(want)));
  });

  it('names the address the client used, behind a proxy the forwarded one', async () => {
    await serve();
    const plain = await server!.app.inject({ url: '/openapi.json', headers: { host: '127.0.0.1:9', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'gitty.example' } });
    expect(plain.json().servers).toStrictEqual([{ url: 'http://127.0.0.1:9', description: 'This server' }]);
    await server!.close();
    await serve(true);
    const proxied = await server!.app.inject({ url: '/openapi.json', headers: { host: '127.0.0.1:9', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'localhost' } });
    expect(proxied.json().servers).toStrictEqual([{ url: 'https://localhost', description: 'This server' }]);
  });
});
