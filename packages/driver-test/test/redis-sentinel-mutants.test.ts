import { chmod, mkdir, mkdtemp, readFile, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { run } from '../src/harness.js';
import { startSentinelSet, type SentinelSet } from '../src/redis-sentinel.js';

// startSentinelSet reads everything it knows about the deployment through `redis-cli`: the
// master's INFO while the replicas sync, SENTINEL MASTER while the sentinels get ready, and
// SENTINEL GET-MASTER-ADDR-BY-NAME for masterPort. A real deployment answers those the happy way
// almost always, so the parsing of the other answers (no answer yet, a replica count of two
// digits, a reply that is no port) is pinned here with a stand-in `redis-cli` first on PATH:
// it serves queued replies and passes every other call to the real redis-cli. The servers and
// sentinels themselves are real, on free loopback ports.

let fakeDir = '';
let queueDir = '';
let savedPath: string | undefined;
let seq = 0;

type Kind = 'info' | 'master' | 'get-master-addr-by-name';

/**
 * Queue one reply of the stand-in redis-cli for a call of `kind` to `port` ('any': the next such
 * call to any port, once the port's own queue is empty): its exit code and stdout.
 */
async function queue(port: number | 'any', kind: Kind, code: number, stdout: string): Promise<void> {
  seq += 1;
  await writeFile(path.join(queueDir, `${port}.${kind}.${String(seq).padStart(4, '0')}`), `${code}\n${stdout}`);
}

/** The calls made so far, in order: which port, which command, and whether a queued reply answered. */
async function calls(): Promise<Array<{ port: string; kind: string; fake: boolean }>> {
  const text = await readFile(path.join(queueDir, 'log'), 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean).map((line) => {
    const [port = '', kind = '', how = ''] = line.split(' ');
    return { port, kind, fake: how === 'fake' };
  });
}

const queued = async () => (await readdir(queueDir)).filter((f) => f !== 'log');

beforeAll(async () => {
  const realCli = (await run('sh', ['-c', 'command -v redis-cli'])).stdout.toString().trim();
  expect(realCli).not.toBe('');
  fakeDir = await mkdtemp(path.join(os.tmpdir(), 'gitty-fake-cli-'));
  queueDir = path.join(fakeDir, 'queue');
  await mkdir(queueDir);
  // Called as `redis-cli -p PORT info replication` or `redis-cli -p PORT sentinel CMD NAME`.
  const script = [
    '#!/bin/sh',
    `Q='${queueDir}'`,
    'port=$2',
    'if [ "$3" = sentinel ]; then kind=$4; else kind=$3; fi',
    'for f in "$Q/$port.$kind".* "$Q/any.$kind".*; do',
    '  [ -f "$f" ] || continue',
    '  code=$(head -n 1 "$f")',
    '  tail -n +2 "$f"',
    '  rm -f "$f"',
    '  echo "$port $kind fake" >> "$Q/log"',
    '  exit "$code"',
    'done',
    'echo "$port $kind real" >> "$Q/log"',
    `exec '${realCli}' "$@"`,
    '',
  ].join('\n');
  await writeFile(path.join(fakeDir, 'redis-cli'), script);
  await chmod(path.join(fakeDir, 'redis-cli'), 0o755);
  savedPath = process.env.PATH;
  process.env.PATH = `${fakeDir}${path.delimiter}${savedPath ?? ''}`;
});

afterAll(async () => {
  if (savedPath === undefined) delete process.env.PATH;
  else process.env.PATH = savedPath;
  if (fakeDir) await rm(fakeDir, { recursive: true, force: true });
});

const sets: SentinelSet[] = [];
afterEach(async () => {
  for (const set of sets.splice(0)) await set.stop();
  for (const f of await queued()) await rm(path.join(queueDir, f));
  await rm(path.join(queueDir, 'log'), { force: true });
});

/** An `INFO replication` reply as redis-cli prints it (CRLF lines) for a master with these replica states. */
const infoReply = (connected: string, states: readonly string[] = []) =>
  ['# Replication', 'role:master', `connected_slaves:${connected}`,
    ...states.map((state, i) => `slave${i}:ip=127.0.0.1,port=${40000 + i},state=${state},offset=0,lag=0`),
    'master_repl_offset:0', ''].join('\r\n');

describe('startSentinelSet waits for the replicas as the master reports them', () => {
  it('until a real INFO shows every replica connected and synced, reading the count whole', async () => {
    // Not answering yet (redis-cli exits 1, nothing on stdout): no replica count, so keep waiting.
    await queue('any', 'info', 1, '');
    // No replica yet, and nothing syncing either.
    await queue('any', 'info', 0, infoReply('0'));
    // A count of two digits is ten, not the one replica started.
    await queue('any', 'info', 0, infoReply('10', Array.from({ length: 10 }, () => 'online')));
    // Connected but still waiting for its full sync.
    await queue('any', 'info', 0, infoReply('1', ['wait_bgsave']));
    const set = await startSentinelSet({ replicas: 1, sentinels: 1 });
    sets.push(set);
    expect(await queued()).toEqual([]);
    const log = await calls();
    const infos = log.filter((c) => c.kind === 'info');
    expect(infos.every((c) => c.port === String(set.servers[0]!.port))).toBe(true);
    expect(infos.filter((c) => c.fake).length).toBe(4);
    // It went on only after a real answer, and only then started asking the sentinels.
    expect(infos.at(-1)!.fake).toBe(false);
    expect(log.findIndex((c) => c.kind === 'master')).toBe(infos.length);
    const info = (await run('redis-cli', ['-p', String(set.servers[0]!.port), 'info', 'replication'])).stdout.toString();
    expect(info).toMatch(/connected_slaves:1\r\n/);
  });
});

describe('startSentinelSet waits for every sentinel', () => {
  it('a sentinel that does not answer yet is not ready: it resolves after a round of real answers', async () => {
    // Sentinels not listening yet: redis-cli exits 1 with nothing on stdout, so no fields at all.
    // With one replica and two sentinels both fields must read 1, so a missing field must not.
    for (let i = 0; i < 3; i++) await queue('any', 'master', 1, '');
    const set = await startSentinelSet({ replicas: 1, sentinels: 2 });
    sets.push(set);
    expect(await queued()).toEqual([]);
    const masters = (await calls()).filter((c) => c.kind === 'master');
    expect(masters.filter((c) => c.fake).length).toBe(3);
    // The last round asked each sentinel once and every answer was real.
    const last = masters.slice(-2);
    expect(last.map((c) => c.fake)).toEqual([false, false]);
    expect(last.map((c) => c.port)).toEqual(set.sentinels.map((s) => String(s.port)));
  });

  it('a sentinel that knows the other sentinels but not every replica is not ready', async () => {
    // One replica and two sentinels: num-other-sentinels is right (1) in both replies, only
    // num-slaves is wrong (none yet, then one too many). Two replies, so that a check reading only
    // num-other-sentinels would take the first round (one reply per sentinel) as ready.
    const reply = (slaves: number) => ['name', 'gitty-master', 'ip', '127.0.0.1', 'port', '6379', 'flags', 'master',
      'num-slaves', String(slaves), 'num-other-sentinels', '1', 'quorum', '2', ''].join('\n');
    await queue('any', 'master', 0, reply(0));
    await queue('any', 'master', 0, reply(2));
    const set = await startSentinelSet({ replicas: 1, sentinels: 2 });
    sets.push(set);
    expect(await queued()).toEqual([]);
    const masters = (await calls()).filter((c) => c.kind === 'master');
    expect(masters.filter((c) => c.fake).length).toBe(2);
    // Each fake reply ended its round; the wait went on to a round of real answers.
    const last = masters.slice(-2);
    expect(last.map((c) => c.fake)).toEqual([false, false]);
    expect(last.map((c) => c.port)).toEqual(set.sentinels.map((s) => String(s.port)));
  });
});

describe('masterPort and waitForFailover with two sentinels', () => {
  let set: SentinelSet | undefined;
  beforeAll(async () => {
    set = await startSentinelSet({ replicas: 0, sentinels: 2 });
    await rm(path.join(queueDir, 'log'), { force: true }); // the start's calls are not these tests' concern
  });
  afterAll(async () => {
    await set?.stop();
  });

  const ask = async (code: number, stdout: string) => {
    const [first, second] = set!.sentinels;
    await queue(first!.port, 'get-master-addr-by-name', code, stdout);
    const port = await set!.masterPort();
    const log = (await calls()).filter((c) => c.kind === 'get-master-addr-by-name');
    return { port, asked: log.map((c) => (c.port === String(first!.port) ? 'first' : c.port === String(second!.port) ? 'second' : c.port)) };
  };

  it('takes only a positive whole port from a reply that succeeded, else asks the next sentinel', async () => {
    const master = set!.servers[0]!.port;
    // A failed reply is not trusted, whatever it printed.
    expect(await ask(1, '127.0.0.1\n16379\n')).toEqual({ port: master, asked: ['first', 'second'] });
  });

  it.each([
    ['a fraction', '127.0.0.1\n1.5\n'],
    ['beyond the safe integers', '127.0.0.1\n99999999999999999999\n'],
    ['zero', '127.0.0.1\n0\n'],
    ['negative', '127.0.0.1\n-16379\n'],
  ])('a port that is %s is no port: the next sentinel is asked', async (_what, stdout) => {
    expect(await ask(0, stdout)).toEqual({ port: set!.servers[0]!.port, asked: ['first', 'second'] });
  });

  it('reads the port after the address even when the reply starts with a blank line', async () => {
    expect(await ask(0, '\n127.0.0.1\n16379\n')).toEqual({ port: 16379, asked: ['first'] });
  });

  it('waitForFailover keeps waiting through a moment when no sentinel answers', async () => {
    const master = set!.servers[0]!.port;
    for (const s of set!.sentinels) await queue(s.port, 'get-master-addr-by-name', 1, '');
    // As if port 1 had been the master before: the sentinels (once they answer) report another.
    expect(await set!.waitForFailover(1, 10_000)).toBe(master);
    const log = (await calls()).filter((c) => c.kind === 'get-master-addr-by-name');
    expect(log.slice(0, 3).map((c) => c.fake)).toEqual([true, true, false]);
    // The role check asked the master the sentinels reported, not some other port.
    expect((await calls()).filter((c) => c.kind === 'info').map((c) => c.port)).toEqual([String(master)]);
  });
});

describe('sentinel processes', () => {
  it('have no stdio pipes, and stop does not wait for one that already exited', async () => {
    const set = await startSentinelSet({ replicas: 0, sentinels: 1 });
    sets.push(set);
    const sentinel = set.sentinels[0]!.process;
    // Nothing reads a sentinel's log: a pipe would fill up and block it.
    expect([sentinel.stdin, sentinel.stdout, sentinel.stderr]).toEqual([null, null, null]);
    for (const fd of [0, 1, 2]) expect(await readlink(`/proc/${sentinel.pid}/fd/${fd}`)).toBe('/dev/null');
    sentinel.kill('SIGKILL');
    await new Promise((resolve) => sentinel.once('exit', resolve));
    // With the exit already seen, waiting for another 'exit' would hang until the test times out.
    await set.stop();
    sets.splice(0);
    expect(set.servers[0]!.process.exitCode).toBe(0);
  }, 30_000);

  it('stop does not wait for a sentinel that exited on its own with an exit code', async () => {
    const set = await startSentinelSet({ replicas: 1, sentinels: 1 });
    // Not in `sets`: were stop to hang here, afterEach would hang on it too. The servers are
    // stopped in any case (a no-op once stop has stopped them) rather than left running.
    onTestFinished(async () => {
      for (const s of set.servers) await s.stop();
    });
    const sentinel = set.sentinels[0]!.process;
    const exited = new Promise((resolve) => sentinel.once('exit', resolve));
    const shutdown = await run('redis-cli', ['-p', String(set.sentinels[0]!.port), 'shutdown', 'nosave']);
    expect(shutdown.stderr).toBe('');
    await exited;
    // It exited by itself: an exit code and no signal, unlike the SIGKILL case above.
    expect([sentinel.exitCode, sentinel.signalCode]).toEqual([0, null]);
    // Waiting for another 'exit' would hang until the test times out.
    await set.stop();
    expect(set.servers.map((s) => s.process.exitCode)).toEqual([0, 0]);
  }, 15_000);
});
