// A writer that took the head log's lock over: it reads the log to its end and appends one
// change without taking the lock (its holder — a compaction — still believes it holds it).
// `next` is a commit hash, or "null" to delete. Prints {"ok":{epoch,offset}} when the append was
// acknowledged, else {"error":"<code>"}.
// Run synchronously from inside a compaction's step hook.
import { isGittyError } from '@gitty/core';
import { HeadLog } from '@gitty/driver-files';

const [file, name, next] = process.argv.slice(2) as [string, string, string];
const log = new HeadLog(file, { durability: 'none' });
const read = (await log.readFrom())!;
let head: string | null = null;
for (const change of read.events) if (change.name === name) head = change.new;
try {
  const at = await log.append({ epoch: read.epoch, offset: read.offset }, [{ name, old: head, new: next === 'null' ? null : next }]);
  process.stdout.write(`${JSON.stringify({ ok: { epoch: at.epoch, offset: at.offset } })}\n`);
} catch (err) {
  process.stdout.write(`${JSON.stringify({ error: isGittyError(err) ? err.code : String(err) })}\n`);
}
log.close();
