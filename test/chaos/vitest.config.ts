import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.js';

// The short profile runs for up to ~2 minutes on a loaded machine: generous timeouts.
export default mergeConfig(sharedConfig, defineConfig({ test: { testTimeout: 240_000, hookTimeout: 60_000 } }));
