import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '@gitty/driver-test/harness';
import { gitty } from './cli-process.js';

// `gitty serve --port` takes 0 to 65535: the top port is valid. It is shown without binding it
// (another process on the machine may hold it): the server is asked to listen on an address no
// interface has (192.0.2.1, TEST-NET-1), so the listen itself fails, naming the port it was given.
describe('gitty serve --port at the top of the range', () => {
  let dir: string;
  let remove: () => Promise<void>;
  let store: string;

  beforeAll(async () => {
    ({ dir, remove } = await tempDir('gitty-cli-serve-port-'));
    store = path.join(dir, 'store');
    expect((await gitty(['--store', store, 'init'])).code).toBe(0);
  });
  afterAll(async () => remove());

  const env = { GITTY_TOKEN: '', GITTY_TOKEN_FILE: '' };

  it('passes 65535 on to the listen (refused there, not as an invalid port)', async () => {
    const result = await gitty(['--store', store, 'serve', '--host', '192.0.2.1', '--port', '65535'], { env });
    expect({ code: result.code, stdout: result.stdout, stderr: result.stderr }).toEqual({
      code: 1, stdout: '', stderr: 'gitty: listen EADDRNOTAVAIL: address not available 192.0.2.1:65535\n',
    });
  });

  it('refuses 65536 before listening', async () => {
    const result = await gitty(['--store', store, 'serve', '--host', '192.0.2.1', '--port', '65536'], { env });
    expect({ code: result.code, stdout: result.stdout, stderr: result.stderr }).toEqual({
      code: 2, stdout: '', stderr: 'gitty: Invalid --port "65536" — give a TCP port from 0 to 65535\n',
    });
  });
});
