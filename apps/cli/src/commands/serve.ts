import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { action } from '../action.js';
import { untilStopped, type CliContext } from '../context.js';
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

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/**
 * The write token, as the server's own program reads it: from `--token-file` or
 * `$GITTY_TOKEN_FILE` (a file holding it; a trailing newline is ignored), else `--token` (visible
 * to every user in `ps`, so the docs name it last), else `$GITTY_TOKEN`. Empty values count as
 * none, so `GITTY_TOKEN=` means no token rather than failing.
 */
async function writeToken(options: { token?: string; tokenFile?: string }, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const file = options.tokenFile ?? (env.GITTY_TOKEN_FILE || undefined);
  if (file !== undefined) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new CliError('READ_FAILED', `Cannot read the token file ${file}: ${(err as Error).message}`, 'give a readable file holding the token (--token-file or $GITTY_TOKEN_FILE)');
    }
    const token = text.replace(/\r?\n$/, '');
    if (token.length === 0 || /\s/.test(token)) throw new UsageError(`The token file ${file} must hold one token without white space`, 'write the token alone on one line');
    return token;
  }
  return options.token || env.GITTY_TOKEN || undefined;
}

interface ServeOptions {
  port: string;
  host: string;
  token?: string;
  tokenFile?: string;
  allowHost?: string[];
  acceptClientTime?: boolean;
  cors?: string[];
  bodyLimit?: string;
  writeRate?: string;
}

/** serve: the HTTP service and web page of @gitty/server over the selected store, until Ctrl-C. */
export function serveCommands(program: Command): void {
  program
    .command('serve')
    .description('serve the store over HTTP (REST API, /events, web page) until Ctrl-C')
    .option('--port <port>', 'TCP port (0 picks a free one)', '8080')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--token-file <file>', 'a file holding the bearer token required for writes (default: $GITTY_TOKEN_FILE)')
    .option('--token <token>', 'the bearer token itself (shows in `ps`: prefer --token-file or $GITTY_TOKEN; none: writes open)')
    .option('--allow-host <name>', 'a Host name to answer besides the bound ones (repeatable; "*": any), against DNS rebinding', collect)
    .option('--accept-client-time', 'keep a meta.time sent by clients (imports); otherwise the server sets the time')
    .option('--cors <origins...>', 'origins allowed by CORS (default: CORS off)')
    .option('--body-limit <bytes>', 'largest request body in bytes')
    .option('--write-rate <perSecond>', 'writes per second allowed per client, 0: no limit (default: 10, bursts of 50)')
    .action(action(async (ctx: CliContext, options: ServeOptions) => {
      const rate = options.writeRate === undefined ? undefined : writesPerSecond(options.writeRate);
      const token = await writeToken(options, ctx.io.env);
      // @gitty/server is an optional peer dependency of the CLI.
      const { startServer, startupMessage } = await import('@gitty/server').catch((err: unknown) => {
        if (isMissingPackage(err, '@gitty/server')) throw new CliError('NOT_INSTALLED', '@gitty/server is not installed (`gitty serve` needs it)', installHint('@gitty/server'));
        throw err;
      });
      const selection = await ctx.selection();
      await prepareStoreFolders(selection);
      const server = await startServer({
        store: selection.config,
        port: port(options.port),
        host: options.host,
        token,
        allowedHosts: options.allowHost,
        acceptClientTime: options.acceptClientTime ?? false,
        corsOrigins: options.cors,
        bodyLimit: options.bodyLimit === undefined ? undefined : positive(options.bodyLimit, '--body-limit'),
        writeRateLimit: rate === undefined ? undefined : rate === 0 ? false : { rate, burst: Math.max(1, Math.ceil(rate * 5)) },
      });
      const { line, warning } = startupMessage(server, { token });
      if (ctx.out.json) ctx.out.event({ listening: server.url, store: selection.origin, writesNeedToken: token !== undefined });
      else ctx.out.line(`${line} — store ${selection.origin} (Ctrl-C to stop)`);
      if (warning) ctx.out.error(warning);
      await untilStopped();
      await server.close();
    }));
}
