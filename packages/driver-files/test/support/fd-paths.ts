// The callback `open` of the loose-batch tests' node:fs mocks: it notes which path each descriptor
// is, so an fsync or close is recorded by file. It imports nothing at run time, so a vi.mock factory
// of node:fs can load it without loading node:fs.
import type fs from 'node:fs';

type OpenCallback = (e: NodeJS.ErrnoException | null, fd: number) => void;

/** `realOpen` (callback form, with flags) that first sets `fdPaths` for each descriptor it opens. */
export const openNotingPaths = (realOpen: typeof fs.open, fdPaths: Map<number, string>) =>
  (file: string, flags: string, callback: OpenCallback) =>
    realOpen(file, flags, (e, fd) => {
      if (!e) fdPaths.set(fd, file);
      callback(e, fd);
    });
