import type { FastifyRequest, RouteOptions } from 'fastify';
import { describe, expect, it } from 'vitest';
import { strictBodyTypes } from '../src/strict-body.js';

// The body type check that runs before fastify's coercing validation, in the test process.

type Hook = (request: FastifyRequest) => Promise<void>;

function routeWith(properties: Record<string, { type?: string }> | undefined, preValidation?: unknown): RouteOptions {
  return { method: 'PUT', url: '/x', handler: () => undefined, schema: properties === undefined ? {} : { body: { properties } }, preValidation } as unknown as RouteOptions;
}

function hooks(route: RouteOptions): Hook[] {
  const pre = route.preValidation as Hook | Hook[] | undefined;
  return pre === undefined ? [] : Array.isArray(pre) ? pre : [pre];
}

async function check(route: RouteOptions, body: unknown): Promise<{ code: string; message: string } | undefined> {
  const list = hooks(route);
  try {
    await list[list.length - 1]!({ body } as FastifyRequest);
  } catch (err) {
    const { code, message } = err as { code: string; message: string };
    return { code, message };
  }
  return undefined;
}

const schema = {
  data: { type: 'string' },
  meta: { type: 'object' },
  depth: { type: 'integer' },
  score: { type: 'number' },
  flag: { type: 'boolean' },
  tags: { type: 'array' },
  free: {},
};

describe('strictBodyTypes', () => {
  it('adds no hook to a route without a body schema or without properties', () => {
    const none = routeWith(undefined);
    strictBodyTypes(none);
    expect(none.preValidation).toBeUndefined();
    const empty = { method: 'PUT', url: '/x', handler: () => undefined, schema: { body: {} } } as unknown as RouteOptions;
    strictBodyTypes(empty);
    expect(empty.preValidation).toBeUndefined();
    const noSchema = { method: 'GET', url: '/x', handler: () => undefined } as unknown as RouteOptions;
    strictBodyTypes(noSchema);
    expect(noSchema.preValidation).toBeUndefined();
  });

  it('sets its hook alone on a route without hooks', () => {
    const route = routeWith(schema);
    strictBodyTypes(route);
    expect(typeof route.preValidation).toBe('function');
  });

  it('keeps a route\'s own hooks and runs after them', () => {
    const own = async () => undefined;
    const single = routeWith(schema, own);
    strictBodyTypes(single);
    expect(hooks(single)).toHaveLength(2);
    expect(hooks(single)[0]).toBe(own);
    const list = routeWith(schema, [own, own]);
    strictBodyTypes(list);
    expect(hooks(list)).toHaveLength(3);
  });

  it('takes a body whose fields have their declared types, and fields it does not know', async () => {
    const route = routeWith(schema);
    strictBodyTypes(route);
    expect(await check(route, { data: 'x', meta: {}, depth: 3, score: 1.5, flag: false, tags: [], free: null, other: 1 })).toBeUndefined();
    expect(await check(route, { score: 2 })).toBeUndefined();
    expect(await check(route, {})).toBeUndefined();
  });

  it.each([null, [], 'text', 42, true])('refuses a body that is not an object (%j)', async (body) => {
    const route = routeWith(schema);
    strictBodyTypes(route);
    expect(await check(route, body)).toEqual({ code: 'INVALID_ARGUMENT', message: 'The request body must be a JSON object' });
  });

  it.each([
    [{ data: 42 }, 'body/data must be a string'],
    [{ data: null }, 'body/data must be a string'],
    [{ meta: [] }, 'body/meta must be an object'],
    [{ meta: null }, 'body/meta must be an object'],
    [{ depth: 1.5 }, 'body/depth must be a integer'],
    [{ depth: '3' }, 'body/depth must be a integer'],
    [{ score: '1' }, 'body/score must be a number'],
    [{ flag: 'true' }, 'body/flag must be a boolean'],
    [{ tags: {} }, 'body/tags must be a array'],
  ])('refuses %j', async (body, message) => {
    const route = routeWith(schema);
    strictBodyTypes(route);
    expect(await check(route, body)).toEqual({ code: 'INVALID_ARGUMENT', message });
  });
});
