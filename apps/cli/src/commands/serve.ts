import type { Command } from 'commander';
import { action } from '../action.js';
import type { CliContext } from '../context.js';
import { CliError, UsageError } from '../errors.js';
import { installHint, isMissingPackage } from '../optional-package.js';
import { prepareStoreFolders } from '../store-guard.js';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`Invalid --port "${value}"`, 'give a TCP port from 0 to 65535');
  return n;
}

function positive(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`Invalid ${flag} "${value}"`, 'give a positive number');
  return n;
}

/** `--write-rate`: writes per second per client, 0 turning the limit off. */
function writesPerSecond(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new UsageError(`Invalid --write-rate "${value}"`, 'give writes per second per client, or 0 for no limit');
  return n;
}

/** serve: the HTTP service and web page of @gitty/server over the selected store, until Ctrl-C. */
export function serveCommands(program: Command): void {
  program
    .command('serve')
    .description('serve the store over HTTP (REST API, /events, web page) until Ctrl-C')
    .option('--port <port>', 'TCP port (0 picks a free one)', '8080')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--token <token>', 'bearer token required for writes (default: $GITTY_TOKEN; none: writes open)')
    .option('--cors <origins...>', 'origins allowed by CORS (default: CORS off)')
    .option('--body-limit <bytes>', 'largest request body in bytes')
    .option('--write-rate <perSecond>', 'writes per second allowed per client, 0: no limit (default: 10, bursts of 50)')
    .action(action(async (ctx: CliContext, options: { port: string; host: string; token?: string; cors?: string[]; bodyLimit?: string; writeRate?: string }) => {
      const rate = options.writeRate === undefined ? undefined : writesPerSecond(options.writeRate);
      // @gitty/server is an optional peer dependency of the CLI.
      const { startServer } = await import('@gitty/server').catch((err: unknown) => {
        if (isMissingPackage(err, '@gitty/server')) throw new CliError('NOT_INSTALLED', '@gitty/server is not installed (`gitty serve` needs it)', installHint('@gitty/server'));
        throw err;
      });
      const selection = await ctx.selection();
      await prepareStoreFolders(selection);
      const server = await startServer({
        store: selection.config,
        port: port(options.port),
        host: options.host,
        token: options.token ?? process.env.GITTY_TOKEN,
        corsOrigins: options.cors,
        bodyLimit: options.bodyLimit === undefined ? undefined : positive(options.bodyLimit, '--body-limit'),
        writeRateLimit: rate === undefined ? undefined : rate === 0 ? false : { rate, burst: Math.max(1, Math.ceil(rate * 5)) },
      });
      if (ctx.out.json) ctx.out.event({ listening: server.url, store: selection.origin });
      else ctx.out.line(`gitty serving ${selection.origin} at ${server.url} (Ctrl-C to stop)`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      await server.close();
    }));
}
