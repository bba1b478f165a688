import { existsSync } from 'node:fs';
import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.js';

// Until @gitty/driver-files has sources, vite cannot resolve core's static import() of it
// (registry.ts); point it at a module that exports nothing, so only the files-driver tests fail.
const filesMissing = !existsSync(new URL('../driver-files/src/index.ts', import.meta.url));

export default mergeConfig(sharedConfig, defineConfig({
  resolve: filesMissing ? { alias: { '@gitty/driver-files': new URL('./test/no-files-driver.ts', import.meta.url).pathname } } : {},
}));
