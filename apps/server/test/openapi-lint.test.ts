import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { tempDir } from '@gitty/driver-test/harness';
import { createServer } from '../src/index.js';

const run = promisify(execFile);
const redocly = path.join(path.dirname(createRequire(import.meta.url).resolve('@redocly/cli/package.json')), 'bin', 'cli.js');

describe('the OpenAPI document (issue 15, item 10)', () => {
  it('passes `redocly lint` with the recommended rules: operationIds, servers, security on every operation', async () => {
    const server = await createServer({ store: { driver: 'memory' } });
    const dir = await tempDir('gitty-openapi-');
    try {
      const res = await server.app.inject({ method: 'GET', url: '/openapi.json', headers: { host: '127.0.0.1:8080' } });
      const doc = res.json();
      expect(doc.servers).toEqual([{ url: 'http://127.0.0.1:8080', description: expect.any(String) }]);
      const operations = Object.values(doc.paths as Record<string, Record<string, { operationId?: string; security?: unknown }>>)
        .flatMap((methods) => Object.values(methods));
      const ids = operations.map((op) => op.operationId);
      expect(ids.every((id) => typeof id === 'string')).toBe(true);
      expect(new Set(ids).size).toBe(ids.length);
      expect(operations.every((op) => Array.isArray(op.security))).toBe(true);

      const file = path.join(dir.dir, 'openapi.json');
      await writeFile(file, res.body);
      const config = path.join(dir.dir, 'redocly.yaml');
      await writeFile(config, 'extends:\n  - recommended\n');
      const { stdout, stderr } = await run(process.execPath, [redocly, 'lint', file, '--config', config, '--format', 'stylish'], {
        cwd: dir.dir,
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
      }).catch((err: { stdout?: string; stderr?: string }) => {
        throw new Error(`redocly lint failed:\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
      });
      const output = `${stdout}\n${stderr}`;
      expect(output).not.toMatch(/\b(error|warning)\s+[a-z0-9-]+\s/);
      expect(output).toMatch(/valid/i);
    } finally {
      await server.close();
      await dir.remove();
    }
  }, 60_000);
});
