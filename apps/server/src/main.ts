#!/usr/bin/env node
/**
 * Run the gitty server: `node dist/main.js --config gitty.json` or `--driver files --dir ./store`.
 * Options: --port (8080), --host (127.0.0.1), --token-file <file> (or GITTY_TOKEN, GITTY_TOKEN_FILE;
 * --token works too but shows in `ps`), --allow-host <name> (repeatable), --cors <origin> (repeatable),
 * --body-limit <bytes>, --write-rate <per second> (0: off), --accept-client-time (imports).
 * Stops gracefully on SIGINT/SIGTERM.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { StoreConfig } from '@gitty/core';
import { startServer, startupMessage } from './server.js';
import type { ServerOptions } from './options.js';

async function storeConfig(values: { config?: string; driver?: string; dir?: string }): Promise<StoreConfig> {
  if (values.config) {
    const file = path.resolve(values.config);
    const config = JSON.parse(await readFile(file, 'utf8')) as StoreConfig;
    // Relative paths in a config file are relative to the file.
    if (typeof config.dir === 'string') config.dir = path.resolve(path.dirname(file), config.dir);
    return { resolveFrom: path.dirname(file), ...config };
  }
  if (!values.driver) throw new Error('give --config <file.json> or --driver <name> [--dir <store>]');
  return { driver: values.driver, ...(values.dir ? { dir: path.resolve(values.dir) } : {}) };
}

/**
 * The write token: from --token-file or GITTY_TOKEN_FILE (a file holding it, trailing newline
 * ignored), GITTY_TOKEN, or --token (visible to other users in `ps`, so the others come first
 * in the docs).
 */
async function tokenOf(argument: string | undefined, file: string | undefined): Promise<string | undefined> {
  const path = file ?? process.env.GITTY_TOKEN_FILE;
  if (path) {
    const token = (await readFile(path, 'utf8')).replace(/\r?\n$/, '');
    if (token.length === 0 || /\s/.test(token)) throw new Error(`the token file ${path} must hold one token without white space`);
    return token;
  }
  return argument ?? (process.env.GITTY_TOKEN || undefined);
}

function integer(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      config: { type: 'string' }, driver: { type: 'string' }, dir: { type: 'string' },
      port: { type: 'string' }, host: { type: 'string' }, token: { type: 'string' }, 'token-file': { type: 'string' },
      'allow-host': { type: 'string', multiple: true }, 'accept-client-time': { type: 'boolean' },
      cors: { type: 'string', multiple: true }, 'body-limit': { type: 'string' }, 'write-rate': { type: 'string' },
      log: { type: 'boolean' },
    },
  });
  const writeRate = integer(values['write-rate'], 'write-rate');
  const options: ServerOptions = {
    store: await storeConfig(values),
    port: integer(values.port, 'port'),
    host: values.host,
    token: await tokenOf(values.token, values['token-file']),
    allowedHosts: values['allow-host'],
    acceptClientTime: values['accept-client-time'] ?? false,
    corsOrigins: values.cors,
    bodyLimit: integer(values['body-limit'], 'body-limit'),
    writeRateLimit: writeRate === undefined ? undefined : writeRate === 0 ? false : { rate: writeRate, burst: writeRate * 5 },
    logger: values.log ?? false,
  };
  const server = await startServer(options);
  const { line, warning } = startupMessage(server, options);
  process.stdout.write(`${line}\n`);
  if (warning) process.stderr.write(`${warning}\n`);
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${signal}: shutting down\n`);
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`shutdown failed: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`gitty server: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
