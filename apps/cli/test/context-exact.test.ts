import { Readable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Command } from 'commander';
import { action, collect, takeExitStatus } from '../src/action.js';
import { CliContext, trapInterrupt, untilStopped, withOpenStore } from '../src/context.js';
import { bindIo } from '../src/io.js';
import { isMissingPackage, installHint } from '../src/optional-package.js';

// The pieces every command stands on: Ctrl-C handling, the store's lifetime around a command's
// work, exit statuses per program, and the optional-package messages.

function sink(): { isTTY?: boolean; write(chunk: string | Uint8Array): boolean; text: () => string } {
  let text = '';
  return { write: (chunk) => ((text += String(chunk)), true), text: () => text };
}

describe('trapInterrupt', () => {
  afterEach(() => vi.restoreAllMocks());

  it('runs the callback on the first SIGINT only, exits 130 on the second, and is removed by its return value', () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    const before = process.listeners('SIGINT');
    const calls: string[] = [];
    const untrap = trapInterrupt(() => calls.push('interrupt'));
    const added = process.listeners('SIGINT').filter((l) => !before.includes(l));
    expect(added).toHaveLength(1);
    const handler = added[0] as () => void;
    handler();
    expect([calls, exit.mock.calls]).toEqual([['interrupt'], []]);
    handler();
    expect([calls, exit.mock.calls]).toEqual([['interrupt'], [[130]]]);
    handler();
    expect(exit.mock.calls).toEqual([[130], [130]]);
    untrap();
    expect(process.listeners('SIGINT')).toEqual(before);
  });

  it('untilStopped resolves on SIGINT or SIGTERM and removes both handlers', async () => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      const before = { SIGINT: process.listeners('SIGINT'), SIGTERM: process.listeners('SIGTERM') };
      let stopped = false;
      const waiting = untilStopped().then(() => (stopped = true));
      const handler = process.listeners(signal).find((l) => !before[signal].includes(l)) as () => void;
      expect(process.listenerCount('SIGINT') - before.SIGINT.length + process.listenerCount('SIGTERM') - before.SIGTERM.length).toBe(2);
      await Promise.resolve();
      expect(stopped).toBe(false);
      handler();
      await waiting;
      expect(stopped).toBe(true);
      expect({ SIGINT: process.listeners('SIGINT'), SIGTERM: process.listeners('SIGTERM') }).toEqual(before);
    }
  });
});

describe('withOpenStore', () => {
  it('closes the store after the work, also when the work fails', async () => {
    const selection = { config: { driver: 'memory' }, origin: 'test' };
    let seen: { isClosed: boolean } | undefined;
    expect(await withOpenStore(selection, async (store, given) => {
      seen = store;
      expect(given).toBe(selection);
      expect(store.isClosed).toBe(false);
      return 'done';
    })).toBe('done');
    expect(seen?.isClosed).toBe(true);
    await expect(withOpenStore(selection, async (store) => {
      seen = store;
      throw new Error('work failed');
    })).rejects.toThrow('work failed');
    expect(seen?.isClosed).toBe(true);
  });
});

describe('CliContext', () => {
  it('writes through its io, takes the selection from its globals and env, and has a quiet bar with --json', async () => {
    const stdout = sink();
    const stderr = sink();
    const ctx = new CliContext({ store: '/tmp/x' }, { stdin: Readable.from([]), stdout, stderr, env: {} });
    ctx.out.line('out');
    ctx.out.note('note');
    expect([stdout.text(), stderr.text()]).toEqual(['out\n', 'note\n']);
    expect(await ctx.selection()).toEqual({ config: { driver: 'files', dir: '/tmp/x' }, origin: '--store /tmp/x' });
    const fromEnv = new CliContext({}, { stdin: Readable.from([]), stdout, stderr, env: { GITTY_STORE: '/tmp/y' } });
    expect(await fromEnv.selection()).toEqual({ config: { driver: 'files', dir: '/tmp/y' }, origin: 'GITTY_STORE=/tmp/y' });
    const tty = { isTTY: true, columns: 80, write: () => true };
    const json = new CliContext({ json: true }, { stdin: Readable.from([]), stdout, stderr: tty, env: {} });
    expect(json.out.json).toBe(true);
    const quiet = json.progress('x');
    const plain = new CliContext({}, { stdin: Readable.from([]), stdout, stderr: tty, env: {} }).progress('x');
    expect(plain).not.toBe(quiet);
    expect(new CliContext({}, { stdin: Readable.from([]), stdout, stderr, env: {} }).progress('x')).toBe(quiet);
  });
});

describe('action', () => {
  it('passes the context and arguments, and keeps a returned status per program until taken', async () => {
    const make = (status: number | void) => {
      const program = new Command('p').exitOverride().option('--json');
      bindIo(program, { stdin: Readable.from([]), stdout: sink(), stderr: sink(), env: {} });
      const seen: unknown[] = [];
      program.command('run <arg>').option('--flag').action(action(async (ctx: CliContext, arg: string, options: { flag?: boolean }) => {
        seen.push(ctx.globals.json, arg, options.flag);
        return status;
      }));
      return { program, seen };
    };
    const a = make(3);
    const b = make(undefined);
    await a.program.parseAsync(['--json', 'run', 'x', '--flag'], { from: 'user' });
    await b.program.parseAsync(['run', 'y'], { from: 'user' });
    expect([a.seen, b.seen]).toEqual([[true, 'x', true], [undefined, 'y', undefined]]);
    expect([takeExitStatus(a.program), takeExitStatus(a.program), takeExitStatus(b.program)]).toEqual([3, 0, 0]);
    expect(collect('b', collect('a'))).toEqual(['a', 'b']);
  });
});

describe('optional packages', () => {
  it('knows a missing package by its code and its name in quotes, and says how to install it', () => {
    const missing = (code: string, message: string) => Object.assign(new Error(message), { code });
    expect(isMissingPackage(missing('ERR_MODULE_NOT_FOUND', "Cannot find package '@gitty/server' imported from x"), '@gitty/server')).toBe(true);
    expect(isMissingPackage(missing('MODULE_NOT_FOUND', "Cannot find module '@gitty/server'"), '@gitty/server')).toBe(true);
    expect(isMissingPackage(missing('ERR_MODULE_NOT_FOUND', "Cannot find package 'better-sqlite3' imported from @gitty/server"), '@gitty/server')).toBe(false);
    expect(isMissingPackage(missing('EACCES', "'@gitty/server'"), '@gitty/server')).toBe(false);
    expect(isMissingPackage({ code: 'MODULE_NOT_FOUND', message: "'@gitty/server'" }, '@gitty/server')).toBe(false);
    expect(isMissingPackage(null, '@gitty/server')).toBe(false);
    expect(installHint('@gitty/driver-sqlite')).toBe('npm install -g @gitty/driver-sqlite (next to @gitty/cli; in a project: npm install @gitty/driver-sqlite)');
  });
});
