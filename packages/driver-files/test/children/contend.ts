// The contenders' write loop (contender.ts, compacting-contender.ts): random creates and updates
// over a shared set of names, retrying on lost races, one JSON line per acknowledged commit.
import { isGittyError, type Store } from '@gitty/core';

/** What a contender does besides writing: note each acknowledged commit, work after each operation. */
export interface ContendHooks {
  acknowledged?: (commit: string) => void;
  afterOp?: (op: number) => Promise<void>;
}

/** Run `ops` operations over `file-0.txt` … `file-<nameCount - 1>.txt`, in an order seeded by `id`. */
export async function contend(store: Store, id: string, ops: number, nameCount: number, hooks: ContendHooks = {}): Promise<void> {
  const names = Array.from({ length: nameCount }, (_, i) => `file-${i}.txt`);
  let seed = Number(id) * 7919 + 1;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let op = 0; op < ops; op++) {
    const name = names[Math.floor(random() * names.length)]!;
    for (;;) {
      try {
        const head = await store.head(name);
        const data = `${name} by ${id} op ${op}\n`;
        const commit = head ? await store.update(name, data, { previous: head }) : await store.create(name, data);
        hooks.acknowledged?.(commit.commit);
        process.stdout.write(JSON.stringify({ name, commit: commit.commit }) + '\n');
        break;
      } catch (err) {
        if (!isGittyError(err, 'NOT_AT_HEAD') && !isGittyError(err, 'FILE_EXISTS')) throw err;
        await store.rescan();
      }
    }
    await hooks.afterOp?.(op);
  }
}
