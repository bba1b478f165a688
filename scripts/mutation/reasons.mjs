// Why each surviving mutant survives: the reasons `combine.mjs --survivors` lists next to every
// survivor. They live in scripts/mutation/reasons/<entry>.json, one array per entry of
// `{ file, code, mutator?, replacement?, reason }`. An entry explains a survivor of `file` whose
// first source line contains `code`, when `mutator` and `replacement` (if given) match too.
// Unlike ignorers.mjs, a reason changes no score: the mutant still counts as survived.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The entry's reasons; a malformed file is an error, not an empty list. */
export function loadReasons(root, entry) {
  const file = path.join(root, 'scripts/mutation/reasons', `${entry}.json`);
  if (!existsSync(file)) return [];
  const reasons = JSON.parse(readFileSync(file, 'utf8'));
  if (!Array.isArray(reasons)) throw new Error(`${file}: expected an array`);
  for (const [index, reason] of reasons.entries()) {
    for (const key of ['file', 'code', 'reason']) {
      if (typeof reason?.[key] !== 'string' || reason[key] === '') throw new Error(`${file}[${index}]: "${key}" must be a non-empty string`);
    }
  }
  return reasons;
}

/** The reason for one survivor, or undefined; every reason used is added to `used`. */
export function explain(reasons, file, sourceLine, mutant, used) {
  const found = reasons.find(
    (reason) =>
      reason.file === file &&
      sourceLine.includes(reason.code) &&
      (reason.mutator === undefined || reason.mutator === mutant.mutatorName) &&
      (reason.replacement === undefined || reason.replacement === mutant.replacement),
  );
  if (found) used.add(found);
  return found?.reason;
}
