import { defineConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.js';

// Tests too long for the default run (`npm run test:long`); mergeConfig would add to the
// default include list instead of replacing it.
export default defineConfig({ ...sharedConfig, test: { ...sharedConfig.test, include: ['test/long/**/*.long.ts'], testTimeout: 300_000 } });
