#!/usr/bin/env node
import { runCli } from './cli.js';

// `gitty ls | head -1` closes the pipe early: that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const status = await runCli(process.argv.slice(2));
process.exitCode = status;
// Every store is closed by now; a handle a driver failed to release must not keep the command alive.
setTimeout(() => process.exit(status), 2000).unref();
