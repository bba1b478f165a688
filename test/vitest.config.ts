import os from "node:os";
import { defineConfig, mergeConfig } from "vitest/config";
import { sharedConfig } from "../vitest.shared.js";

// Vitest's default is one worker per core but one (a single worker on a 2-core CI machine), so
// the files ran one after the other although they spend most of their time waiting on npm,
// child processes and redis. Three workers overlap that waiting; GITTY_TEST_WORKERS overrides
// (1 runs the files one at a time again).
const workers = Number(process.env.GITTY_TEST_WORKERS ?? Math.max(3, os.availableParallelism() - 1));

export default mergeConfig(sharedConfig, defineConfig({ test: { include: ["**/*.test.ts"], exclude: ["node_modules/**", "chaos/**", "packaging/fixtures/**"], maxWorkers: workers, minWorkers: 1 } }));
