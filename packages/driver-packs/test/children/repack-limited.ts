// Repacks the store once and prints {"ok":true} or {"code":…} of the error: run under a file size
// limit (RLIMIT_FSIZE) by the disk-full test when it cannot mount a small tmpfs.
import { isGittyError, openStore, registerDriver } from '@gitty/core';
import { createDriver } from '../../src/index.js';

// Past the limit the kernel sends SIGXFSZ, whose default action kills; handled, the write fails with EFBIG.
process.on('SIGXFSZ', () => undefined);
const [dir] = process.argv.slice(2);
registerDriver('packs', createDriver);
const store = await openStore({ driver: 'packs', dir: dir! });
try {
  await store.repack({ minFiles: 1 });
  process.stdout.write(`${JSON.stringify({ ok: true })}\n`);
} catch (err) {
  process.stdout.write(`${JSON.stringify({ code: isGittyError(err) ? err.code : String((err as { code?: unknown }).code ?? err) })}\n`);
} finally {
  await store.close();
}
