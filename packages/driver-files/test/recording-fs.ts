// A recording layer over node:fs for tests: the driver's own calls (named ESM imports included,
// via syncBuiltinESMExports) are logged in order, with the path each file descriptor was opened
// on, and a chosen fsync can be made to fail. No strace, no production seam.
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

/** One recorded call. `fsync` is logged when the flush has completed (sync: on return; async: in its callback). */
export type FsEvent =
  | { op: 'write'; path: string; text: string }
  | { op: 'fsync'; path: string }
  | { op: 'link' | 'rename'; from: string; to: string }
  | { op: 'ack'; name: string; commit: string };

/** Decide, for an fsync of `path`, whether it fails (return the error) or succeeds (undefined). */
export type FsyncFault = (path: string, sync: boolean) => NodeJS.ErrnoException | undefined;

export interface RecordingFs {
  events: FsEvent[];
  /** Set to make chosen fsyncs fail. */
  fault: FsyncFault | undefined;
  restore(): void;
}

type AnyFn = (...args: never[]) => unknown;

/** An ENOSPC error as the kernel reports it. */
export function noSpace(path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`ENOSPC: no space left on device, fsync '${path}'`), { code: 'ENOSPC', errno: -28, syscall: 'fsync' });
}

/** Start recording; call `restore()` when done (always, in a finally). */
export function recordFs(): RecordingFs {
  const events: FsEvent[] = [];
  const paths = new Map<number, string>();
  const original = new Map<string, AnyFn>();
  const mutable = fs as unknown as Record<string, AnyFn>;
  const recorder: RecordingFs = { events, fault: undefined, restore };
  const wrap = (name: string, make: (orig: AnyFn) => AnyFn) => {
    const orig = mutable[name]!;
    original.set(name, orig);
    mutable[name] = make(orig);
  };
  const pathOf = (fd: number) => paths.get(fd) ?? `fd:${fd}`;

  wrap('openSync', (orig) => (...args) => {
    const fd = orig(...args) as number;
    paths.set(fd, String(args[0]));
    return fd;
  });
  wrap('open', (orig) => (...args: unknown[]) => {
    const cb = args[args.length - 1] as (err: Error | null, fd: number) => void;
    const rest = args.slice(0, -1);
    return (orig as (...a: unknown[]) => unknown)(...rest, (err: Error | null, fd: number) => {
      if (!err) paths.set(fd, String(args[0]));
      cb(err, fd);
    });
  });
  wrap('writeSync', (orig) => (...args: unknown[]) => {
    const [fd, buffer] = args as [number, Uint8Array];
    const written = (orig as (...a: unknown[]) => number)(...args);
    events.push({ op: 'write', path: pathOf(fd), text: Buffer.from(buffer).toString('latin1') });
    return written;
  });
  wrap('fsyncSync', (orig) => (...args: unknown[]) => {
    const fd = args[0] as number;
    const fault = recorder.fault?.(pathOf(fd), true);
    if (fault) throw fault;
    (orig as (fd: number) => void)(fd);
    events.push({ op: 'fsync', path: pathOf(fd) });
  });
  wrap('fsync', (orig) => (...args: unknown[]) => {
    const [fd, cb] = args as [number, (err: Error | null) => void];
    const fault = recorder.fault?.(pathOf(fd), false);
    if (fault) {
      setImmediate(() => cb(fault));
      return;
    }
    (orig as (fd: number, cb: (err: Error | null) => void) => void)(fd, (err) => {
      if (!err) events.push({ op: 'fsync', path: pathOf(fd) });
      cb(err);
    });
  });
  wrap('linkSync', (orig) => (...args: unknown[]) => {
    (orig as (...a: unknown[]) => void)(...args);
    events.push({ op: 'link', from: String(args[0]), to: String(args[1]) });
  });
  wrap('renameSync', (orig) => (...args: unknown[]) => {
    (orig as (...a: unknown[]) => void)(...args);
    events.push({ op: 'rename', from: String(args[0]), to: String(args[1]) });
  });
  syncBuiltinESMExports();

  function restore(): void {
    for (const [name, fn] of original) mutable[name] = fn;
    syncBuiltinESMExports();
  }
  return recorder;
}
