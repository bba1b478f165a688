import { describe, expect, it } from 'vitest';
import { parseOptions } from '../src/options.js';

// parseOptions: a cluster node or sentinel must be an object with a numeric port; a function
// carrying a `port` (an options object built in code) is no node.

const inner = { driver: 'memory' };

function refusal(options: Record<string, unknown>): { code: string; message: string } {
  try {
    parseOptions(options);
  } catch (err) {
    const { code, message } = err as { code: string; message: string };
    return { code, message };
  }
  throw new Error('parseOptions accepted the options');
}

const withPort = () => Object.assign(() => undefined, { port: 7000 });

describe('parseOptions node lists', () => {
  it('refuses a cluster node that is a function with a port', () => {
    expect(refusal({ cluster: [withPort()], inner })).toEqual({
      code: 'INVALID_CONFIG', message: 'The redis driver\'s "cluster" must be a non-empty array of { host, port } nodes',
    });
  });

  it('refuses a sentinel that is a function with a port', () => {
    expect(refusal({ sentinels: [withPort()], name: 'm', inner })).toEqual({
      code: 'INVALID_CONFIG', message: 'The redis driver\'s "sentinels" must be a non-empty array of { host, port } sentinels',
    });
  });
});
