#!/usr/bin/env node
// `pnpm mutation [package…] [--concurrency N] [--incremental] [--mutate GLOB]… [--exclude-tests GLOB]… [--label NAME]`
//
// --mutate narrows what is mutated (a glob, or `file.ts:10-20` for lines); --tests replaces
// the package's test globs (to iterate on a few test files); --exclude-tests
// leaves test files out (e.g. to measure "before" a set of new tests); --label names the
// report files (reports/mutation/<package>[-<label>].*). With --incremental, runs of one
// package share reports/mutation/<package>.incremental.json: a later run re-tests only the
// mutants whose code or covering tests changed.
//
// --new-tests FILE (repeatable) measures "before and after" a set of new test files in one run:
// bail is turned off so every covering test runs against every mutant, and a mutant counts as
// killed "before" when a test outside those files killed it. Timeouts cannot be attributed to
// a test and count as killed in both columns.
//
// Runs StrykerJS (vitest runner, perTest coverage) on one or all packages listed in
// ./packages.mjs, one package at a time, from the repository root. The sandbox holds only the
// root's config files and the packages a run needs; scripts/mutation/vitest.config.ts resolves
// every `@gitty/*` import inside that sandbox (see there why). Reports go to reports/mutation/.
// Not part of `pnpm test`: a full run takes tens of minutes on two cores.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Stryker } from '@stryker-mutator/core';
import { mutationPackages } from './packages.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
process.chdir(root);

function parseArgs(argv) {
  const args = { packages: [], concurrency: Number(process.env.MUTATION_CONCURRENCY ?? 2), incremental: false, mutate: [], tests: [], excludeTests: [], newTests: [], label: '' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--concurrency') args.concurrency = Number(argv[++i]);
    else if (arg === '--incremental') args.incremental = true;
    else if (arg === '--mutate') args.mutate.push(argv[++i]);
    else if (arg === '--exclude-tests') args.excludeTests.push(argv[++i]);
    else if (arg === '--label') args.label = argv[++i];
    else if (arg === '--new-tests') args.newTests.push(argv[++i]);
    else if (arg === '--tests') args.tests.push(argv[++i]);
    else if (arg.startsWith('-')) throw new Error(`unknown option ${arg}`);
    else args.packages.push(arg);
  }
  if (!Number.isInteger(args.concurrency) || args.concurrency < 1) throw new Error('--concurrency takes a positive integer');
  return args;
}

/** Everything at the root is left out of the sandbox except the files a run needs. */
function sandboxIgnores(packageDirs) {
  return [
    '/*',
    '!/package.json',
    '!/tsconfig.base.json',
    '!/vitest.shared.ts',
    '!/scripts',
    '/scripts/*',
    '!/scripts/mutation',
    '!/packages',
    '/packages/*',
    '!/apps',
    '/apps/*',
    ...packageDirs.map((dir) => `!/${dir}`),
    'dist',
    '.turbo',
    'coverage',
  ];
}

/** The results as they would have been without the tests in `newTests` (see --new-tests). */
function withoutNewTests(results, newTests) {
  const isNew = (testId) => newTests.some((file) => testId.includes(file));
  return results.map((r) => {
    if (r.status !== 'Killed') return r;
    const oldKillers = (r.killedBy ?? []).filter((id) => !isNew(id));
    return oldKillers.length > 0 ? r : { ...r, status: 'Survived' };
  });
}

function summarize(results) {
  const count = (...statuses) => results.filter((r) => statuses.includes(r.status)).length;
  const killed = count('Killed');
  const timeout = count('Timeout');
  const survived = count('Survived');
  const noCoverage = count('NoCoverage');
  const errors = count('RuntimeError', 'CompileError');
  const ignored = count('Ignored');
  const valid = killed + timeout + survived + noCoverage;
  const score = valid === 0 ? 0 : ((killed + timeout) / valid) * 100;
  return { mutants: valid, killed, timeout, survived, noCoverage, errors, ignored, score: Math.round(score * 100) / 100 };
}

/** One line per surviving or uncovered mutant: file:line:column, mutator, replacement. */
function survivorsText(results) {
  return results
    .filter((r) => r.status === 'Survived' || r.status === 'NoCoverage')
    .map((r) => `${path.relative(root, r.fileName)}:${r.location.start.line}:${r.location.start.column} ${r.status} ${r.mutatorName} ${JSON.stringify(r.replacement ?? '')}`)
    .sort()
    .join('\n') + '\n';
}

async function runPackage(name, spec, args) {
  const reportDir = path.join('reports', 'mutation');
  mkdirSync(reportDir, { recursive: true });
  const report = args.label ? `${name}-${args.label}` : name;
  process.env.GITTY_MUTATION_TESTS = JSON.stringify([...(args.tests.length > 0 ? args.tests : spec.tests), ...args.excludeTests.map((glob) => `!${glob}`)]);
  // The entry's environment for its tests (the runner processes inherit this one's).
  for (const [variable, value] of Object.entries(spec.env ?? {})) process.env[variable] = value;
  // Read by vitest.config.ts: the sandbox's git calls use the checkout's repository and index.
  if (spec.gitFromCheckout) process.env.GITTY_MUTATION_GIT_DIR = path.join(root, '.git');
  else delete process.env.GITTY_MUTATION_GIT_DIR;
  const stryker = new Stryker({
    testRunner: 'vitest',
    plugins: ['@stryker-mutator/vitest-runner', path.join(root, 'scripts/mutation/ignorers.mjs')],
    ignorers: ['gitty'],
    vitest: { configFile: 'scripts/mutation/vitest.config.ts', related: false },
    coverageAnalysis: 'perTest',
    mutate: args.mutate.length > 0 ? args.mutate : spec.mutate,
    ignorePatterns: sandboxIgnores(spec.sandbox),
    concurrency: args.concurrency,
    tempDirName: '.stryker-tmp',
    cleanTempDir: 'always',
    incremental: args.incremental,
    incrementalFile: path.join(reportDir, `${name}.incremental.json`),
    reporters: ['clear-text', 'html', 'json', 'progress-append-only'],
    htmlReporter: { fileName: path.join(reportDir, `${report}.html`) },
    jsonReporter: { fileName: path.join(reportDir, `${report}.json`) },
    clearTextReporter: { allowColor: false, logTests: false, reportMutants: true, reportScoreTable: true },
    timeoutMS: 10_000,
    disableBail: args.newTests.length > 0,
    ignoreStatic: false,
  });
  const results = await stryker.runMutationTest();
  if (args.newTests.length > 0) {
    const before = withoutNewTests(results, args.newTests);
    writeFileSync(path.join(reportDir, `${report}-before.summary.json`), `${JSON.stringify(summarize(before), null, 2)}\n`);
    writeFileSync(path.join(reportDir, `${report}-before.survivors.txt`), survivorsText(before));
    console.log(`before the new tests: ${JSON.stringify(summarize(before))}`);
  }
  const summary = summarize(results);
  writeFileSync(path.join(reportDir, `${report}.summary.json`), `${JSON.stringify(summary, null, 2)}\n`);
  writeFileSync(path.join(reportDir, `${report}.survivors.txt`), survivorsText(results));
  return summary;
}

const args = parseArgs(process.argv.slice(2));
const names = args.packages.length > 0 ? args.packages : Object.keys(mutationPackages);
for (const name of names) {
  if (!mutationPackages[name]) throw new Error(`no mutation setup for "${name}" (known: ${Object.keys(mutationPackages).join(', ')})`);
}
const table = [];
for (const name of names) table.push({ package: name, ...(await runPackage(name, mutationPackages[name], args)) });
console.log('\npackage        score%  mutants killed timeout survived no-cov errors');
for (const row of table) {
  console.log(
    `${row.package.padEnd(14)} ${String(row.score).padStart(6)} ${String(row.mutants).padStart(8)} ${String(row.killed).padStart(6)} ` +
      `${String(row.timeout).padStart(7)} ${String(row.survived).padStart(8)} ${String(row.noCoverage).padStart(6)} ${String(row.errors).padStart(6)}`,
  );
}
