/**
 * @gitty/driver-files — loose objects and a head log that many processes (and machines over
 * NFS) share. Other drivers build on its parts: {@link LooseObjects}, {@link HeadLog},
 * {@link CrossProcessLock}.
 * @packageDocumentation
 */
import { createDriver } from './factory.js';

export { createDriver };
export default createDriver;
export { FilesDriver, type FilesDriverOptions } from './files-driver.js';
export { LooseObjects, TEMP_PREFIX, type LooseObjectsOptions } from './loose.js';
export { HeadLog, headLogFile, type LogTail } from './head-log.js';
export { CrossProcessLock, type LockOptions } from './lock.js';
export { gitObjectPaths, looseObjectPath, type ObjectPathScheme } from './object-path.js';
export { rebuildHeadsFromObjects } from './rebuild-heads.js';
export { createGitScratchRepo, type GitScratchRepo } from './git-scratch.js';
export { fsyncDir, type Durability } from './fsync.js';
