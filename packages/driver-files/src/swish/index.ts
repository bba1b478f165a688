/**
 * SWISH's store format for the files driver: gzip loose objects at `<dir>/ab/cd/<36 hex>`,
 * SWISH packs in `<dir>/pack/`, and the Prolog head log `<dir>/ref/head`.
 */
export { SwishFilesDriver, swishLayout } from './swish-driver.js';
export { SwishHeadLog, parseSwishHeadLine, swishHeadLine, type MalformedHeadLine } from './head-log.js';
export { SwishPack, SwishPackSet, readSwishPackHeader, type SwishPackEntry } from './packs.js';
export { gzipCompression } from './gzip.js';
export { swishObjectPaths } from './object-paths.js';
export { detectFormats, resolveStoreFormat, type StoreFormat } from './detect.js';
