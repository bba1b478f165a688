import { assertName, isGittyError } from '@gitty/core';
import { CliError } from '../errors.js';

/**
 * How `gitty import` turns a relative path (`docs/intro.md`) into a gitty file name, which may
 * not hold `/`: `prefix + segments.join(separator)`, e.g. `docs:intro.md` with the default
 * separator `:`. The mapping is reversible — strip the prefix, split on the separator, join
 * with `/` — because a path whose name would not split back into the same segments (a segment
 * holding the separator) is refused, like one whose name is invalid for other reasons.
 */
export interface NameMapping {
  /** Put between path segments; 1 or more characters valid in a name. */
  separator: string;
  /** Put before every name (may itself hold the separator: `notes:`). */
  prefix: string;
}

/** The default separator: rare in paths (Windows forbids it) and valid in names. */
export const DEFAULT_SEPARATOR = ':';

/** A path that cannot become a name, and why. */
export interface RefusedPath {
  path: string;
  reason: string;
}

/** The name of `path` (segments separated by `/`), or why it has none. */
export function nameOfPath(path: string, mapping: NameMapping): { name: string } | { refused: string } {
  const segments = path.split('/');
  const name = mapping.prefix + segments.join(mapping.separator);
  const back = name.slice(mapping.prefix.length).split(mapping.separator);
  if (back.length !== segments.length || back.some((s, i) => s !== segments[i])) {
    return { refused: `a folder or file name holds the separator "${mapping.separator}", so the name could not be mapped back` };
  }
  try {
    assertName(name);
  } catch (err) {
    if (!isGittyError(err, 'INVALID_NAME')) throw err;
    // The core's message quotes the name as InvalidNameError does; a name may itself hold ": ".
    const quoted = `Invalid file name ${JSON.stringify(name).slice(0, 120)}: `;
    return { refused: err.message.startsWith(quoted) ? err.message.slice(quoted.length) : err.message };
  }
  return { name };
}

/** The path a name came from (the inverse of {@link nameOfPath}); undefined when the prefix differs. */
export function pathOfName(name: string, mapping: NameMapping): string | undefined {
  if (!name.startsWith(mapping.prefix)) return undefined;
  return name.slice(mapping.prefix.length).split(mapping.separator).join('/');
}

/** Check the mapping's own parts before any path is seen (a usage error names the option). */
export function checkMapping(mapping: NameMapping): string | undefined {
  if (mapping.separator.length === 0) return '--separator must not be empty';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f/\\]/.test(mapping.separator + mapping.prefix)) {
    return '--separator and --prefix must not hold "/", "\\" or control characters';
  }
  return undefined;
}

/** How many refused paths an error message lists before "and N more". */
const LISTED = 20;

/**
 * The error for paths that make no valid name: every offending path (up to 20) with its
 * reason, and the ways out.
 */
export function invalidNamesError(refused: readonly RefusedPath[], mapping: NameMapping): CliError {
  const listed = refused.slice(0, LISTED).map((r) => `${JSON.stringify(r.path)} (${r.reason})`);
  const more = refused.length > LISTED ? `, and ${refused.length - LISTED} more` : '';
  return new CliError(
    'INVALID_NAME',
    `${refused.length} path(s) cannot become gitty names with separator "${mapping.separator}": ${listed.join('; ')}${more}`,
    'choose another --separator, or pass --skip-invalid to import everything else; nothing was imported',
  );
}
