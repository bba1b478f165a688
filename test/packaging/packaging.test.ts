import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The packages as third parties get them: every package is packed with `pnpm pack` (workspace
// versions replaced), installed with plain npm in projects outside the workspace, and used
// from there: a strict TypeScript app (module node16 and nodenext), drivers loaded by package
// name (a bare one and a scoped one that bundles its own @gitty/core), the conformance suite
// on a third-party driver, and the CLI installed with the files and packs drivers only.
// npm resolves third-party dependencies through its cache (the registry on a cold cache).

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const fixtures = path.join(here, 'fixtures');

/** The published packages: folder and name. */
const PACKAGES: Array<[string, string]> = [
  ['packages/core', '@gitty/core'], ['packages/driver-files', '@gitty/driver-files'], ['packages/driver-packs', '@gitty/driver-packs'],
  ['packages/driver-sqlite', '@gitty/driver-sqlite'], ['packages/driver-redis', '@gitty/driver-redis'], ['packages/driver-test', '@gitty/driver-test'],
  ['apps/cli', '@gitty/cli'], ['apps/server', '@gitty/server'],
];
const DRIVERS = ['@gitty/driver-files', '@gitty/driver-packs', '@gitty/driver-sqlite', '@gitty/driver-redis', '@gitty/driver-test'];

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run a command to its end (never rejects on its exit status). */
function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; input?: string }): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** Run and require exit status 0, with the output in the failure message. */
async function ok(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; input?: string }): Promise<Ran> {
  const ran = await run(command, args, options);
  if (ran.code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${ran.code}:\n${ran.stdout}\n${ran.stderr}`);
  return ran;
}

/** npm, quiet, preferring its cache, never running install scripts (no native build is needed here). */
const NPM_ENV = { npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false', npm_config_loglevel: 'error' };
function npmInstall(cwd: string, specs: string[]): Promise<Ran> {
  return ok('npm', ['install', '--ignore-scripts', '--prefer-offline', '--no-package-lock', ...specs], { cwd, env: NPM_ENV });
}

/** The version of a tool the workspace uses, so npm's cache already holds it. */
async function workspaceVersion(name: string): Promise<string> {
  return (JSON.parse(await readFile(path.join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

let work = '';
const tarball = new Map<string, string>();

async function packSample(folder: string): Promise<string> {
  const packed = await ok('npm', ['pack', '--pack-destination', path.join(work, 'tarballs')], { cwd: folder, env: NPM_ENV });
  return path.join(work, 'tarballs', packed.stdout.trim().split('\n').at(-1)!);
}

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'gitty-packaging-'));
  const tarballs = path.join(work, 'tarballs');
  await mkdir(tarballs);
  const filters = PACKAGES.flatMap(([, name]) => ['--filter', name]);
  await ok('pnpm', ['-r', ...filters, 'pack', '--pack-destination', tarballs], { cwd: root });
  for (const file of await readdir(tarballs)) {
    const name = PACKAGES.find(([, pkg]) => file === `${pkg.slice(1).replace('/', '-')}-0.1.0.tgz`)?.[1];
    if (name) tarball.set(name, path.join(tarballs, file));
  }
  expect([...tarball.keys()].sort()).toEqual(PACKAGES.map(([, name]) => name).sort());

  // The sample driver packages: one unscoped, one scoped that bundles its own copy of core.
  const samples = path.join(work, 'samples');
  await cp(fixtures, samples, { recursive: true });
  const vendor = path.join(samples, 'acme-gitty-driver-nested', 'vendor');
  await mkdir(vendor);
  await ok('tar', ['-xzf', tarball.get('@gitty/core')!, '-C', vendor], { cwd: vendor });
  await rename(path.join(vendor, 'package'), path.join(vendor, 'core'));
  tarball.set('gitty-driver-sample', await packSample(path.join(samples, 'gitty-driver-sample')));
  tarball.set('@acme/gitty-driver-nested', await packSample(path.join(samples, 'acme-gitty-driver-nested')));
  // Both projects install at once (npm mostly waits on its cache and the disk); each describe's
  // beforeAll awaits its own.
  installs.app = settled(installApp());
  installs.cli = settled(installCli());
}, 180_000);

/** The two npm projects' installs, started together once the tarballs exist. */
const installs: { app?: Promise<void>; cli?: Promise<void> } = {};

/** The promise, with its rejection kept for whoever awaits it (not reported as unhandled meanwhile). */
function settled(promise: Promise<void>): Promise<void> {
  promise.catch(() => undefined);
  return promise;
}

/** The strict TypeScript app's project, with every package and sample driver installed. */
async function installApp(): Promise<void> {
  const app = path.join(work, 'app');
  await cp(path.join(fixtures, 'app'), app, { recursive: true });
  await writeFile(path.join(app, 'package.json'), JSON.stringify({ name: 'packaging-app', private: true, type: 'module' }));
  for (const module of ['node16', 'nodenext']) {
    await writeFile(path.join(app, `tsconfig.${module}.json`), JSON.stringify({
      compilerOptions: {
        // Declarations are checked in full once (node16); nodenext checks resolution and the app.
        strict: true, module, moduleResolution: module, target: 'es2022', types: ['node'], skipLibCheck: module === 'nodenext',
        outDir: `build-${module}`, noEmit: module === 'node16',
      },
      // The suite file is left to vitest: checking vitest's own declarations would take minutes.
      include: ['app.ts'],
    }));
  }
  const ours = ['@gitty/core', ...DRIVERS, 'gitty-driver-sample', '@acme/gitty-driver-nested'].map((name) => tarball.get(name)!);
  await npmInstall(app, [...ours, `@types/node@20`, `vitest@${await workspaceVersion('vitest')}`]);
}

/** The CLI's project: what npm needs for `npm install @gitty/cli` once published, the CLI and what it depends on. */
async function installCli(): Promise<void> {
  const project = path.join(work, 'cli');
  await mkdir(project);
  await writeFile(path.join(project, 'package.json'), JSON.stringify({ name: 'packaging-cli', private: true }));
  const specs = ['@gitty/cli', '@gitty/core', '@gitty/driver-files', '@gitty/driver-packs', 'gitty-driver-sample'].map((name) => tarball.get(name)!);
  await npmInstall(project, specs);
}

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('packed packages', () => {
  it('each carries its licence, readme and built code, complete metadata, and no workspace: ranges', async () => {
    for (const [folder, name] of PACKAGES) {
      const listing = (await ok('tar', ['-tzf', tarball.get(name)!], { cwd: work })).stdout.split('\n');
      for (const file of ['package/LICENSE', 'package/README.md', 'package/package.json', 'package/dist/index.js', 'package/dist/index.d.ts']) {
        expect(listing, `${name} lacks ${file}`).toContain(file);
      }
      const manifest = JSON.parse((await ok('tar', ['-xzOf', tarball.get(name)!, 'package/package.json'], { cwd: work })).stdout) as Record<string, unknown>;
      expect(manifest.license).toBe('BSD-2-Clause');
      expect(manifest.engines).toEqual({ node: '>=20.19' });
      expect((manifest.repository as { directory?: string }).directory).toBe(folder);
      expect(String(manifest.homepage)).toMatch(/^https:\/\//);
      expect(JSON.stringify(manifest)).not.toContain('workspace:');
      const licence = (await ok('tar', ['-xzOf', tarball.get(name)!, 'package/LICENSE'], { cwd: work })).stdout;
      expect(licence).toContain('BSD 2-Clause License');
      if (DRIVERS.includes(name)) {
        expect((manifest.peerDependencies as Record<string, string>)['@gitty/core']).toBe('^0.1.0');
        expect((manifest.dependencies as Record<string, string> | undefined)?.['@gitty/core']).toBeUndefined();
      }
    }
  });
});

describe('a third-party application installing the tarballs with npm', () => {
  let app = '';

  beforeAll(async () => {
    app = path.join(work, 'app');
    await installs.app;
  }, 240_000);

  it('a strict TypeScript app compiles against them with module node16 and with nodenext', async () => {
    const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    // One after the other: two compilers at once only slow each other on a small machine.
    const node16 = await run(process.execPath, [tsc, '-p', 'tsconfig.node16.json'], { cwd: app });
    const nodenext = await run(process.execPath, [tsc, '-p', 'tsconfig.nodenext.json'], { cwd: app });
    expect(node16.stdout + node16.stderr).toBe('');
    expect(nodenext.stdout + nodenext.stderr).toBe('');
    expect(node16.code).toBe(0);
    expect(nodenext.code).toBe(0);
  }, 120_000);

  it('loads a bare-name and a scoped driver package by name; errors of a bundled second core are still recognised', async () => {
    const folder = path.join(work, 'app-run');
    await mkdir(folder);
    const ran = await ok(process.execPath, [path.join(app, 'build-nodenext', 'app.js'), folder], { cwd: app });
    const report = JSON.parse(ran.stdout) as Record<string, { refusal: { code: string; head: string; branded: boolean }; head: string; text: string; driver: string }> & { nestedRace: string[]; files: string; reopened: string };
    for (const key of ['bare', 'nested'] as const) {
      expect(report[key]!.refusal).toEqual({ code: 'NOT_AT_HEAD', head: report[key]!.head, branded: true });
      expect(report[key]!.text).toBe('two\n');
    }
    expect(report.bare!.driver).toBe('sample');
    expect(report.nested!.driver).toBe('memory');
    // The store converts the bundled core's NOT_AT_HEAD of a lost create race to FILE_EXISTS.
    expect([...report.nestedRace].sort()).toEqual(['FILE_EXISTS', 'created']);
    expect(report.files).toBe('two\n');
    expect(report.reopened).toBe('two\n');
    // The bare driver's relative `file` resolved against baseDir, not the working directory.
    expect(JSON.parse(await readFile(path.join(folder, 'bare.json'), 'utf8'))).toHaveProperty('heads');
    // CommonJS consumers load the ESM packages through require(esm) (Node >= 20.19).
    const cjs = await ok(process.execPath, ['-e', "const c = require('@gitty/core'); const f = require('@gitty/driver-files'); console.log(typeof c.openStore, typeof f.createDriver)"], { cwd: app });
    expect(cjs.stdout.trim()).toBe('function function');
  }, 60_000);

  it('the conformance suite runs on the sample third-party driver', async () => {
    const vitest = path.join(app, 'node_modules', 'vitest', 'vitest.mjs');
    const ran = await run(process.execPath, [vitest, 'run', '--dir', 'suite'], { cwd: app, env: { CI: 'true', NO_COLOR: '1' } });
    expect(ran.code, ran.stdout + ran.stderr).toBe(0);
    // Nothing skipped: the sample gives corruptObject, and the cross-process race does not apply
    // to a driver that does not declare sharedHeads.
    expect(ran.stdout).toMatch(/Tests\s+\d+ passed \(/);
    expect(ran.stdout).not.toMatch(/skipped/);
  }, 180_000);
});

describe('the CLI installed with npm alone', () => {
  let project = '';
  const gitty = (args: string[], cwd = project, input?: string) => run(path.join(project, 'node_modules', '.bin', 'gitty'), args, { cwd, input, env: { NO_COLOR: '1' } });

  beforeAll(async () => {
    project = path.join(work, 'cli');
    await installs.cli;
  }, 240_000);

  it('brings the files and packs drivers only (no SQLite build, no Redis client, no server)', async () => {
    const modules = await readdir(path.join(project, 'node_modules'));
    expect((await readdir(path.join(project, 'node_modules', '@gitty'))).sort()).toEqual(['cli', 'core', 'driver-files', 'driver-packs']);
    for (const absent of ['better-sqlite3', 'ioredis', 'fastify']) expect(modules).not.toContain(absent);
  });

  it('runs commands on files and packs stores; the optional parts name the package to install', async () => {
    expect((await gitty(['--store', 'store', 'init'])).code).toBe(0);
    const put = await gitty(['--store', 'store', 'put', 'hello.md', '-'], project, 'hello from an npm install\n');
    expect(put.code, put.stderr).toBe(0);
    expect((await gitty(['--store', 'store', 'get', 'hello.md'])).stdout).toBe('hello from an npm install\n');
    const repacked = await gitty(['--store', 'store', '--driver', 'packs', 'repack']);
    expect(repacked.code, repacked.stderr).toBe(0);
    expect((await gitty(['--store', 'store', '--driver', 'packs', 'get', 'hello.md'])).stdout).toBe('hello from an npm install\n');

    const sqlite = await gitty(['--store', 'indexed', '--driver', 'sqlite', 'init']);
    expect(sqlite.code).toBe(1);
    expect(sqlite.stderr).toContain('@gitty/driver-sqlite is not installed: npm install -g @gitty/driver-sqlite');
    const serve = await gitty(['--store', 'store', 'serve', '--port', '0']);
    expect(serve.code).toBe(1);
    expect(serve.stderr).toContain('@gitty/server is not installed');
    expect(serve.stderr).toContain('npm install -g @gitty/server');
  }, 120_000);

  it('a config file naming a bare-name driver package resolves its path option against the file, from any working directory', async () => {
    const conf = path.join(project, 'conf');
    await mkdir(conf);
    await writeFile(path.join(conf, 'gitty.config.json'), JSON.stringify({ driver: 'gitty-driver-sample', file: 'data.json' }));
    const elsewhere = await mkdtemp(path.join(os.tmpdir(), 'gitty-packaging-cwd-'));
    try {
      const put = await gitty(['--config', path.join(conf, 'gitty.config.json'), 'put', 'third.md', '-'], elsewhere, 'via a config file\n');
      expect(put.code, put.stderr).toBe(0);
      const listed = await gitty(['--config', 'conf/gitty.config.json', 'ls']);
      expect(listed.stdout).toContain('third.md');
      expect(JSON.parse(await readFile(path.join(conf, 'data.json'), 'utf8'))).toHaveProperty('heads');
      expect(await readdir(elsewhere)).toEqual([]);
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
  }, 60_000);
});
