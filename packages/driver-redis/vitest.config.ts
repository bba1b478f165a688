import os from 'node:os';
import { defineConfig, mergeConfig } from 'vitest/config';
import { longestFirst, sharedConfig } from '../../vitest.shared.js';

// Vitest's default is one worker per core but one (a single worker on a 2-core CI machine), so
// the files ran one after the other although much of their time is spent waiting on
// redis-servers, child nodes, proxies and timers. Two workers overlap that waiting on 2 cores
// without starving the tests that time their replies (commandTimeoutMs, blockMs);
// GITTY_TEST_WORKERS overrides (1 runs the files one at a time again).
const workers = Number(process.env.GITTY_TEST_WORKERS ?? Math.max(2, os.availableParallelism() - 1));

// The longest files first, so none of them starts last and runs alone: without a results cache
// (a fresh CI clone) vitest orders by file size, which put the longest (conformance) near the end.
const LONGEST = ['conformance', 'three-nodes', 'node-failures', 'restarts', 'persist-overlay', 'killed-writer', 'redis-outage'];

export default mergeConfig(sharedConfig, defineConfig({ test: { maxWorkers: workers, minWorkers: 1, sequence: { sequencer: longestFirst(LONGEST) } } }));
