#!/usr/bin/env node
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBenchArgs } from './options.js';
import { renderMarkdown, writeReport } from './report.js';
import { runBench } from './run.js';

// results/ sits beside src/ and dist/, so the same path works from sources (tsx) and from dist.
const resultsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'results');

async function main(): Promise<void> {
  let options;
  try {
    options = parseBenchArgs(process.argv.slice(2), resultsDir);
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
    return;
  }
  const report = await runBench(options);
  process.stdout.write(renderMarkdown(report));
  if (options.outDir) {
    const written = await writeReport(report, options.outDir);
    process.stderr.write(`[bench] wrote ${written.markdown} and ${written.json}\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
