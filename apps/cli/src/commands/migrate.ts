import type { Command } from 'commander';
import { action } from '../action.js';
import { parseStoreSpec } from '../config.js';
import { trapInterrupt, withOpenStore, type CliContext } from '../context.js';
import { compareStores } from '../compare-stores.js';
import { copyStore } from '../copy-store.js';
import { parseCount } from '../duration.js';
import { shortHash } from '../output.js';

const STORE_ARGUMENT = 'a directory (files driver), <driver>:<dir> such as sqlite:./s, or a .json config file';

/** copy and compare: moving whole stores between drivers. */
export function migrateCommands(program: Command): void {
  program
    .command('copy <from> <to>')
    .description(`copy every file with its whole history, hashes preserved; incremental; Ctrl-C leaves both stores valid (a store is ${STORE_ARGUMENT})`)
    .option('--concurrency <n>', 'files copied at once', '4')
    .action(action(async (ctx: CliContext, fromSpec: string, toSpec: string, options: { concurrency: string }) => {
      const concurrency = parseCount(options.concurrency, '--concurrency');
      const [from, to] = await Promise.all([parseStoreSpec(fromSpec), parseStoreSpec(toSpec)]);
      const abort = new AbortController();
      const untrap = trapInterrupt(() => abort.abort());
      try {
        return await withOpenStore(from, (source) => withOpenStore(to, async (target) => {
          const bar = ctx.progress('copy');
          const report = await copyStore(source, target, { signal: abort.signal, onProgress: bar.listener, concurrency }).finally(() => bar.stop());
          ctx.out.result(report, () => {
            const { paint } = ctx.out;
            const verb = report.interrupted ? paint.yellow('interrupted after copying') : paint.green('copied');
            ctx.out.line(`${verb} ${report.objects} objects${report.raw ? ' (raw)' : ''}; files: ${report.updated} updated, ${report.upToDate} up to date, ${report.files} in all`);
            for (const d of report.diverged) {
              ctx.out.line(`  ${paint.red('diverged')} ${d.name}: source ${shortHash(d.source)}, target ${shortHash(d.target)} (left as it is)`);
            }
          });
          if (report.interrupted) {
            ctx.out.note('gitty: copy interrupted; both stores are valid — run the same command again to finish');
            return 130;
          }
          return report.diverged.length > 0 ? 1 : 0;
        }, { access: 'create-if-empty' }));
      } finally {
        untrap();
      }
    }));

  program
    .command('compare <a> <b>')
    .description(`compare two stores: same files, heads and histories? exit status 1 when they differ (a store is ${STORE_ARGUMENT})`)
    .option('--quick', 'compare heads only, without checking every object of every history')
    .action(action(async (ctx: CliContext, aSpec: string, bSpec: string, options: { quick?: boolean }) => {
      const [a, b] = await Promise.all([parseStoreSpec(aSpec), parseStoreSpec(bSpec)]);
      return withOpenStore(a, (storeA) => withOpenStore(b, async (storeB) => {
        const bar = ctx.progress('compare');
        const result = await compareStores(storeA, storeB, { quick: options.quick, onProgress: bar.listener }).finally(() => bar.stop());
        ctx.out.result(result, () => {
          const { paint } = ctx.out;
          if (result.identical) {
            ctx.out.line(`${paint.green('identical')}: ${result.files} files${options.quick ? '' : `, ${result.versions} versions`}`);
            return;
          }
          ctx.out.line(`${paint.red('different')}: ${result.files} files identical`);
          for (const name of result.onlyInA) ctx.out.line(`  only in ${aSpec}: ${name}`);
          for (const name of result.onlyInB) ctx.out.line(`  only in ${bSpec}: ${name}`);
          for (const d of result.differ) ctx.out.line(`  differs: ${d.name} (${shortHash(d.a)} vs ${shortHash(d.b)})`);
          for (const m of result.missing) ctx.out.line(`  missing in ${m.side === 'a' ? aSpec : bSpec}: ${m.hash} (history of ${m.name})`);
        });
        return result.identical ? 0 : 1;
      }));
    }));
}
