/**
 * @gitty/driver-sqlite — an SQLite index (`index.sqlite`) over a files/packs store: instant
 * open, listings and history without reading objects, full-text search with FTS5.
 * @packageDocumentation
 */
import { createDriver } from './factory.js';

export { createDriver, type SqliteOptions } from './factory.js';
export default createDriver;
export { SqliteDriver, type SqliteDriverParts } from './sqlite-driver.js';
export { IndexDb, type IndexState, type IndexedHead, isDamage, removeIndexFiles } from './index-db.js';
export { IndexCatchUp, type CatchUpResult, type ObjectLoader, type RebuildResult } from './catch-up.js';
export type { HeadLogAccess, LogPosition, LogRead, LogScan } from './head-log-port.js';
export { LooseObjectsDriver } from './loose-driver.js';
export { HeadWatch } from './head-watch.js';
export { queryFiles, historyFrom } from './queries.js';
export { searchIndex } from './search.js';
export { SCHEMA_VERSION, INDEX_FILE } from './schema.js';
