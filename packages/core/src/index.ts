/**
 * @gitty/core — gitty's model (objects, commits, heads), the Driver contract every backend
 * implements, the Store API and the reference MemoryDriver.
 * @packageDocumentation
 */
export * from './errors.js';
export { isHash, assertHash, hashObject, objectHeader, sha1Hex } from './hash.js';
export { MIN_HASH_PREFIX, isHashPrefix, resolveHashPrefix } from './hash-prefix.js';
export { type Compression, nodeCompression, pakoCompression, concatBytes } from './compression.js';
export {
  type GitObject, DEFAULT_MAX_OBJECT_SIZE, isObjectType, frameObject, unframeObject, encodeObject, decodeObject, assertObjectSize,
} from './object-codec.js';
export {
  type JsonValue, type Meta, type Commit, type CommitFormat, RESERVED_KEYS, IDENTITY_KEYS, canonicalJson, encodeCommit, decodeCommit, carryOverMeta,
} from './commit-codec.js';
export { type Term, TermReader, PrologSyntaxError, readClause, writeAtom, writeString, writeFloat } from './prolog-term.js';
export { isSwishCommit, decodeSwishCommit, encodeSwishCommit, termToJson, jsonToTerm } from './swish-commit.js';
export { stringifyExactJson, parseExactJson } from './exact-json.js';
export { MAX_NAME_LENGTH, assertName, extensionOf } from './names.js';
export type * from './driver.js';
export { type StoreConfig, validateStoreConfig, driverOptions, checkDriverOptions, stringOption } from './config.js';
export { BUILTIN_DRIVERS, type BuiltinDriverName, registerDriver, resolveDriverFactory } from './registry.js';
export { MemoryDriver, MemoryBacking, createDriver as createMemoryDriver } from './memory-driver.js';
export { Store, type Data, type Version, type HeadEvent, type StoreOptions } from './store.js';
export { type ImportVersion, type ImportOptions, type ImportReport, type ImportTarget, importVersions } from './store-import.js';
export { openObjectBatch, updateHeads, type UpdateHeadsOptions } from './batch-writes.js';
export { openStore, openDriver, defaultDriverContext } from './open-store.js';
export { type HistoryWindow, type HistoryOptions, historyWindow } from './history.js';
export {
  type CommitDiff, type DiffLimits, DEFAULT_DIFF_LIMITS, diffVersions, diffVersionsAsync, boundedLineDiff, boundedPatch, tooLargeNote,
} from './commit-diff.js';
export { assertMetaTypes, commitDisplay, metaText, type CommitDisplay } from './meta-check.js';
export { type FsckReport, runFsck } from './fsck.js';
export { type GcOptions, type GcReport, collectGarbage } from './gc.js';
export { matchesQuery, orderAndPage, scanFiles } from './scan-queries.js';
export { LruCache } from './lru.js';
