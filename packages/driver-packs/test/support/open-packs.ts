// The conformance suite's crossProcess module: opens a packs store by its location in a child process.
import { defaultDriverContext, type Driver } from '@gitty/core';
import { createDriver } from '../../src/index.js';
import type { PacksLocation } from './corrupt-object.js';

export async function openDriver(location: unknown): Promise<Driver> {
  const { dir, autoRepack = 0 } = location as PacksLocation;
  return createDriver({ dir, durability: 'none', autoRepack }, defaultDriverContext());
}
