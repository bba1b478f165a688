import { open } from 'node:fs/promises';

/** How hard writes try to survive a power loss: `fsync` file and folder, or trust the page cache. */
export type Durability = 'fsync' | 'none';

/** fsync a folder so a rename or link in it is durable (a no-op where folders cannot be opened). */
export async function fsyncDir(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (err) {
    // Some file systems refuse fsync on folders (EINVAL/EISDIR); the data file is synced anyway.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EPERM') throw err;
  } finally {
    await handle?.close();
  }
}
