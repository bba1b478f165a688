#!/usr/bin/env node
/**
 * Run the gitty server: `node dist/main.js --config gitty.json` or `--driver files --dir ./store`.
 * Options: --port (8080), --host (127.0.0.1), --token (or GITTY_TOKEN), --cors <origin> (repeatable),
 * --body-limit <bytes>, --write-rate <per second> (0: off). Stops gracefully on SIGINT/SIGTERM.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { StoreConfig } from '@gitty/core';
import { startServer } from './server.js';
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
      port: { type: 'string' }, host: { type: 'string' }, token: { type: 'string' },
      cors: { type: 'string', multiple: true }, 'body-limit': { type: 'string' }, 'write-rate': { type: 'string' },
      log: { type: 'boolean' },
    },
  });
  const writeRate = integer(values['write-rate'], 'write-rate');
  const options: ServerOptions = {
    store: await storeConfig(values),
    port: integer(values.port, 'port'),
    host: values.host,
    token: values.token ?? process.env.GITTY_TOKEN ?? undefined,
    corsOrigins: values.cors,
    bodyLimit: integer(values['body-limit'], 'body-limit'),
    writeRateLimit: writeRate === undefined ? undefined : writeRate === 0 ? false : { rate: writeRate, burst: writeRate * 5 },
    logger: values.log ?? false,
  };
  const server = await startServer(options);
  process.stdout.write(`gitty server listening on ${server.url} (driver ${server.store.driver.name})\n`);
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
