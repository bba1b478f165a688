// The vitest config Stryker runs (from the repository root, in its sandbox copy of the tree).
// Each package's own vitest.config.ts imports ../../vitest.shared.js relative to the package, and
// its tests reach other workspace packages through node_modules symlinks that point back at the
// real checkout — so a sandbox run would test the unmutated source. Here every `@gitty/*` import
// (and subpath export) is aliased to the `gitty-source` entry of the copy this config sits in,
// and the test files come from the runner (GITTY_MUTATION_TESTS, a JSON array of globs).
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface PackageJson {
  name?: string;
  exports?: Record<string, { 'gitty-source'?: string }>;
}

function workspaceAliases(): { find: RegExp; replacement: string }[] {
  const aliases: { find: RegExp; replacement: string }[] = [];
  for (const group of ['packages', 'apps']) {
    const groupDir = path.join(root, group);
    if (!existsSync(groupDir)) continue;
    for (const entry of readdirSync(groupDir)) {
      const manifest = path.join(groupDir, entry, 'package.json');
      if (!existsSync(manifest)) continue;
      const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as PackageJson;
      if (!pkg.name?.startsWith('@gitty/') || !pkg.exports) continue;
      for (const [subpath, target] of Object.entries(pkg.exports)) {
        const source = target['gitty-source'];
        if (!source) continue;
        const specifier = pkg.name + subpath.slice(1);
        aliases.push({
          find: new RegExp(`^${specifier.replace(/[/.-]/g, (c) => `\\${c}`)}$`),
          replacement: path.join(groupDir, entry, source),
        });
      }
    }
  }
  return aliases;
}

// Globs starting with '!' leave test files out.
const globs = JSON.parse(process.env.GITTY_MUTATION_TESTS ?? '[]') as string[];
const include = globs.filter((glob) => !glob.startsWith('!'));
const exclude = globs.filter((glob) => glob.startsWith('!')).map((glob) => glob.slice(1));
if (include.length === 0) throw new Error('GITTY_MUTATION_TESTS must list the test globs (run `pnpm mutation`)');

// For entries with `gitFromCheckout` (packages.mjs): git in the tests sees the sandbox as a work
// tree of the checkout's repository, so `git ls-files` answers as it would in the checkout.
const gitDir = process.env.GITTY_MUTATION_GIT_DIR;
const gitEnv: Record<string, string> = gitDir ? { GIT_DIR: gitDir, GIT_WORK_TREE: root } : {};

// Spread, not mergeConfig: mergeConfig would append the shared `test/**` include to ours.
export default defineConfig({
  ...sharedConfig,
  root,
  resolve: { ...sharedConfig.resolve, alias: workspaceAliases() },
  test: { ...sharedConfig.test, include, exclude: ['**/node_modules/**', ...exclude], reporters: ['dot'], env: { ...sharedConfig.test?.env, ...gitEnv } },
});
