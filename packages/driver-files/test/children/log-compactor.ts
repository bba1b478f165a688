// Compacts the head log once, to completion, and prints the report (or "null" when it gave up).
// Run synchronously from inside another process's append, between its write and its checks.
import { HeadLog, compactHeadLog } from '@gitty/driver-files';

const [file] = process.argv.slice(2) as [string];
const log = new HeadLog(file, { durability: 'none' });
process.stdout.write(`${JSON.stringify((await compactHeadLog(log, { durability: 'none' })) ?? null)}\n`);
log.close();
