// The conformance suite's crossProcess module: opens a sqlite store by its location in a child process.
import { defaultDriverContext, type Driver } from '@gitty/core';
import { createDriver } from '../../src/factory.js';

export async function openDriver(location: unknown): Promise<Driver> {
  const { dir } = location as { dir: string };
  return createDriver({ dir, throttleMs: 0, durability: 'none' }, defaultDriverContext());
}
