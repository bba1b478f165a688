// The /proc/self/fd reader the driver-packs descriptor-leak tests import; it lives in the shared
// test harness, where the tests of other drivers use it too.
export { openFilesUnder } from '@gitty/driver-test/harness';
