/**
 * @gitty/driver-files — loose objects and a shared head log: the gitty store many processes
 * (and machines, over NFS) share through one folder. Its parts are exported for the packs and
 * SQLite drivers, which build on them.
 * @packageDocumentation
 */
export { FilesDriver, type FilesDriverParts, createDriver, openFilesDriver, storeLayout } from './files-driver.js';
export { type FilesDriverOptions, FILES_OPTION_KEYS, parseFilesOptions } from './options.js';
export { LooseObjects, type LooseObjectsOptions, type PruneReport } from './loose.js';
export { ObjectJournal, type ObjectJournalOptions, DEFAULT_JOURNAL_SEAL_BYTES, DEFAULT_JOURNAL_SEAL_MS } from './object-journal.js';
export { JournaledObjects } from './journaled-objects.js';
export { sizedCompression } from './loose-batch.js';
export { type ObjectPathScheme, gitObjectPaths, objectFile } from './object-path.js';
export { HeadLog, HeadLogMovedError, type HeadLogAppended, type HeadLogLanded, type HeadLogOptions, type HeadLogPosition, type HeadLogRead, type HeadLogScan, parseEventLine } from './head-log.js';
export { SharedHeads, type SharedHeadsOptions, type HeadLogPort } from './shared-heads.js';
export { replayHeadChanges, type HeadReplay } from './replay-rule.js';
export { compactHeadLog, type CompactReport } from './compact-log.js';
export { HeadLogCompaction, type CompactionPolicy, compactionPolicyOf, DEFAULT_COMPACT_AT, DEFAULT_COMPACT_RATIO, RETIRED_LOG_KEEP_MS } from './compaction.js';
export { retiredLogFile, removeRetiredLogs } from './epoch-follow.js';
export { FileLock, type FileLockOptions } from './lock.js';
export { rebuildHeads, pickTip, type CommitSource, type RebuildOptions } from './rebuild-heads.js';
export { type Durability, syncFolder, ensureFolder } from './fs-sync.js';
export { TEMP_PREFIX, isTempName, tempName, isStaleTemp, removeStaleTemps } from './temp-files.js';
export { createGitScratchRepo, type GitScratchRepo } from './git-scratch.js';
export * from './swish/index.js';

import { createDriver } from './files-driver.js';
/** `dir` in a config file is relative to that file (see the core's `baseDir`). */
createDriver.pathOptions = ['dir'];
export default createDriver;
