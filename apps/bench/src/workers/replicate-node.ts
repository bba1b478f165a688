// A replication node: one process with its own store on a (usually redis) driver. It writes when
// told and reports when it wrote; it reports when another node's write became readable here.
import { driverRow, openRowStore } from '../drivers.js';
import type { NodeMessage, WorkerCommand, WorkerConfig } from './protocol.js';

const config = JSON.parse(process.argv[2] ?? '{}') as WorkerConfig;
const send = (message: NodeMessage) =>
  new Promise<void>((resolve) => (process.send ? process.send(message, undefined, undefined, () => resolve()) : resolve()));
// CLOCK_MONOTONIC is shared by every process on the machine, so these stamps compare across nodes.
const stamp = () => process.hrtime.bigint().toString();

async function main(): Promise<void> {
  const store = await openRowStore(driverRow(config.driver), config.place);
  const heads = new Map<string, string>();

  // Readable means `get(name)` returns the new version here, not just that the event arrived.
  store.on('head', (event) => {
    if (event.origin !== 'remote' || event.new === null) return;
    store.get(event.name).then(
      (version) => {
        if (version.commit.commit === event.new) void send({ type: 'seen', name: event.name, commit: event.new, t: stamp() });
      },
      () => {},
    );
  });

  const write = async (name: string, text: string): Promise<string> => {
    const previous = heads.get(name);
    const commit = previous ? await store.update(name, text, { previous }) : await store.create(name, text);
    heads.set(name, commit.commit);
    return commit.commit;
  };

  process.on('message', (m: WorkerCommand) => {
    if (m.type === 'write') {
      const t0 = stamp();
      write(m.name, m.text).then(
        (commit) => void send({ type: 'wrote', name: m.name, commit, t: stamp(), t0 }),
        (err: unknown) => process.stderr.write(`write failed: ${String(err)}\n`),
      );
    } else if (m.type === 'burst') {
      void burst(m.durationMs);
    } else if (m.type === 'close') {
      void store.close().then(async () => {
        await send({ type: 'closed' });
        process.disconnect?.();
      });
    }
  });

  const burst = async (durationMs: number) => {
    const start = performance.now();
    let count = 0;
    let firstError: string | undefined;
    while (performance.now() - start < durationMs) {
      try {
        await write(`${config.name}-${count % 50}.txt`, `${config.name} burst write ${count}\n`);
        count++;
      } catch (err) {
        firstError ??= err instanceof Error ? err.message : String(err);
        break;
      }
    }
    await send({ type: 'burst-done', count, elapsedMs: performance.now() - start, firstError });
  };

  await send({ type: 'ready' });
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
