import { existsSync } from 'node:fs';
import { defineConfig, mergeConfig, type Plugin } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.js';

// A workspace driver package whose source entry does not exist yet (being written) must behave
// like an uninstalled package: its dynamic import() rejects, and the guarded registration skips
// it. Without this, vite's import analysis fails the whole test file on the broken entry.
const MISSING = '\0gitty-missing-driver:';
const missingDrivers: Plugin = {
  name: 'gitty-missing-drivers',
  enforce: 'pre',
  resolveId(id) {
    const match = /^@gitty\/(driver-(?:files|packs|sqlite|redis))$/.exec(id);
    if (!match) return null;
    const entry = new URL(`../../packages/${match[1]}/src/index.ts`, import.meta.url);
    return existsSync(entry) ? null : `${MISSING}${id}`;
  },
  load(id) {
    if (!id.startsWith(MISSING)) return null;
    return `throw new Error(${JSON.stringify(`${id.slice(MISSING.length)} has no source entry yet`)});`;
  },
};

export default mergeConfig(sharedConfig, defineConfig({ plugins: [missingDrivers] }));
