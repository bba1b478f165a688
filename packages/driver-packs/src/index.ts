/**
 * @gitty/driver-packs — git-compatible pack files (pack v2 + idx v2, with deltas) over the files
 * driver's loose objects and head log: repack, unpack and fsck.
 * @packageDocumentation
 */
import { createDriver } from './factory.js';

export { createDriver };
export default createDriver;
export { PacksDriver, type PacksDriverOptions } from './packs-driver.js';
export * from './swish/index.js';
export { applyDelta, createDelta, deltaSizes } from './delta.js';
export { DeltaIndex, type DeltaMatch } from './delta-index.js';
export { PackType, packTypeOf, typeName } from './pack-format.js';
export { PackWriter, type PackedEntry } from './pack-writer.js';
export { PackIndex, writePackIndex } from './pack-index.js';
export { PackFile, MAX_CHAIN } from './pack-reader.js';
export { PackSet, type BrokenPack } from './pack-set.js';
export { Tombstones } from './tombstones.js';
export { type PackStore } from './pack-store.js';
export { repackStore, REPACK_DEFAULTS } from './repack.js';
export { unpackStore } from './unpack.js';
export { fsckPacks, checkPack } from './fsck-packs.js';
