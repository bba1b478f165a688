import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { resolveDriverFactory } from '@gitty/core';

// Core's static import() of the built-in packages, as an application would see it: mocked, since
// core itself does not depend on the driver packages.
const mocks = vi.hoisted(() => ({
  files: async () => 'mocked files',
  packs: async () => 'mocked packs',
  sqlite: async () => 'mocked sqlite',
  redis: async () => 'mocked redis',
}));
vi.mock('@gitty/driver-files', () => ({ createDriver: mocks.files }));
// (A factory mock throws on reading an export it lacks, so createDriver is listed, undefined.)
vi.mock('@gitty/driver-packs', () => ({ createDriver: undefined, default: mocks.packs }));
vi.mock('@gitty/driver-sqlite', () => ({ createDriver: undefined, default: { createDriver: mocks.sqlite } }));
vi.mock('@gitty/driver-redis', () => ({ createDriver: mocks.redis }));

let app: string;
const savedScript = process.argv[1];

beforeAll(async () => {
  app = await mkdtemp(path.join(os.tmpdir(), 'gitty-registry-builtins-'));
  // A broken copy of each package where the application resolves from (found before any on
  // NODE_PATH), and no main script: every application base fails.
  for (const name of ['files', 'packs', 'sqlite', 'redis']) {
    const pkg = path.join(app, 'node_modules', '@gitty', `driver-${name}`);
    await mkdir(pkg, { recursive: true });
    await writeFile(path.join(pkg, 'package.json'), JSON.stringify({ name: `@gitty/driver-${name}`, type: 'module', main: 'index.js' }));
    await writeFile(path.join(pkg, 'index.js'), `throw new Error('broken copy of ${name}');\n`);
  }
});

afterAll(async () => {
  await rm(app, { recursive: true, force: true });
});

afterEach(() => {
  process.argv[1] = savedScript!;
});

describe('built-in names the application cannot import', () => {
  it('come from core\'s own import() of the package', async () => {
    process.argv[1] = undefined as unknown as string;
    expect(await resolveDriverFactory('files', app)).toBe(mocks.files);
    expect(await resolveDriverFactory('packs', app)).toBe(mocks.packs);
    expect(await resolveDriverFactory('sqlite', app)).toBe(mocks.sqlite);
    expect(await resolveDriverFactory('redis', app)).toBe(mocks.redis);
  });
});
