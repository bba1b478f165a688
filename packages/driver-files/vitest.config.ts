import os from 'node:os';
import { defineConfig, mergeConfig } from 'vitest/config';
import { longestFirst, sharedConfig } from '../../vitest.shared.js';

// Vitest's default is one worker per core but one (a single worker on a 2-core CI machine), so
// the files ran one after the other although they spend most of their time waiting on child
// processes, fsync, git, SWISH and browsers. Three workers overlap that waiting;
// GITTY_TEST_WORKERS overrides (1 runs the files one at a time again).
const workers = Number(process.env.GITTY_TEST_WORKERS ?? Math.max(3, os.availableParallelism() - 1));

// The longest files first (see longestFirst): the conformance runs take 20–40 s each.
const LONGEST = ['conformance', 'conformance-journal', 'conformance-journal-sealing', 'compaction-race', 'crash-safety', 'journal-crash', 'multi-process'];

export default mergeConfig(sharedConfig, defineConfig({ test: { maxWorkers: workers, minWorkers: 1, sequence: { sequencer: longestFirst(LONGEST) } } }));
