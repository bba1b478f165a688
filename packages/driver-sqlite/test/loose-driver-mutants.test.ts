// LooseObjectsDriver.close where loose-driver-exact left an outcome open: a second close does
// nothing, not even seal the journal of a files-driver writer that crashed after the first one
// (the journal-writer fixture, a real child process, leaves one behind).
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { defaultDriverContext } from '@gitty/core';
import { LooseObjects, storeLayout } from '@gitty/driver-files';
import { run, tempDir, tsNodeArgs } from '@gitty/driver-test/harness';
import { LooseObjectsDriver } from '../src/loose-driver.js';

const journalWriter = fileURLToPath(new URL('./fixtures/journal-writer.ts', import.meta.url));
const journals = (dir: string) => readdirSync(path.join(dir, 'objects', 'journal')).filter((n) => n.endsWith('.journal'));

describe('LooseObjectsDriver (mutants)', () => {
  it('a second close leaves alone a journal a writer abandoned after the first', async () => {
    const temp = await tempDir('gitty-sqlite-loose-');
    try {
      const context = defaultDriverContext();
      const driver = new LooseObjectsDriver(new LooseObjects({
        root: storeLayout(temp.dir).objects, compression: context.compression, maxObjectSize: context.maxObjectSize, durability: 'none',
      }));
      await driver.close();
      const child = await run(process.execPath, tsNodeArgs(journalWriter, [temp.dir, '2']), { timeoutMs: 60_000 });
      expect(child.stderr.toString()).toBe('');
      expect(journals(temp.dir)).toHaveLength(1);
      await driver.close();
      expect(journals(temp.dir)).toHaveLength(1);
    } finally {
      await temp.remove();
    }
  }, 60_000);
});
