/** SWISH's pack format for the packs driver (repack and unpack; reading lives in driver-files). */
export { SwishPacksDriver } from './swish-packs-driver.js';
export { repackSwish, unpackSwish, SWISH_REPACK_DEFAULTS } from './swish-repack.js';
