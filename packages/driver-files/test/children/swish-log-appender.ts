// A child that appends one head change to a SWISH store's ref/head (run under a file size limit,
// RLIMIT_FSIZE, so the write comes up short) and prints {"ok":true} or {"fail":code}.
import { isGittyError } from '@gitty/core';
import { SwishHeadLog } from '@gitty/driver-files';

const [file, name, old, next] = process.argv.slice(2) as [string, string, string, string];
const log = new SwishHeadLog(file, { durability: 'fsync' });
try {
  const at = await log.readFrom();
  await log.withLock(() => log.append({ epoch: at!.epoch, offset: at!.offset }, [{ name, old, new: next }]));
  process.stdout.write(`${JSON.stringify({ ok: true })}\n`);
} catch (err) {
  process.stdout.write(`${JSON.stringify({ fail: isGittyError(err) ? err.code : String(err) })}\n`);
}
