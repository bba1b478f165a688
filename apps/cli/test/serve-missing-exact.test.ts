import { afterEach, describe, expect, it, vi } from 'vitest';
import { gitty } from './cli-process.js';

// `gitty serve` when @gitty/server (an optional peer dependency) cannot be loaded. The import
// is made to reject with the error itself: a mock whose `then` appears after vitest has read
// the mock factory's result (a throwing factory would be wrapped by vitest, its code lost).

function failImport(error: unknown): void {
  vi.doMock('@gitty/server', () => {
    let reads = 0;
    return {
      get then() {
        reads += 1;
        return reads === 1 ? undefined : (_resolve: unknown, reject: (err: unknown) => void) => reject(error);
      },
    };
  });
}

afterEach(() => {
  vi.doUnmock('@gitty/server');
  vi.resetModules();
});

describe('gitty serve without @gitty/server', () => {
  it('says NOT_INSTALLED with what to install when the package is missing', async () => {
    failImport(Object.assign(new Error("Cannot find package '@gitty/server' imported from /x/serve.js"), { code: 'ERR_MODULE_NOT_FOUND' }));
    const result = await gitty(['--config', '/nonexistent-gitty-config.json', '--json', 'serve', '--port', '0']);
    expect([result.code, result.stderr]).toEqual([1, 'gitty: @gitty/server is not installed (`gitty serve` needs it) — npm install -g @gitty/server (next to @gitty/cli; in a project: npm install @gitty/server)\n']);
    expect(result.json()).toEqual({ error: { code: 'NOT_INSTALLED', message: '@gitty/server is not installed (`gitty serve` needs it)', hint: 'npm install -g @gitty/server (next to @gitty/cli; in a project: npm install @gitty/server)' } });
  });

  it('passes any other load error on as it is', async () => {
    failImport(Object.assign(new Error("Cannot find package 'fastify' imported from /x/server.js"), { code: 'ERR_MODULE_NOT_FOUND' }));
    const result = await gitty(['--config', '/nonexistent-gitty-config.json', 'serve', '--port', '0']);
    expect(result.code).toBe(1);
    expect(result.stderr.split('\n')[0]).toContain("Cannot find package 'fastify' imported from /x/server.js");
  });
});
