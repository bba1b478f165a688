import type { Command } from 'commander';
import { openStore, type Store } from '@gitty/core';
import { ioOf, processIo, type CliIo } from './io.js';
import { selectStore, type StoreSelection, type StoreSelectionOptions } from './config.js';
import { Output } from './output.js';
import { progressDisplay, type ProgressDisplay } from './progress.js';
import { prepareStoreFolders, type StoreAccess } from './store-guard.js';

/** The global options every command sees. */
export interface GlobalOptions extends StoreSelectionOptions {
  json?: boolean;
  debug?: boolean;
}

/** What a command's action works with: the global options, the output, and the store. */
export class CliContext {
  readonly out: Output;

  constructor(
    readonly globals: GlobalOptions,
    /** Standard streams and environment of this run. */
    readonly io: CliIo = processIo(),
  ) {
    this.out = new Output(globals.json === true, io.stdout, io.stderr, io.env);
  }

  /** The context of a running commander command (global options merged in). */
  static of(command: Command): CliContext {
    return new CliContext(command.optsWithGlobals<GlobalOptions>(), ioOf(command));
  }

  /** A progress bar for long work on stderr (a no-op when not a terminal or with --json). */
  progress(label: string): ProgressDisplay {
    return progressDisplay(label, { json: this.out.json, stream: this.io.stderr });
  }

  /** The selected store's config (see `selectStore`). */
  selection(): Promise<StoreSelection> {
    return selectStore(this.globals, this.io.env);
  }

  /**
   * Open the selected store, run `work`, and close the store whatever happens. The store must
   * exist unless `access` allows creating it (see {@link StoreAccess}).
   */
  async withStore<T>(work: (store: Store, selection: StoreSelection) => Promise<T>, options: { access?: StoreAccess } = {}): Promise<T> {
    const selection = await this.selection();
    return withOpenStore(selection, work, options);
  }
}

/** Open a store from a selection (checked, or created, as `access` says), run `work`, close it. */
export async function withOpenStore<T>(
  selection: StoreSelection,
  work: (store: Store, selection: StoreSelection) => Promise<T>,
  options: { access?: StoreAccess } = {},
): Promise<T> {
  await prepareStoreFolders(selection, options.access);
  const store = await openStore(selection.config);
  try {
    return await work(store, selection);
  } finally {
    await store.close();
  }
}

/**
 * Run `onInterrupt` on the first SIGINT (Ctrl-C) instead of dying, so long work can stop at a
 * safe point; a second SIGINT exits at once (status 130). Returns a function that removes the handler.
 */
export function trapInterrupt(onInterrupt: () => void): () => void {
  let count = 0;
  const handler = () => {
    count++;
    if (count === 1) onInterrupt();
    else process.exit(130);
  };
  process.on('SIGINT', handler);
  return () => process.off('SIGINT', handler);
}

/**
 * Resolve on the first SIGINT or SIGTERM (commands that run until stopped: serve, watch), and
 * remove both handlers then, so a run inside a longer-lived process (tests, embedders) leaves
 * none behind.
 */
export function untilStopped(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
