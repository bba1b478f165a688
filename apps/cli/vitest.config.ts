import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.js';

// Some tests spawn real gitty processes (~0.6 s of CPU each under tsx) or import large histories; a loaded machine needs the headroom.
export default mergeConfig(sharedConfig, defineConfig({ test: { testTimeout: 240_000, hookTimeout: 120_000 } }));
