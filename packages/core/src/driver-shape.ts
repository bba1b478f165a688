import type { Driver, DriverCapabilities } from './driver.js';
import { DriverNotFoundError } from './errors.js';

/** The methods every driver has. */
const REQUIRED = [
  'storeObject', 'loadObject', 'hasObject', 'objects', 'deleteObject', 'getHead', 'heads', 'updateHead', 'rescan', 'close',
] as const;

/** The methods each capability promises. */
const BY_CAPABILITY: Partial<Record<keyof DriverCapabilities, readonly (keyof Driver)[]>> = {
  rawObjects: ['loadRaw', 'storeRaw'],
  objectTimes: ['objectTime'],
  watch: ['watch'],
  packs: ['repack', 'unpack'],
  reindex: ['reindex'],
  query: ['queryFiles', 'queryHistory'],
  search: ['search'],
};

/**
 * Check, when a store is opened, that `driver` is a driver: a name, capabilities, every
 * required method, and the methods its capabilities promise. A factory that returns something
 * else fails here with DRIVER_NOT_FOUND naming what is missing, not later with
 * "driver.getHead is not a function" in the middle of a read.
 */
export function assertDriverShape(driver: unknown, configured: string): asserts driver is Driver {
  const candidate = (typeof driver === 'object' && driver !== null ? driver : {}) as Record<string, unknown>;
  const missing: string[] = REQUIRED.filter((method) => typeof candidate[method] !== 'function');
  if (typeof candidate.name !== 'string') missing.push('name (a string)');
  const capabilities = candidate.capabilities;
  if (typeof capabilities !== 'object' || capabilities === null) {
    missing.push('capabilities (an object)');
  } else {
    for (const [capability, methods] of Object.entries(BY_CAPABILITY)) {
      if ((capabilities as Record<string, unknown>)[capability] !== true) continue;
      for (const method of methods ?? []) {
        if (typeof candidate[method] !== 'function') missing.push(`${method} (capabilities.${capability} is true)`);
      }
    }
  }
  if (missing.length > 0) {
    throw new DriverNotFoundError(configured, `its factory returned no gitty driver: it lacks ${missing.join(', ')}`);
  }
}
