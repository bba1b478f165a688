import { encodeCommit, hashObject, isGittyError, type Driver, type ErrorCode, type GittyError } from '@gitty/core';

const encoder = new TextEncoder();

/** UTF-8 bytes of a string. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Deterministic pseudo-random bytes (xorshift), optionally half compressible. */
export function pseudoRandomBytes(size: number, seed = 1, compressible = false): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed | 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = compressible && (i & 64) ? i & 0x0f : x & 0xff;
  }
  return out;
}

/** Every value of an async iterable. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const value of iterable) out.push(value);
  return out;
}

/** The error `action` rejects (or throws) with; fails when it succeeds. */
export async function rejection(action: () => unknown): Promise<unknown> {
  try {
    await action();
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/** The GittyError `action` fails with; fails unless it is one with `code`. */
export async function failsWith(code: ErrorCode, action: () => unknown): Promise<GittyError> {
  const err = await rejection(action);
  if (!isGittyError(err, code)) {
    const got = isGittyError(err) ? err.code : err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    throw new Error(`expected a GittyError with code ${code}, got ${got}`);
  }
  return err;
}

/** Store a blob directly through the driver; returns its hash. */
export async function putBlob(driver: Driver, data: Uint8Array | string): Promise<string> {
  const bytes = typeof data === 'string' ? utf8(data) : data;
  const hash = hashObject('blob', bytes);
  await driver.storeObject(hash, 'blob', bytes);
  return hash;
}

/**
 * Store a real version (blob + commit) of `name` through the driver and return the commit's
 * hash: head tests use real commits because indexing drivers may read the commit a head names.
 */
export async function putCommit(driver: Driver, name: string, content: string, previous?: string, time?: number): Promise<string> {
  const data = await putBlob(driver, content);
  const meta: Record<string, string | number> = { name, data, time: time ?? Date.now() / 1000 };
  if (previous) meta.previous = previous;
  const body = encodeCommit(meta);
  const hash = hashObject('commit', body);
  await driver.storeObject(hash, 'commit', body);
  return hash;
}

/** Store a version and move the head to it (CAS from `previous`, or create). */
export async function commitHead(driver: Driver, name: string, content: string, previous?: string): Promise<string> {
  const hash = await putCommit(driver, name, content, previous);
  await driver.updateHead(name, previous ?? null, hash);
  return hash;
}

/** Poll `predicate` until it holds; fails after `timeoutMs` (for notifications that arrive asynchronously). */
export async function eventually(predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Byte equality, with a message that says where they differ. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
