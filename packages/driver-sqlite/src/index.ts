/**
 * @gitty/driver-sqlite — an SQLite index (`index.sqlite`) over a files/packs store: instant
 * open, listings and history without reading objects, full-text search with FTS5.
 * @packageDocumentation
 */
export { SqliteDriver, type SqliteDriverParts } from './sqlite-driver.js';
export { IndexDb, type IndexState, type IndexedHead, type LogPosition, isDamage, removeIndexFiles } from './index-db.js';
export { IndexCatchUp, type CatchUpResult, type ObjectLoader } from './catch-up.js';
export type { HeadLogReader, LogTail } from './head-log-port.js';
export { queryFiles, historyFrom } from './queries.js';
export { searchIndex } from './search.js';
export { SCHEMA_VERSION, INDEX_FILE } from './schema.js';
export { LogFileReader, headLogPath } from './log-file-reader.js';
