/**
 * A chaos client: one real process that opens a store (any driver row; for redis rows it is a
 * node with its own inner store) and runs the seeded workload, or, in `observe` mode, reports
 * what the checker needs. Driven by the runner over IPC.
 *
 * argv[2]: JSON {@link ClientArgs}.
 */
import type { Store, StoreConfig } from '@gitty/core';
import { loadGitty } from './gitty-root.js';
import { HistoryWriter } from './history.js';
import { observe, readHeads, type Observation } from './observe.js';
import { Workload, errorCode, type WorkloadSpec } from './workload.js';

/** What the runner passes to a client process. */
export interface ClientArgs {
  mode: 'work' | 'observe';
  root: string;
  store: StoreConfig;
  historyFile: string;
  workload: WorkloadSpec;
}

/** Messages from the runner. */
export type ClientCommand = { cmd: 'stop' } | { cmd: 'heads' } | { cmd: 'observe' } | { cmd: 'exit' };

/** Messages to the runner. */
export type ClientReply =
  | { event: 'ready' }
  | { event: 'stopped'; completed: number }
  | { event: 'heads'; heads: Record<string, string> | null; error?: string }
  | { event: 'observed'; observation: Observation }
  | { event: 'error'; message: string };

const args = JSON.parse(process.argv[2] ?? '{}') as ClientArgs;

function reply(message: ClientReply): void {
  process.send?.(message);
}

async function openWithRetry(): Promise<Store> {
  const core = await loadGitty(args.root);
  // A fault may be active while the process (re)starts (Redis down, disk full): keep trying.
  for (let attempt = 0; ; attempt++) {
    try {
      return await core.openStore(args.store);
    } catch (err) {
      if (attempt % 20 === 0) process.stderr.write(`open failed (${errorCode(err)}): ${err instanceof Error ? err.message : String(err)}\n`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

async function main(): Promise<void> {
  const store = await openWithRetry();
  let workload: Workload | undefined;
  let history: HistoryWriter | undefined;
  if (args.mode === 'work') {
    history = new HistoryWriter(args.historyFile);
    workload = new Workload(store, history, args.workload);
    workload.start();
  }
  process.on('message', (message: ClientCommand) => {
    void (async () => {
      try {
        if (message.cmd === 'stop') {
          await workload?.stop();
          reply({ event: 'stopped', completed: workload?.completed ?? 0 });
        } else if (message.cmd === 'heads') {
          try {
            reply({ event: 'heads', heads: await readHeads(store) });
          } catch (err) {
            reply({ event: 'heads', heads: null, error: `${errorCode(err)}: ${err instanceof Error ? err.message : String(err)}` });
          }
        } else if (message.cmd === 'observe') {
          reply({ event: 'observed', observation: await observe(store) });
        } else if (message.cmd === 'exit') {
          await workload?.stop();
          history?.close();
          await Promise.race([store.close(), new Promise((r) => setTimeout(r, 10_000))]);
          process.exit(0);
        }
      } catch (err) {
        reply({ event: 'error', message: err instanceof Error ? err.stack ?? err.message : String(err) });
      }
    })();
  });
  process.on('disconnect', () => process.exit(0));
  reply({ event: 'ready' });
}

// Faults surface as rejections deep inside drivers (a dropped Redis connection, ENOSPC in a
// background write): log them and carry on, as a long-running application server would.
process.on('unhandledRejection', (err) => process.stderr.write(`unhandled rejection: ${err instanceof Error ? err.stack : String(err)}\n`));
process.on('uncaughtException', (err) => process.stderr.write(`uncaught exception: ${err.stack ?? err.message}\n`));

void main();
