import { close, closeSync, fsync, open, unlinkSync } from 'node:fs';
import { isFolderSyncUnsupported } from './fs-sync.js';
import { asStorageError } from './write-fully.js';

/**
 * Group commit: concurrent writers in one process share their flushes. A {@link Batcher} runs one
 * batch at a time; everything submitted while a batch runs forms the next one, so under load
 * each flush covers many writes, and a lone writer waits for nobody. Nothing submitted is
 * acknowledged (resolved) before the batch that covers it has finished.
 */

/** The outcome of one item of a batch: its result, or the error that fails it alone. */
export type BatchOutcome<Result> = { ok: true; value: Result } | { ok: false; error: unknown };

interface Waiting<Item, Result> {
  item: Item;
  resolve: (value: Result) => void;
  reject: (error: unknown) => void;
}

/**
 * Coalesces concurrent submissions into batches run one after another by `run`, which returns
 * one outcome per item (in order) or throws to fail every item of the batch.
 */
export class Batcher<Item, Result> {
  private waiting: Waiting<Item, Result>[] = [];
  private running = false;

  constructor(private readonly run: (items: readonly Item[]) => Promise<readonly BatchOutcome<Result>[]>) {}

  /** Add `item` to the next batch; resolves or rejects with its outcome once that batch is done. */
  submit(item: Item): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (!this.running) {
        this.running = true;
        // Writers that got here in the same burst of microtasks join the first batch; a lone
        // writer waits for no turn of the event loop.
        queueMicrotask(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.waiting.length > 0) {
      const batch = this.waiting;
      this.waiting = [];
      let outcomes: readonly BatchOutcome<Result>[];
      try {
        outcomes = await this.run(batch.map((w) => w.item));
      } catch (err) {
        for (const w of batch) w.reject(err);
        continue;
      }
      batch.forEach((w, i) => {
        const outcome = outcomes[i];
        if (!outcome) w.reject(new Error('group commit: a batch returned no outcome for an item'));
        else if (outcome.ok) w.resolve(outcome.value);
        else w.reject(outcome.error);
      });
    }
    this.running = false;
  }
}

/** fsync an open file through the thread pool, so several flushes run at once. */
export function fsyncAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fsync(fd, (err) => (err ? reject(err) : resolve())));
}

/** As `syncFolder` (fs-sync.ts), through callbacks so several run at once on the thread pool. */
export function syncFolderAsync(folder: string): Promise<void> {
  return new Promise((resolve, reject) => {
    open(folder, 'r', (openErr, fd) => {
      if (openErr) {
        if (isFolderSyncUnsupported(openErr)) resolve();
        else reject(openErr);
        return;
      }
      fsync(fd, (syncErr) => {
        close(fd, () => {
          if (!syncErr || isFolderSyncUnsupported(syncErr)) resolve();
          else reject(syncErr);
        });
      });
    });
  });
}

/** A new object file waiting for a flush: written in full to `temp`, still open as `fd`, not yet synced or visible. */
export interface PendingFile {
  fd: number;
  temp: string;
  /** The object's final path (what another writer of the same content waits on). */
  file: string;
  /** Folders to fsync once it is in place: its own, and parents of folders created for it. */
  folders: readonly string[];
  /**
   * Put the synced temp file in place (link or rename; removes the temp file). Returns true
   * when it created the object, false when a copy was there already; throws to fail this file.
   */
  place: () => boolean;
}

/**
 * Group commit for new object files. A flush: every queued file's data is fsynced (in
 * parallel), then each is put in place (so a visible object is always one whose bytes are on
 * disk), then every folder that gained a name is fsynced (in parallel). Only then are the
 * writers told. When a data or folder sync fails, every write of that flush fails with the
 * error (STORAGE_FULL for no room); temp files are removed.
 */
export class FileSyncGroup {
  private readonly batcher = new Batcher<PendingFile, boolean>((files) => this.flush(files));
  /** Object paths waiting for a flush, and that flush: a writer that finds one of them already in place waits for it. */
  private readonly inFlight = new Map<string, Promise<boolean>>();

  /** Queue `pending` for the next flush; resolves when it is durable (see {@link PendingFile.place}). */
  commit(pending: PendingFile): Promise<boolean> {
    const done = this.batcher.submit(pending);
    const settled = done.finally(() => {
      if (this.inFlight.get(pending.file) === settled) this.inFlight.delete(pending.file);
    });
    settled.catch(() => undefined);
    this.inFlight.set(pending.file, settled);
    return done;
  }

  /** Resolves once a flush in progress that writes `file` is over (at once when none is). Rejects as that flush failed. */
  async durable(file: string): Promise<void> {
    await this.inFlight.get(file);
  }

  private async flush(files: readonly PendingFile[]): Promise<BatchOutcome<boolean>[]> {
    const synced = await Promise.allSettled(files.map((f) => fsyncAsync(f.fd)));
    for (const f of files) closeSync(f.fd);
    const failed = synced.findIndex((s) => s.status === 'rejected');
    if (failed >= 0) {
      for (const f of files) removeQuietly(f.temp);
      throw asStorageError((synced[failed] as PromiseRejectedResult).reason, files[failed]!.temp);
    }
    const outcomes: BatchOutcome<boolean>[] = files.map((f) => {
      try {
        return { ok: true, value: f.place() };
      } catch (error) {
        removeQuietly(f.temp);
        return { ok: false, error };
      }
    });
    const folders = new Set<string>();
    files.forEach((f, i) => {
      if (outcomes[i]!.ok) for (const folder of f.folders) folders.add(folder);
    });
    const list = [...folders];
    const foldersSynced = await Promise.allSettled(list.map(syncFolderAsync));
    const folderFailed = foldersSynced.findIndex((s) => s.status === 'rejected');
    if (folderFailed >= 0) throw asStorageError((foldersSynced[folderFailed] as PromiseRejectedResult).reason, list[folderFailed]!);
    return outcomes;
  }
}

function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // already placed or gone; prune removes what a crash leaves
  }
}
