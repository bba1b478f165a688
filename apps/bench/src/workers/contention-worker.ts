// A contention worker: one process updating one shared file as fast as it can, retrying on
// NOT_AT_HEAD, for a fixed time after the parent says go. Reports every acknowledged commit so
// the parent can prove none was lost.
import { NotAtHeadError } from '@gitty/core';
import { driverRow, openRowStore } from '../drivers.js';
import type { ContentionMessage, WorkerCommand, WorkerConfig } from './protocol.js';

const config = JSON.parse(process.argv[2] ?? '{}') as WorkerConfig;
const send = (message: ContentionMessage) =>
  new Promise<void>((resolve) => (process.send ? process.send(message, undefined, undefined, () => resolve()) : resolve()));

async function main(): Promise<void> {
  const store = await openRowStore(driverRow(config.driver), config.place);
  await new Promise<void>((resolve) => {
    process.on('message', (m: WorkerCommand) => {
      if (m.type === 'go') resolve();
    });
    void send({ type: 'ready' });
  });
  const acked: string[] = [];
  let conflicts = 0;
  let errors = 0;
  let firstError: string | undefined;
  const start = performance.now();
  const deadline = start + (config.durationMs ?? 1000);
  let head = await store.head(config.name);
  let failingInARow = 0;
  // Stop on a run of unexpected errors: the report shows the first one instead of a spinning loop.
  for (let n = 0; performance.now() < deadline && failingInARow < 50; n++) {
    try {
      if (!head) throw new Error(`${config.name} does not exist`);
      const commit = await store.update(config.name, `worker ${config.worker} write ${n}\n`, { previous: head });
      acked.push(commit.commit);
      head = commit.commit;
      failingInARow = 0;
    } catch (err) {
      if (err instanceof NotAtHeadError) {
        conflicts++;
        head = err.head ?? (await store.head(config.name));
      } else {
        errors++;
        failingInARow++;
        firstError ??= err instanceof Error ? err.message : String(err);
        head = await store.head(config.name);
      }
    }
  }
  const elapsedMs = performance.now() - start;
  await store.close();
  await send({ type: 'done', acked, conflicts, errors, firstError, elapsedMs });
  process.disconnect?.();
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
