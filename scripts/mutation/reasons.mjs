// Why each surviving mutant survives: the reasons `combine.mjs --survivors` lists next to every
// survivor. They live in scripts/mutation/reasons/<entry>.json, one array per entry of
// `{ file, code, mutator?, replacement?, reason }`. An entry explains a survivor of `file` whose
// first source line contains `code`, when `mutator` and `replacement` (if given) match too.
// Unlike ignorers.mjs, a reason changes no score: the mutant still counts as survived.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

/** The entry's reasons from all its files; a malformed file is an error, not an empty list. */
export function loadReasons(root, entry) {
  const folder = path.join(root, 'scripts/mutation/reasons');
  if (!existsSync(folder)) return [];
  const names = readdirSync(folder)
    .filter((name) => name === `${entry}.json` || (name.startsWith(`${entry}.`) && name.endsWith('.json')))
    .sort();
  return names.flatMap((name) => reasonsIn(path.join(folder, name)));
}

function reasonsIn(file) {
  const reasons = JSON.parse(readFileSync(file, 'utf8'));
  if (!Array.isArray(reasons)) throw new Error(`${file}: expected an array`);
  for (const [index, reason] of reasons.entries()) {
    for (const key of ['file', 'code', 'reason']) {
      if (typeof reason?.[key] !== 'string' || reason[key] === '') throw new Error(`${file}[${index}]: "${key}" must be a non-empty string`);
    }
  }
  return reasons;
}

/**
 * The reason for one survivor (`{ code, mutator, replacement }`, `code` being the source line it
 * starts on), or undefined; every reason used is added to `used`.
 */
export function explain(reasons, file, survivor, used) {
  const found = reasons.find(
    (reason) =>
      reason.file === file &&
      survivor.code.includes(reason.code) &&
      (reason.mutator === undefined || reason.mutator === survivor.mutator) &&
      (reason.replacement === undefined || reason.replacement === survivor.replacement),
  );
  if (found) used.add(found);
  return found?.reason;
}
