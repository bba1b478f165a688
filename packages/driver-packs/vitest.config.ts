import os from 'node:os';
import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.js';

// Vitest's default is one worker per core but one (a single worker on a 2-core CI machine).
// Three workers overlap the child processes' waiting (about 12 s saved). multiprocess.test.ts once
// found two packs after its final repack under that load: its repacker's last repack (every third
// one does not merge) had packed every loose object, and the final repack asked for at least one
// loose object; it now asks for none. GITTY_TEST_WORKERS overrides.
const workers = Number(process.env.GITTY_TEST_WORKERS ?? Math.max(3, os.availableParallelism() - 1));

export default mergeConfig(sharedConfig, defineConfig({ test: { maxWorkers: workers, minWorkers: 1 } }));
