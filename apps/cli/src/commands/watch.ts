import type { Command } from 'commander';
import type { HeadEvent, Store } from '@gitty/core';
import { action } from '../action.js';
import { untilStopped, type CliContext } from '../context.js';
import { parseDuration } from '../duration.js';
import { shortHash, type Output } from '../output.js';

function printEvent(out: Output, event: HeadEvent): void {
  const time = new Date().toISOString();
  if (out.json) {
    out.event({ time, ...event });
    return;
  }
  const { paint } = out;
  const what = event.old === null ? paint.green('created') : event.new === null ? paint.red('deleted') : paint.cyan('updated');
  out.line(`${paint.dim(time.slice(11, 19))} ${what} ${paint.bold(event.name)} ${shortHash(event.old)} → ${paint.yellow(shortHash(event.new))}`);
}

/** Poll heads for drivers that cannot push changes: rescan, diff against the last snapshot. */
async function pollHeads(store: Store, intervalMs: number, emit: (event: HeadEvent) => void): Promise<() => void> {
  let last: Map<string, string> | undefined;
  let busy = false;
  const snapshot = async () => {
    const heads = new Map<string, string>();
    for await (const { name, head } of store.driver.heads()) heads.set(name, head);
    return heads;
  };
  const tick = async () => {
    if (busy || store.isClosed) return;
    busy = true;
    try {
      await store.rescan();
      const now = await snapshot();
      if (last) {
        for (const [name, head] of now) if (last.get(name) !== head) emit({ name, old: last.get(name) ?? null, new: head, origin: 'remote' });
        for (const [name, head] of last) if (!now.has(name)) emit({ name, old: head, new: null, origin: 'remote' });
      }
      last = now;
    } finally {
      busy = false;
    }
  };
  await tick(); // the first snapshot is the baseline: "watching" is printed only after it
  const timer = setInterval(() => void tick().catch(() => {}), intervalMs);
  return () => clearInterval(timer);
}

/** watch: print head changes until Ctrl-C. */
export function watchCommands(program: Command): void {
  program
    .command('watch')
    .description('print every head change (created, updated, deleted) as it happens, until Ctrl-C')
    .option('--interval <duration>', 'poll interval for drivers that cannot push changes', '500ms')
    .action(action(async (ctx: CliContext, options: { interval: string }) => {
      const intervalMs = Math.max(parseDuration(options.interval, '--interval'), 10);
      await ctx.withStore(async (store, selection) => {
        const stop = store.driver.capabilities.watch
          ? store.on('head', (event) => printEvent(ctx.out, event))
          : await pollHeads(store, intervalMs, (event) => printEvent(ctx.out, event));
        ctx.out.note(`watching ${selection.origin} (${store.driver.name} driver); Ctrl-C to stop`);
        // Drivers unref their watch timers (a library must not keep an app alive); this command must stay up.
        const keepAlive = setInterval(() => {}, 1 << 30);
        await untilStopped();
        clearInterval(keepAlive);
        stop();
      });
    }));
}
