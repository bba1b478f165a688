import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultDriverContext } from '@gitty/core';
import { runDriverSuite, tempDir } from '@gitty/driver-test';
import { createDriver } from '@gitty/driver-files';
import { corruptJournalOrLoose } from './journal-support.js';

// The whole suite with new objects appended to journals: once sealed only when due (fsync, the
// default size and age), once sealed every 4 KiB in the background while the suite runs.
for (const [label, journal, durability] of [
  ['journal', { journal: true }, 'fsync'],
  ['journal sealed every 4 KiB', { journal: true, journalSealAt: 4096, journalSealAfter: 200 }, 'none'],
] as const) {
  runDriverSuite({
    name: `files (${label})`,
    test: { describe, it, expect, beforeEach, afterEach },
    factory: async () => {
      const { dir, remove } = await tempDir('gitty-files-journal-');
      const open = () => createDriver({ dir, durability, pollInterval: 50, ...journal }, defaultDriverContext());
      return { driver: await open(), openAnother: open, cleanup: remove, location: { dir, journal } };
    },
    corruptObject: (location, hash) => corruptJournalOrLoose((location as { dir: string }).dir, hash),
    crossProcess: { module: fileURLToPath(new URL('./fixtures/open-files.ts', import.meta.url)) },
  });
}
