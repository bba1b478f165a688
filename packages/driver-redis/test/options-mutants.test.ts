import { describe, expect, it } from 'vitest';
import { refusal } from './support/options-refusal.js';

// parseOptions: a cluster node or sentinel must be an object with a numeric port; a function
// carrying a `port` (an options object built in code) is no node.

const inner = { driver: 'memory' };

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
