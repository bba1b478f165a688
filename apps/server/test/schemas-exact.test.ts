import { describe, expect, it } from 'vitest';
import * as schemas from '../src/schemas.js';
import * as expected from './schemas-expected.js';

// Every route schema exactly: fastify validates requests with them, serializes replies with them
// and /openapi.json documents them, so a changed limit, pattern, default or description is a
// changed API. No server is built in this file: fastify would compile (and annotate) them.

describe('the route schemas', () => {
  it('exports exactly these schemas', () => {
    expect(Object.keys(schemas).sort()).toEqual(Object.keys(expected).sort());
    expect(Object.keys(schemas)).toHaveLength(12);
  });

  it.each(Object.keys(expected))('%s is exactly as documented', (name) => {
    expect((schemas as Record<string, unknown>)[name]).toStrictEqual((expected as Record<string, unknown>)[name]);
  });
});
