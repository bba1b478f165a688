import { describe, expect, it } from 'vitest';
import { parseOptions } from '../src/options.js';
import { refusal } from './support/options-refusal.js';

// parseOptions exactly: every default, every refusal's message, and the boundaries of each check.

const inner = { driver: 'memory' };

const config = (message: string) => ({ code: 'INVALID_CONFIG', message });

describe('parseOptions defaults', () => {
  it('fills every option left out', () => {
    expect(parseOptions({ url: 'redis://127.0.0.1:1', inner })).toEqual({
      url: 'redis://127.0.0.1:1',
      redis: undefined,
      cluster: undefined,
      sentinels: undefined,
      name: undefined,
      replicaAcks: 0,
      replicaAckTimeoutMs: 1_000,
      prefix: 'gitty',
      storeId: 'default',
      inner,
      maxLen: 10_000,
      inlineMax: 16 * 1024,
      fetchTimeoutMs: 5_000,
      objectTtlMs: 60_000,
      requestTtlMs: 600_000,
      commandTimeoutMs: 5_000,
      blockMs: 1_000,
      settleMs: 3_000,
      mergeWaitMs: 30_000,
      persistQueueEntries: 10_000,
      persistQueueBytes: 64 * 1024 * 1024,
      stateDir: undefined,
      nodeId: undefined,
    });
  });

  it('keeps every option given', () => {
    const given = {
      redis: { host: '127.0.0.1', port: 1 },
      replicaAcks: 2,
      replicaAckTimeoutMs: 1,
      prefix: 'a_b.c-d/e:f',
      storeId: 'S'.repeat(100),
      inner: { driver: 'files', dir: '/srv/x' },
      maxLen: 1,
      inlineMax: 2,
      fetchTimeoutMs: 3,
      objectTtlMs: 4,
      requestTtlMs: 5,
      commandTimeoutMs: 6,
      blockMs: 7,
      settleMs: 8,
      mergeWaitMs: 9,
      persistQueueEntries: 10,
      persistQueueBytes: 11,
      stateDir: '/srv/state',
      nodeId: 'node-1',
    };
    expect(parseOptions(given)).toEqual({ ...given, url: undefined, cluster: undefined, sentinels: undefined, name: undefined });
  });

  it('keeps replication state in the inner store\'s folder unless told otherwise', () => {
    expect(parseOptions({ url: 'redis://x', inner: { driver: 'files', dir: '/srv/store' } }).stateDir).toBe('/srv/store');
    expect(parseOptions({ url: 'redis://x', inner: { driver: 'files', dir: 5 } }).stateDir).toBeUndefined();
    expect(parseOptions({ url: 'redis://x', inner: { driver: 'files', dir: '/srv/store' }, stateDir: '/elsewhere' }).stateDir).toBe('/elsewhere');
  });

  it('takes a cluster and sentinels', () => {
    const cluster = [{ host: '127.0.0.1', port: 7000 }];
    expect(parseOptions({ cluster, inner })).toMatchObject({ cluster, url: undefined });
    const sentinels = [{ port: 26379 }];
    expect(parseOptions({ sentinels, name: 'm', inner })).toMatchObject({ sentinels, name: 'm' });
  });
});

describe('parseOptions refusals', () => {
  it('refuses an unknown option, naming the driver and the valid ones', () => {
    expect(refusal({ url: 'redis://x', inner, colour: 'red' })).toEqual(
      config(
        'Unknown option "colour" for the redis driver; valid options: url, redis, cluster, sentinels, name, replicaAcks, replicaAckTimeoutMs, prefix, storeId, inner, maxLen, inlineMax, fetchTimeoutMs, objectTtlMs, requestTtlMs, commandTimeoutMs, blockMs, settleMs, mergeWaitMs, stateDir, nodeId, persistQueueEntries, persistQueueBytes',
      ),
    );
  });

  it('asks for the inner store first', () => {
    expect(refusal({ url: 'redis://x' })).toEqual(config('The redis driver needs the option "inner"'));
  });

  it.each([['files'], [null], [['driver']]])('refuses an inner config of %j', (value) => {
    expect(refusal({ url: 'redis://x', inner: value })).toEqual(
      config('The redis driver needs "inner": the config of the local driver it wraps, e.g. { "driver": "files", "dir": "./store" }'),
    );
  });

  it.each([[''], [5]])('refuses a url of %j', (url) => {
    expect(refusal({ url, inner })).toEqual(config('The redis driver\'s "url" must be a non-empty string'));
  });

  it.each([['x'], [null], [[]]])('refuses redis options of %j', (redis) => {
    expect(refusal({ redis, inner })).toEqual(config('The redis driver\'s "redis" must be an object of ioredis options'));
  });

  it.each([[[]], [{}], [[null]], [['127.0.0.1:7000']], [[{ host: '127.0.0.1', port: '7000' }]], [[{ port: 7000 }, { host: 'x' }]]])('refuses a cluster of %j', (cluster) => {
    expect(refusal({ cluster, inner })).toEqual(config('The redis driver\'s "cluster" must be a non-empty array of { host, port } nodes'));
  });

  it('refuses url and cluster together', () => {
    expect(refusal({ url: 'redis://x', cluster: [{ port: 7000 }], inner })).toEqual(config('The redis driver takes "url" or "cluster", not both'));
  });

  it.each([[[]], [{}], [[null]], [[{ host: 'x' }]], [[{ port: 1 }, 'x']]])('refuses sentinels of %j', (sentinels) => {
    expect(refusal({ sentinels, name: 'm', inner })).toEqual(config('The redis driver\'s "sentinels" must be a non-empty array of { host, port } sentinels'));
  });

  it('refuses sentinels without a name, and a name without sentinels', () => {
    expect(refusal({ sentinels: [{ port: 1 }], inner })).toEqual(config('The redis driver\'s "sentinels" need "name": the master\'s name as the sentinels know it'));
    expect(refusal({ url: 'redis://x', name: 'm', inner })).toEqual(config('The redis driver\'s "name" names a Sentinel master and needs "sentinels"'));
    expect(refusal({ url: 'redis://x', name: '', inner })).toEqual(config('The redis driver\'s "name" must be a non-empty string'));
  });

  it('refuses sentinels with a url or a cluster', () => {
    const message = 'The redis driver takes one of "url", "cluster" and "sentinels"';
    expect(refusal({ sentinels: [{ port: 1 }], name: 'm', url: 'redis://x', inner })).toEqual(config(message));
    expect(refusal({ sentinels: [{ port: 1 }], name: 'm', cluster: [{ port: 7000 }], inner })).toEqual(config(message));
  });

  it('refuses a config that names no Redis', () => {
    expect(refusal({ inner })).toEqual(config('The redis driver needs "url" (redis://host:port), "redis" (ioredis options), "cluster" ([{ host, port }]) or "sentinels" with "name"'));
  });

  it.each([[-1], [1.5], ['1'], [Number.NaN]])('refuses replicaAcks %j', (replicaAcks) => {
    expect(refusal({ url: 'redis://x', inner, replicaAcks })).toEqual(config('The redis driver\'s "replicaAcks" must be a non-negative integer (default 0)'));
  });

  it('refuses replicaAcks with a cluster, but takes 0', () => {
    expect(refusal({ cluster: [{ port: 7000 }], replicaAcks: 1, inner })).toEqual(
      config('The redis driver\'s "replicaAcks" is not supported with "cluster" (WAIT cannot be routed to the store\'s slot)'),
    );
    expect(parseOptions({ cluster: [{ port: 7000 }], replicaAcks: 0, inner }).replicaAcks).toBe(0);
  });

  it.each([['prefix', 'a{b'], ['prefix', 'a b'], ['storeId', 'x}'], ['storeId', 'S'.repeat(101)], ['storeId', 'é']])('refuses %s %j', (key, value) => {
    expect(refusal({ url: 'redis://x', inner, [key]: value })).toEqual(config(`The redis driver's "${key}" must be 1-100 characters of A-Z a-z 0-9 _ . - / :`));
  });

  it.each([
    ['replicaAckTimeoutMs', 1_000],
    ['maxLen', 10_000],
    ['inlineMax', 16_384],
    ['fetchTimeoutMs', 5_000],
    ['objectTtlMs', 60_000],
    ['requestTtlMs', 600_000],
    ['commandTimeoutMs', 5_000],
    ['blockMs', 1_000],
    ['settleMs', 3_000],
    ['mergeWaitMs', 30_000],
    ['persistQueueEntries', 10_000],
    ['persistQueueBytes', 67_108_864],
  ])('refuses %s of 0, negative, fractional or text, naming its default %i', (key, fallback) => {
    for (const value of [0, -1, 1.5, '5', 2 ** 53]) {
      expect(refusal({ url: 'redis://x', inner, [key]: value })).toEqual(config(`The redis driver's "${key}" must be a positive integer (default ${fallback})`));
    }
    expect(parseOptions({ url: 'redis://x', inner, [key]: 1 })).toMatchObject({ [key]: 1 });
  });

  it.each(['stateDir', 'nodeId', 'prefix', 'storeId'])('refuses an empty %s', (key) => {
    expect(refusal({ url: 'redis://x', inner, [key]: '' })).toEqual(config(`The redis driver's "${key}" must be a non-empty string`));
  });
});
