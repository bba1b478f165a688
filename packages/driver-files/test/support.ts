import { defaultDriverContext, openStore, type DriverContext, type Store } from '@gitty/core';
import { tempDir } from '@gitty/driver-test/harness';
import { FilesDriver, createDriver } from '@gitty/driver-files';

/** Open a files driver on `dir` (durability none unless given) with test-friendly defaults. */
export async function openFiles(dir: string, options: Record<string, unknown> = {}, context?: Partial<DriverContext>): Promise<FilesDriver> {
  return (await createDriver({ dir, durability: 'none', ...options }, defaultDriverContext(context))) as FilesDriver;
}

/** A temp store folder; `use` gets it and every store/driver opened through `open` is closed afterwards. */
export async function withStoreDir(
  use: (dir: string, open: (options?: Record<string, unknown>) => Promise<Store>) => Promise<void>,
): Promise<void> {
  const { dir, remove } = await tempDir('gitty-files-');
  const stores: Store[] = [];
  try {
    await use(dir, async (options = {}) => {
      const store = await openStore(await openFiles(dir, options));
      stores.push(store);
      return store;
    });
  } finally {
    for (const store of stores) await store.close();
    await remove();
  }
}
