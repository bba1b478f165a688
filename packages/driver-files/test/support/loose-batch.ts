// A LooseObjectBatch over a fresh objects folder, and the descriptor-to-path record its node:fs
// mocks keep: the loose-batch tests (exact and mutants) name each flushed file by its path.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { nodeCompression } from '@gitty/core';
import { LooseObjects } from '../../src/loose.js';
import { LooseObjectBatch } from '../../src/loose-batch.js';

/** A batch with `durability` over `dir`/objects (made here), adding through an unflushed LooseObjects. */
export function batchIn(dir: string, durability: 'fsync' | 'none') {
  const root = path.join(dir, 'objects');
  mkdirSync(root);
  const unflushed = new LooseObjects({ root, compression: nodeCompression, maxObjectSize: 1 << 20, durability: 'none' });
  return { root, unflushed, batch: new LooseObjectBatch(unflushed, durability) };
}
