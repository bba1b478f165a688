// The conformance suite's crossProcess module for the example driver: child processes open the
// fixture's store (its `location`, `{ file }`) through here and race on it.
import { defaultDriverContext, type Driver } from '@gitty/core';
import { createDriver } from './example-driver.js';

export async function openDriver(location: unknown): Promise<Driver> {
  const { file } = location as { file: string };
  return createDriver({ file }, defaultDriverContext());
}
