import type { FastifyRequest, RouteOptions } from 'fastify';
import { InvalidArgumentError } from '@gitty/core';

type JsonType = 'string' | 'object' | 'number' | 'integer' | 'boolean' | 'array';

function typeOf(value: unknown): JsonType | 'null' {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value as JsonType;
}

/**
 * fastify's ajv coerces types (needed for query strings, where everything is a string), which
 * would turn a body's `{"data": 42}` into `"42"`. Bodies are JSON and typed already, so their
 * top-level fields are checked against the schema before validation, without coercion.
 */
export function strictBodyTypes(route: RouteOptions): void {
  const body = (route.schema as { body?: { properties?: Record<string, { type?: JsonType }> } } | undefined)?.body;
  if (!body?.properties) return;
  const declared = Object.entries(body.properties).filter(([, s]) => typeof s.type === 'string') as Array<[string, { type: JsonType }]>;
  const check = async (request: FastifyRequest) => {
    const value = request.body;
    if (typeOf(value) !== 'object') throw new InvalidArgumentError('The request body must be a JSON object');
    for (const [key, schema] of declared) {
      if (!(key in (value as object))) continue;
      const actual = typeOf((value as Record<string, unknown>)[key]);
      const fits = actual === schema.type || (schema.type === 'number' && actual === 'integer');
      if (!fits) throw new InvalidArgumentError(`body/${key} must be ${schema.type === 'object' ? 'an object' : `a ${schema.type}`}`);
    }
  };
  const existing = route.preValidation;
  route.preValidation = existing === undefined ? check : [...(Array.isArray(existing) ? existing : [existing]), check];
}
