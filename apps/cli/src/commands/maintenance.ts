import type { Command } from 'commander';
import { action } from '../action.js';
import { trapInterrupt, type CliContext } from '../context.js';
import { parseCount, parseDuration } from '../duration.js';
import { formatBytes, table, type Output } from '../output.js';
import { storeFacts, type StoreFacts } from '../store-facts.js';

/** Print store facts as an aligned list; keys ending in "bytes" are shown as sizes. */
export function printFacts(out: Output, facts: StoreFacts): void {
  const rows: string[][] = [
    ['driver', facts.driver],
    ['files', String(facts.files)],
    ['versions', String(facts.versions)],
    ...Object.entries(facts.driverStats).map(([key, value]) => [key, /bytes/i.test(key) ? `${formatBytes(value)} (${value})` : String(value)]),
  ];
  for (const row of table(rows.map(([k, v]) => [out.paint.dim(k ?? ''), v ?? '']))) out.line(`  ${row}`);
}

/** init, fsck, repack, unpack, gc, reindex, stats: creating and maintaining a store. */
export function maintenanceCommands(program: Command): void {
  program
    .command('init')
    .description('create an empty store (the directory is made if needed); the only command that makes a store of a folder with other files')
    .action(action(async (ctx: CliContext) => {
      await ctx.withStore(async (store, selection) => {
        let files = 0;
        for await (const _head of store.driver.heads()) files++;
        ctx.out.result({ store: selection.config, driver: store.driver.name, files }, () => {
          ctx.out.line(files === 0
            ? `Initialised an empty gitty store (${store.driver.name} driver) from ${selection.origin}`
            : `A gitty store with ${files} ${files === 1 ? 'file' : 'files'} already exists there (${store.driver.name} driver)`);
        });
      }, { access: 'init' });
    }));

  program
    .command('fsck')
    .description('verify every object, history and head; exit status 1 when anything is wrong')
    .action(action(async (ctx: CliContext) => ctx.withStore(async (store) => {
      const bar = ctx.progress('fsck');
      const report = await store.fsck({ onProgress: bar.listener }).finally(() => bar.stop());
      ctx.out.result(report, () => {
        const { paint } = ctx.out;
        const c = report.counts;
        ctx.out.line(`${report.ok ? paint.green('ok') : paint.red('damaged')}: ${c.objects} objects (${c.commits} commits, ${c.blobs} blobs, ${c.other} other), ${c.heads} heads, ${c.corrupt} corrupt`);
        for (const issue of report.errors) ctx.out.line(`  ${paint.red(issue.code)} ${issue.message}`);
        for (const issue of report.warnings) ctx.out.line(`  ${paint.yellow('warning')} unreachable: ${issue.message} (gc removes it)`);
      });
      return report.ok ? 0 : 1;
    })));

  program
    .command('repack')
    .description('pack loose objects into a git pack with deltas (drivers with packs); Ctrl-C stops safely')
    .option('--min-files <n>', 'only repack when at least this many loose objects exist', '1')
    .option('--window <n>', 'candidate bases per delta search')
    .option('--depth <n>', 'longest delta chain')
    .action(action(async (ctx: CliContext, options: { minFiles: string; window?: string; depth?: string }) => {
      const minFiles = parseCount(options.minFiles, '--min-files', 0);
      const window = options.window === undefined ? undefined : parseCount(options.window, '--window');
      const depth = options.depth === undefined ? undefined : parseCount(options.depth, '--depth');
      return ctx.withStore(async (store) => {
        const abort = new AbortController();
        const untrap = trapInterrupt(() => abort.abort());
        const bar = ctx.progress('repack');
        try {
          let report;
          try {
            report = await store.repack({ minFiles, window, depth, onProgress: bar.listener, signal: abort.signal });
          } catch (err) {
            if (!abort.signal.aborted) throw err;
            bar.stop();
            // The pack is renamed into place before its index and loose objects go only after both: nothing is lost.
            ctx.out.note('gitty: repack interrupted; the store is valid — run it again to pack');
            return 130;
          }
          bar.stop();
          ctx.out.result(report, () => ctx.out.line(report.packed === 0
            ? 'nothing to repack'
            : `packed ${report.packed} objects (${report.deltas} deltas) into ${formatBytes(report.bytes)}; removed ${report.looseRemoved} loose objects and ${report.packsRemoved} packs`));
          return 0;
        } finally {
          bar.stop();
          untrap();
        }
      });
    }));

  program
    .command('unpack')
    .description('turn packed objects back into loose ones (drivers with packs)')
    .action(action(async (ctx: CliContext) => ctx.withStore(async (store) => {
      const bar = ctx.progress('unpack');
      const report = await store.unpack({ onProgress: bar.listener }).finally(() => bar.stop());
      ctx.out.result(report, () => ctx.out.line(`unpacked ${report.unpacked} objects`));
    })));

  program
    .command('gc')
    .description('delete objects no head reaches that are older than the grace period')
    .option('--grace <duration>', 'keep unreachable objects younger than this (e.g. 30m, 1h, 2d, 0)', '1h')
    .option('--dry-run', 'only report what would be deleted')
    .action(action(async (ctx: CliContext, options: { grace: string; dryRun?: boolean }) => {
      const graceMs = parseDuration(options.grace, '--grace');
      await ctx.withStore(async (store) => {
        const bar = ctx.progress('gc');
        const report = await store.gc({ graceMs, dryRun: options.dryRun === true, onProgress: bar.listener }).finally(() => bar.stop());
        // A dry run deletes nothing (deleted: 0); what it would delete is every unreachable object not kept.
        const wouldDelete = report.unreachable - report.kept;
        ctx.out.result(options.dryRun ? { ...report, dryRun: true, wouldDelete } : report, () => ctx.out.line(
          `${report.reachable} reachable, ${report.unreachable} unreachable: ${options.dryRun ? 'would delete' : 'deleted'} ${options.dryRun ? wouldDelete : report.deleted}, kept ${report.kept} younger than ${options.grace}`,
        ));
      });
    }));

  program
    .command('reindex')
    .description('rebuild the driver\'s index from the objects and the head log (drivers with an index)')
    .action(action(async (ctx: CliContext) => ctx.withStore(async (store) => {
      const bar = ctx.progress('reindex');
      await store.reindex({ onProgress: bar.listener }).finally(() => bar.stop());
      ctx.out.result({ reindexed: true }, () => ctx.out.line('reindexed'));
    }, { access: 'reindex' })));

  program
    .command('stats')
    .description('files, versions, objects loose/packed and bytes on disk')
    .action(action(async (ctx: CliContext) => ctx.withStore(async (store) => {
      const bar = ctx.progress('stats');
      const facts = await storeFacts(store, bar.listener).finally(() => bar.stop());
      ctx.out.result(facts, () => printFacts(ctx.out, facts));
    })));
}
