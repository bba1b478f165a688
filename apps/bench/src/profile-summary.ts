#!/usr/bin/env node
// Summarize a V8 .cpuprofile (from `node --cpu-prof`): where the self time went, by function and
// by package, so a missed goal's closing note can say what the profile shows.
import { readFile } from 'node:fs/promises';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  startTime: number;
  endTime: number;
}

/** Self time (ms) by function and by package/area, largest first. */
export function summarizeProfile(profile: CpuProfile): { byFunction: [string, number][]; byArea: [string, number][]; totalMs: number } {
  const totalMs = (profile.endTime - profile.startTime) / 1000;
  const perSample = totalMs / Math.max(1, profile.samples.length);
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  for (const node of profile.nodes) {
    const ms = (node.hitCount ?? 0) * perSample;
    if (ms === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url ? path.basename(url.replace(/^file:\/\//, '')) : '';
    const key = `${functionName || '(anonymous)'} ${file ? `${file}:${lineNumber + 1}` : ''}`.trim();
    byFunction.set(key, (byFunction.get(key) ?? 0) + ms);
    byArea.set(areaOf(url, functionName), (byArea.get(areaOf(url, functionName)) ?? 0) + ms);
  }
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  return { byFunction: sorted(byFunction), byArea: sorted(byArea), totalMs };
}

function areaOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /packages\/([^/]+)\//.exec(url) ?? /apps\/([^/]+)\//.exec(url);
  if (pkg) return `@gitty/${pkg[1]}`;
  const dep = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (dep) return dep[1]!;
  if (url.startsWith('node:')) return url;
  return path.basename(url);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const files = args.filter((a) => !/^\d+$/.test(a));
  const top = Number(args.find((a) => /^\d+$/.test(a)) ?? 20);
  if (files.length === 0) {
    process.stderr.write('usage: profile-summary <file.cpuprofile>... [top]\n');
    process.exitCode = 2;
    return;
  }
  // node --cpu-prof writes one profile per thread; each is summarized on its own.
  for (const file of files) {
    const summary = summarizeProfile(JSON.parse(await readFile(file, 'utf8')) as CpuProfile);
    const pct = (ms: number) => `${((ms / summary.totalMs) * 100).toFixed(1)}%`;
    process.stdout.write(`${file}: ${summary.totalMs.toFixed(0)} ms sampled\n\nby area:\n`);
    for (const [area, ms] of summary.byArea.slice(0, 12)) process.stdout.write(`  ${pct(ms).padStart(6)}  ${area}\n`);
    process.stdout.write('\nby function (self time):\n');
    for (const [fn, ms] of summary.byFunction.slice(0, top)) process.stdout.write(`  ${pct(ms).padStart(6)}  ${fn}\n`);
    process.stdout.write('\n');
  }
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  main().catch((err: unknown) => {
    process.stderr.write(`${String(err)}\n`);
    process.exitCode = 1;
  });
}
