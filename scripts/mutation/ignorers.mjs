// Mutants `pnpm mutation` does not count, each with the reason it cannot or need not be killed.
// A Stryker ignorer plugin (enabled in run.mjs): a node of `file` whose source text starts
// with `code` is left unmutated, and the report shows the reason ("Ignored").
// Add an entry only for an equivalent mutant (no behaviour changes) or for code no test can
// observe; say which in `reason`.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** @type {{ file: string; code: string; reason: string }[]} */
export const ignoredMutants = [
  {
    file: 'packages/core/src/lru.ts',
    code: 'if (this.capacity <= 0) return;',
    // Also hides this line's killable `> 0` mutant (lru.test.ts's capacity tests kill it).
    reason: 'equivalent: with capacity 0 a set that stores evicts its own entry at once (size 1 > 0), so the early return only saves work',
  },
];

function relativeFile(nodePath) {
  const file = nodePath.hub?.file?.opts?.filename;
  if (typeof file !== 'string') return undefined;
  // The sandbox is a copy of the repository root, so compare the path below the root.
  const parts = path.relative(root, file).split(path.sep);
  const at = parts.indexOf('packages') >= 0 ? parts.indexOf('packages') : parts.indexOf('apps');
  return at >= 0 ? parts.slice(at).join('/') : undefined;
}

const gittyIgnorer = {
  shouldIgnore(nodePath) {
    const entries = ignoredMutants.filter((entry) => nodePath.node?.type && entry.file === relativeFile(nodePath));
    if (entries.length === 0) return undefined;
    const source = typeof nodePath.getSource === 'function' ? nodePath.getSource() : '';
    return entries.find((entry) => source.startsWith(entry.code))?.reason;
  },
};

// The shape `declareValuePlugin(PluginKind.Ignore, 'gitty', …)` returns, written out so this
// file needs no import of @stryker-mutator/api (not a direct dependency).
export const strykerPlugins = [{ kind: 'Ignore', name: 'gitty', value: gittyIgnorer }];
