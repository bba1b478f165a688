import { existsSync } from 'node:fs';
import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.js';

// TEMPORARY while driver-files/packs have no entry yet.
const alias: Record<string, string> = {};
if (!existsSync('../driver-files/src/index.ts')) alias['@gitty/driver-files'] = '/tmp/sqlite-stub/empty.ts';
if (!existsSync('../driver-packs/src/index.ts')) alias['@gitty/driver-packs'] = '/tmp/sqlite-stub/empty.ts';

export default mergeConfig(sharedConfig, defineConfig({ resolve: { alias } }));
