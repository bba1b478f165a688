import { mkdir, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { StoreSelection } from './config.js';
import { CliError } from './errors.js';

/**
 * What a command may do to the folders of the store it opens (the drivers create whatever is
 * missing, so this is checked before opening):
 * - `existing`: the folder must already be a store (and have its driver's index);
 * - `reindex`: a store, whose index may be missing (reindex builds it);
 * - `create-if-empty`: a store, or an empty or missing folder that becomes one (`put`, copy targets);
 * - `init`: any folder becomes a store.
 */
export type StoreAccess = 'existing' | 'reindex' | 'create-if-empty' | 'init';

/** The built-in drivers that keep a store in a folder: `objects/` and the head log `ref/head`. */
const FOLDER_DRIVERS = new Set(['files', 'packs', 'sqlite']);
/** What only a store folder holds (any driver above makes both). */
const STORE_MARKERS = ['objects', 'ref'];
/** The sqlite driver's index: building it reads the whole store, so only init and reindex may. */
const SQLITE_INDEX = 'index.sqlite';

/** A `dir` option of a config and the driver it belongs to (nested inner configs included). */
interface StoreFolder {
  dir: string;
  driver: string | undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function storeFolders(config: Record<string, unknown>): StoreFolder[] {
  const folders: StoreFolder[] = [];
  const driver = typeof config.driver === 'string' ? config.driver : undefined;
  for (const [key, value] of Object.entries(config)) {
    if (key === 'dir' && typeof value === 'string') folders.push({ dir: value, driver });
    else if (isPlainObject(value)) folders.push(...storeFolders(value));
  }
  return folders;
}

function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/** The command that makes (or, for `reindex`, indexes) the store in `folder`. */
function commandFor(folder: StoreFolder, verb: 'init' | 'reindex'): string {
  const driver = folder.driver && folder.driver !== 'files' ? ` --driver ${shellWord(folder.driver)}` : '';
  return `gitty --store ${shellWord(folder.dir)}${driver} ${verb}`;
}

async function checkFolder(folder: StoreFolder, access: StoreAccess, origin: string): Promise<void> {
  const { dir } = folder;
  const found = await stat(dir).catch(() => undefined);
  const creates = access === 'init' || access === 'create-if-empty';
  if (!found) {
    if (!creates) throw new CliError('NO_STORE', `No store at ${dir}`, `create one with \`${commandFor(folder, 'init')}\`, or check ${origin}`);
    await mkdir(dir, { recursive: true });
    return;
  }
  if (!found.isDirectory()) throw new CliError('NO_STORE', `${dir} is not a directory`, `check ${origin}`);
  // A driver this CLI does not know keeps its folder as it likes: only its existence is checked.
  if (!FOLDER_DRIVERS.has(folder.driver ?? '')) return;
  const entries = await readdir(dir);
  const isStore = STORE_MARKERS.some((marker) => entries.includes(marker));
  if (!isStore) {
    if (access === 'init' || (access === 'create-if-empty' && entries.length === 0)) return;
    throw new CliError(
      'NO_STORE',
      `${dir} is not a gitty store (no objects/ or ref/ folder)`,
      `create one with \`${commandFor(folder, 'init')}\`, or check the path`,
    );
  }
  if (folder.driver === 'sqlite' && access !== 'init' && access !== 'reindex' && !entries.includes(SQLITE_INDEX)) {
    throw new CliError('NO_STORE', `${dir} has no sqlite index (${SQLITE_INDEX})`, `build it with \`${commandFor(folder, 'reindex')}\``);
  }
}

/**
 * Check (and where `access` allows, create) the folders of the selected store before a driver
 * opens it, so that opening never turns an unrelated folder into a store: throws NO_STORE
 * with the one command that fixes it.
 */
export async function prepareStoreFolders(selection: StoreSelection, access: StoreAccess = 'existing'): Promise<void> {
  for (const folder of storeFolders(selection.config)) await checkFolder(folder, access, selection.origin);
}

/** Every store folder of a selection (for `gitty git`), in config order. */
export function storeFolderPaths(selection: StoreSelection): string[] {
  return storeFolders(selection.config).map((folder) => path.resolve(folder.dir));
}
