import { describe, expect, it } from 'vitest';
import { isGittyError, openStore, registerDriver } from '@gitty/core';

/** An error as Node's fs raises it (a SystemError with code, errno, syscall and path). */
function osError(code: string, errno: number, file: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`${code}: failed, open '${file}'`);
  err.code = code;
  err.errno = -errno;
  err.syscall = 'open';
  err.path = file;
  return err;
}

async function openFailure(code: string, errno: number): Promise<unknown> {
  const name = `os-error-${code.toLowerCase()}`;
  registerDriver(name, async () => {
    throw osError(code, errno, '/store/ref/head');
  });
  try {
    await openStore({ driver: name });
  } catch (err) {
    return err;
  }
  throw new Error('openStore succeeded');
}

describe('openStore: a driver factory failing with an OS error', () => {
  it.each([['ENOSPC', 28], ['EDQUOT', 122], ['EFBIG', 27]])('%s is STORAGE_FULL naming the path, not INVALID_CONFIG', async (code, errno) => {
    const err = await openFailure(code, errno);
    expect(isGittyError(err, 'STORAGE_FULL'), String(err)).toBe(true);
    expect((err as Error).message).toContain('/store/ref/head');
    expect((err as Error).cause).toMatchObject({ code });
  });

  it.each([['EACCES', 13], ['EROFS', 30]])('%s is the OS error itself, not INVALID_CONFIG', async (code, errno) => {
    const err = await openFailure(code, errno);
    expect(isGittyError(err), String(err)).toBe(false);
    expect(err).toMatchObject({ code, path: '/store/ref/head' });
  });

  it('a path that is not a folder (ENOTDIR) is still INVALID_CONFIG', async () => {
    await expect(openFailure('ENOTDIR', 20)).resolves.toMatchObject({ code: 'INVALID_CONFIG' });
  });

  it('any other error of a factory is still INVALID_CONFIG', async () => {
    registerDriver('throws-plain', async () => {
      throw new Error('no such thing');
    });
    await expect(openStore({ driver: 'throws-plain' })).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
  });
});
