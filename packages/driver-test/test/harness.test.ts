import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  corruptLooseObject, freePort, git, run, seededRandom, spawnTs, startRedisServer, tempDir, tsNodeArgs, waitFor, type RedisServer,
} from '../src/harness.js';

// Every package's process, redis and corruption tests stand on these helpers: a runner that
// loses an exit code or a signal, or a redis that is not the one asked for, makes those tests
// prove nothing. So they are run for real here: child processes, redis-server, files.

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function scratch(): Promise<string> {
  const t = await tempDir('gitty-harness-test-');
  cleanups.push(t.remove);
  return t.dir;
}

describe('tempDir', () => {
  it('makes a fresh folder under the system temp dir with the prefix, and removes it with its contents', async () => {
    const a = await tempDir();
    const b = await tempDir('gitty-other-');
    expect(path.dirname(a.dir)).toBe(os.tmpdir());
    expect(path.basename(a.dir)).toMatch(/^gitty-[A-Za-z0-9]{6}$/);
    expect(path.basename(b.dir)).toMatch(/^gitty-other-[A-Za-z0-9]{6}$/);
    await mkdir(path.join(a.dir, 'sub/deeper'), { recursive: true });
    await writeFile(path.join(a.dir, 'sub/deeper/file'), 'x');
    await a.remove();
    expect(existsSync(a.dir)).toBe(false);
    await a.remove(); // a second remove is not an error
    expect(existsSync(b.dir)).toBe(true);
    await b.remove();
  });
});

describe('tsNodeArgs and spawnTs', () => {
  const tsx = createRequire(import.meta.url).resolve('tsx');

  it('names the gitty-source condition, the tsx loader as a file URL, the script and its arguments', () => {
    expect(tsNodeArgs('/x/script.ts', ['a', 'b c'])).toEqual(['--conditions=gitty-source', '--import', `file://${tsx}`, '/x/script.ts', 'a', 'b c']);
    expect(tsNodeArgs('/x/script.ts')).toEqual(['--conditions=gitty-source', '--import', `file://${tsx}`, '/x/script.ts']);
  });

  it('runs a TypeScript file in node with its arguments, stdout and stderr piped and no stdin', async () => {
    const dir = await scratch();
    const script = path.join(dir, 'child.ts');
    await writeFile(script, [
      'const args: string[] = process.argv.slice(2);',
      'process.stdout.write(JSON.stringify({ args, cwd: process.cwd() }));',
      "process.stderr.write('to stderr');",
      'process.exitCode = 7;',
    ].join('\n'));
    const child = spawnTs(script, ['one', 'two'], { cwd: dir });
    expect(child.stdin).toBeNull();
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(code).toBe(7);
    expect(JSON.parse(out)).toEqual({ args: ['one', 'two'], cwd: dir });
    expect(err).toBe('to stderr');
  });

  it('spawnTs defaults to no arguments', async () => {
    const dir = await scratch();
    const script = path.join(dir, 'noargs.ts');
    await writeFile(script, 'process.stdout.write(String(process.argv.length - 2));');
    const child = spawnTs(script);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise((resolve) => child.on('close', resolve));
    expect(out).toBe('0');
  });
});

describe('run', () => {
  it('resolves with the exit code, stdout as bytes and stderr as text', async () => {
    const result = await run('sh', ['-c', 'printf "out\\377"; printf "err" >&2; exit 3']);
    expect(result).toEqual({ code: 3, signal: null, stdout: Buffer.from([0x6f, 0x75, 0x74, 0xff]), stderr: 'err' });
  });

  it('gives the command its input (text or bytes), and an empty input by default', async () => {
    expect((await run('cat', [], { input: 'typed in' })).stdout.toString()).toBe('typed in');
    expect((await run('cat', [], { input: new Uint8Array([1, 2, 3]) })).stdout).toEqual(Buffer.from([1, 2, 3]));
    // Without input, stdin is closed at once: cat sees the end and exits.
    expect(await run('cat', [])).toEqual({ code: 0, signal: null, stdout: Buffer.alloc(0), stderr: '' });
  });

  it('passes spawn options on', async () => {
    const dir = await scratch();
    const result = await run('sh', ['-c', 'pwd; echo "$GITTY_RUN_TEST"'], { cwd: dir, env: { ...process.env, GITTY_RUN_TEST: 'set' } });
    expect(result.stdout.toString()).toBe(`${dir}\nset\n`);
  });

  it('kills a command that outlives timeoutMs and reports the signal', async () => {
    const result = await run('sleep', ['30'], { timeoutMs: 100 });
    expect(result).toEqual({ code: null, signal: 'SIGKILL', stdout: Buffer.alloc(0), stderr: '' });
  });

  it('reports a signal the command died of', async () => {
    const result = await run('sh', ['-c', 'kill -TERM $$']);
    expect(result.code).toBe(null);
    expect(result.signal).toBe('SIGTERM');
  });

  it('survives a command that exits without reading its input', async () => {
    const result = await run('true', [], { input: Buffer.alloc(8 << 20, 0x61) });
    expect(result).toEqual({ code: 0, signal: null, stdout: Buffer.alloc(0), stderr: '' });
  });

  it('takes a stdio without pipes: nothing is read or written, the exit code still comes back', async () => {
    const result = await run('sh', ['-c', 'echo lost; exit 4'], { stdio: 'ignore', input: 'unread' });
    expect(result).toEqual({ code: 4, signal: null, stdout: Buffer.alloc(0), stderr: '' });
  });

  it('clears its timeoutMs timer when the command exits first', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const result = await run('true', [], { timeoutMs: 60_000 });
      expect(result.code).toBe(0);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('rejects when the command cannot be started', async () => {
    await expect(run('gitty-no-such-command', [])).rejects.toMatchObject({ code: 'ENOENT', message: 'spawn gitty-no-such-command ENOENT' });
  });
});

describe('git', () => {
  it('resolves with stdout when git succeeds', async () => {
    const dir = await scratch();
    await git(['init', '-q', dir]);
    const out = await git(['-C', dir, 'hash-object', '--stdin'], { input: 'hello\n' });
    expect(out.toString()).toBe('ce013625030ba8dba906f756967f9e9ca394464a\n');
  });

  it('rejects with the arguments, exit code and stderr when git fails', async () => {
    await expect(git(['-C', '/nonexistent-gitty-dir', 'status'])).rejects.toThrow(
      "git -C /nonexistent-gitty-dir status failed (128): fatal: cannot change to '/nonexistent-gitty-dir': No such file or directory\n",
    );
  });
});

describe('freePort', () => {
  it('gives a loopback port nobody listens on, which can then be bound', async () => {
    const port = await freePort();
    expect(Number.isInteger(port)).toBe(true);
    expect(port).toBeGreaterThan(1024);
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    expect((server.address() as net.AddressInfo).port).toBe(port);
    await new Promise((resolve) => server.close(resolve));
  });

  it('rejects when the probe cannot listen', async () => {
    const failing = Object.assign(new EventEmitter(), {
      unref() {},
      listen() {
        process.nextTick(() => failing.emit('error', Object.assign(new Error('listen EACCES'), { code: 'EACCES' })));
      },
    });
    const spy = vi.spyOn(net, 'createServer').mockReturnValue(failing as unknown as net.Server);
    try {
      await expect(freePort()).rejects.toMatchObject({ code: 'EACCES', message: 'listen EACCES' });
    } finally {
      spy.mockRestore();
    }
  });
});

describe('startRedisServer', () => {
  const started: RedisServer[] = [];
  afterEach(async () => {
    for (const s of started.splice(0)) await s.kill();
  });
  const cli = async (port: number, ...args: string[]) => (await run('redis-cli', ['-p', String(port), ...args])).stdout.toString();

  it('starts on a free loopback port with nothing persisted, extra arguments applied', async () => {
    const server = await startRedisServer(['--databases', '3']);
    started.push(server);
    expect(server.port).not.toBe(6379);
    expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
    expect(await cli(server.port, 'ping')).toBe('PONG\n');
    expect(await cli(server.port, 'config', 'get', 'save')).toBe('save\n\n');
    expect(await cli(server.port, 'config', 'get', 'appendonly')).toBe('appendonly\nno\n');
    expect(await cli(server.port, 'config', 'get', 'bind')).toBe('bind\n127.0.0.1\n');
    expect(await cli(server.port, 'config', 'get', 'databases')).toBe('databases\n3\n');
    // Its stdout is still read after startup, so a chatty server never blocks on a full pipe,
    // and the startup watcher is gone from it (the log is no longer collected).
    expect(server.process.stdout!.readableFlowing).toBe(true);
    expect(server.process.stdout!.listenerCount('data')).toBe(0);
    // No stdin: redis-server reads none.
    expect(server.process.stdin).toBe(null);
  });

  it('uses the port it is given', async () => {
    const port = await freePort();
    const server = await startRedisServer([], port);
    started.push(server);
    expect(server.port).toBe(port);
    expect(server.url).toBe(`redis://127.0.0.1:${port}`);
    expect(await cli(port, 'ping')).toBe('PONG\n');
  });

  it('stop ends it with SIGTERM (a clean exit), and a second stop is a no-op', async () => {
    const server = await startRedisServer();
    await server.stop();
    expect(server.process.exitCode).toBe(0);
    expect(server.process.signalCode).toBe(null);
    await server.stop();
    await server.kill();
    expect(server.process.exitCode).toBe(0);
  });

  it('kill ends it with SIGKILL', async () => {
    const server = await startRedisServer();
    await server.kill();
    expect(server.process.exitCode).toBe(null);
    expect(server.process.signalCode).toBe('SIGKILL');
  });

  it('stop falls back to SIGKILL when SIGTERM is not acted on', async () => {
    const server = await startRedisServer();
    process.kill(server.process.pid!, 'SIGSTOP'); // a stopped process leaves SIGTERM pending
    await server.stop();
    expect(server.process.signalCode).toBe('SIGKILL');
  });

  it('rejects with what redis-server said when it exits at startup', async () => {
    // redis-server writes configuration errors to stderr: a message without them says nothing.
    const err = await startRedisServer(['--no-such-directive', 'x']).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    const message = (err as Error).message;
    // What it said follows at once: redis-server starts its report with an empty line.
    expect(message.startsWith('redis-server exited with 1: \n*** FATAL CONFIG FILE ERROR (Redis ')).toBe(true);
    expect(message).toContain("*** FATAL CONFIG FILE ERROR (Redis");
    expect(message).toContain("'no-such-directive \"x\"'\nBad directive or wrong number of arguments");
  });

  it('rejects when redis-server does not say it is ready within 10 s', async () => {
    // At log level warning, redis-server runs but never prints "Ready to accept connections".
    const port = await freePort();
    cleanups.push(async () => void (await run('redis-cli', ['-p', String(port), 'shutdown', 'nosave'])));
    const realSetTimeout = globalThis.setTimeout;
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    try {
      const starting = startRedisServer(['--loglevel', 'warning'], port).then(() => undefined, (e: unknown) => e);
      while (vi.getTimerCount() === 0) await new Promise((resolve) => setImmediate(resolve));
      await vi.advanceTimersByTimeAsync(9_999);
      expect(vi.getTimerCount()).toBe(1);
      await vi.advanceTimersByTimeAsync(1);
      // A real 5 s guard, so a start that never settles fails here and the cleanup still stops the server.
      const err = await Promise.race([starting, new Promise((resolve) => realSetTimeout(() => resolve('still starting'), 5_000).unref())]);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message.startsWith('redis-server did not start: ')).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('rejects when the port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    cleanups.push(() => new Promise((resolve) => blocker.close(() => resolve())));
    const port = (blocker.address() as net.AddressInfo).port;
    const err = await startRedisServer([], port).then(() => undefined, (e: unknown) => e);
    expect((err as Error).message).toMatch(/^redis-server exited with 1: [\s\S]*Address already in use/);
  });
});

describe('corruptLooseObject', () => {
  it("replaces a read-only loose object with a valid zlib blob of other content", async () => {
    const root = await scratch();
    const hash = 'ab'.padEnd(40, 'c');
    await mkdir(path.join(root, 'ab'));
    const file = path.join(root, 'ab', 'c'.repeat(38));
    await writeFile(file, 'original');
    await chmod(file, 0o444);
    await corruptLooseObject(root, hash);
    const other = "replaced behind the driver's back\n";
    expect(inflateSync(await readFile(file)).toString('latin1')).toBe(`blob ${other.length}\0${other}`);
    expect((await stat(file)).isFile()).toBe(true);
  });

  it('fails when the object has no loose file', async () => {
    const root = await scratch();
    await expect(corruptLooseObject(root, 'cd'.padEnd(40, '0'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('waitFor', () => {
  it('polls until the predicate holds, sync or async', async () => {
    let calls = 0;
    await waitFor(() => ++calls === 3);
    expect(calls).toBe(3);
    let asyncCalls = 0;
    await waitFor(async () => ++asyncCalls === 2, 10_000, 1);
    expect(asyncCalls).toBe(2);
  });

  it('does not call the predicate again once it holds', async () => {
    let calls = 0;
    await waitFor(() => (++calls, true));
    expect(calls).toBe(1);
  });

  it('throws with the timeout once the deadline has passed, having polled meanwhile', async () => {
    // A stepped clock: the deadline is 1060; at 1030 and at exactly 1060 it polls again, at 1061 it throws.
    const clock = [1000, 1000, 1030, 1060, 1061];
    const now = vi.spyOn(Date, 'now').mockImplementation(() => clock.shift()!);
    let calls = 0;
    await expect(waitFor(() => (++calls, false), 60, 1)).rejects.toThrow(new Error('condition not met within 60 ms'));
    expect(calls).toBe(4);
    expect(clock).toEqual([]);
    now.mockRestore();
  });

  it('keeps polling until the predicate holds within a long timeout', async () => {
    let calls = 0;
    await waitFor(() => ++calls === 5, 10_000, 2);
    expect(calls).toBe(5);
  });
});

describe('seededRandom', () => {
  // mulberry32 as published (bryc), to compare with.
  const reference = (seed: number) => {
    let a = seed | 0;
    return () => {
      a = (a + 0x6d2b79f5) | 0;
      let t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  };

  it('is mulberry32: the same sequence for the same seed', () => {
    const r = seededRandom(1);
    expect([r(), r(), r()]).toEqual([0.6270739405881613, 0.002735721180215478, 0.5274470399599522]);
    for (const seed of [0, 1, 42, 0xdeadbeef, 2 ** 31, -1]) {
      const ours = seededRandom(seed);
      const theirs = reference(seed);
      for (let i = 0; i < 200; i++) expect(ours()).toBe(theirs());
    }
  });

  it('takes the seed as a 32-bit unsigned integer', () => {
    expect(seededRandom(-1)()).toBe(seededRandom(0xffffffff)());
    expect(seededRandom(-1)()).toBe(0.8964226141106337);
    expect(seededRandom(2 ** 32 + 5)()).toBe(seededRandom(5)());
  });

  it('stays in [0, 1)', () => {
    const r = seededRandom(7);
    for (let i = 0; i < 10_000; i++) {
      const v = r();
      expect(v >= 0 && v < 1).toBe(true);
    }
  });
});
