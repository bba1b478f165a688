import os from 'node:os';
import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.js';

// One worker per core but one (vitest's default: a single worker on a 2-core CI machine). Three
// workers saved ~12 s here, but once left multiprocess.test.ts with two packs after its final full
// repack while other files loaded the machine (it passes alone); until that is understood the
// files run one at a time. GITTY_TEST_WORKERS overrides.
const workers = Number(process.env.GITTY_TEST_WORKERS ?? Math.max(1, os.availableParallelism() - 1));

export default mergeConfig(sharedConfig, defineConfig({ test: { maxWorkers: workers, minWorkers: 1 } }));
