#!/usr/bin/env node
// `node scripts/mutation/combine.mjs <entry> [--record] [--markdown] [--survivors]`
//
// A whole-package run takes hours on two shared cores, so packages are measured file by file
// (`pnpm mutation <entry> --mutate <file> --tests …`). This adds those runs up: for every file
// the entry mutates, the newest measurement wins, taken from the JSON reports in
// reports/mutation/<entry>*.json (git-ignored, this machine's runs) and from the committed
// record scripts/mutation/scores.json (earlier machines' runs). --record writes the merged
// result back to the record. A narrowed run can only miss kills, so the total is a lower bound
// of what the whole package's tests would score. Files with no measurement are listed.
//
// --survivors lists every mutant that survived (or had no coverage), each with its reason from
// scripts/mutation/reasons/<entry>[.<area>].json, or UNEXPLAINED. The survivors of files measured
// on this machine come from its reports; those of files measured earlier come from the committed
// scripts/mutation/survivors/<entry>.json. --record writes that file (every survivor with its
// source line, so reasons still match once the reports are gone) and the readable
// scripts/mutation/survivors/<entry>.md.
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mutationPackages } from './packages.mjs';
import { explain, loadReasons } from './reasons.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const recordPath = path.join(root, 'scripts/mutation/scores.json');
const reportDir = path.join(root, 'reports/mutation');

const argv = process.argv.slice(2);
const entry = argv.find((arg) => !arg.startsWith('--'));
const flags = ['--record', '--markdown', '--survivors'];
const unknown = argv.filter((arg) => arg.startsWith('--') && !flags.includes(arg));
if (!entry || !mutationPackages[entry] || unknown.length > 0) {
  console.error(`usage: combine.mjs <${Object.keys(mutationPackages).join('|')}> ${flags.map((flag) => `[${flag}]`).join(' ')}`);
  process.exit(2);
}

const counted = ['Killed', 'Timeout', 'Survived', 'NoCoverage'];
const survivorRecordPath = path.join(root, 'scripts/mutation/survivors', `${entry}.json`);

/** The files the entry mutates, from the tracked files and the entry's globs ("!" excludes). */
function entryFiles(globs) {
  const tracked = execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' }).split('\n').filter(Boolean);
  const include = globs.filter((glob) => !glob.startsWith('!'));
  const exclude = globs.filter((glob) => glob.startsWith('!')).map((glob) => glob.slice(1));
  // path.matchesGlob is still marked experimental on Node 20; its warning is noise here.
  process.removeAllListeners('warning');
  return tracked.filter((file) => include.some((glob) => path.matchesGlob(file, glob)) && !exclude.some((glob) => path.matchesGlob(file, glob)));
}

/** Counts by status of a list of mutants. */
function countOf(mutants) {
  const counts = Object.fromEntries(counted.map((status) => [status, 0]));
  for (const mutant of mutants) if (mutant.status in counts) counts[mutant.status]++;
  return counts;
}

/**
 * Every run of this entry on this machine, per file, oldest first: its mutants, the file's
 * source as mutated, and the lines it was limited to (`--mutate file.ts:10-20`), if any.
 */
function runsPerFile() {
  const runs = {};
  if (!existsSync(reportDir)) return runs;
  for (const name of readdirSync(reportDir)) {
    if (!name.endsWith('.json') || name.endsWith('.summary.json') || name.endsWith('.incremental.json')) continue;
    const label = name.slice(0, -'.json'.length);
    if (label !== entry && !label.startsWith(`${entry}-`)) continue;
    const at = statSync(path.join(reportDir, name)).mtime.toISOString();
    const report = JSON.parse(readFileSync(path.join(reportDir, name), 'utf8'));
    const globs = report.config?.mutate ?? [];
    for (const [file, result] of Object.entries(report.files ?? {})) {
      const relative = path.isAbsolute(file) ? path.relative(root, file) : file;
      // Stryker's line ranges are `file:from-to` (columns optional); a bare `file:N` matches no file.
      const ranges = globs
        .map((glob) => /^(.*?):(\d+)(?::\d+)?-(\d+)(?::\d+)?$/.exec(glob))
        .filter((match) => match && match[1] === relative)
        .map((match) => [Number(match[2]), Number(match[3])]);
      const whole = globs.some((glob) => !glob.startsWith('!') && !/:\d+(:\d+)?(-\d+(:\d+)?)?$/.test(glob) && path.matchesGlob(relative, glob));
      const lines = whole || ranges.length === 0 ? undefined : ranges;
      (runs[relative] ??= []).push({ run: label, at, source: result.source, mutants: result.mutants, lines });
    }
  }
  for (const list of Object.values(runs)) list.sort((a, b) => a.at.localeCompare(b.at));
  return runs;
}

const rank = { NoCoverage: 0, Survived: 1, Timeout: 2, Killed: 3 };
const keyOf = (m) => `${m.location.start.line}:${m.location.start.column}-${m.location.end.line}:${m.location.end.column} ${m.mutatorName} ${m.replacement ?? ''}`;

/**
 * The file's newest measurement. Runs over the same source (the newest source measured) are
 * joined mutant by mutant, each mutant taking its best status in any of them: tests are only
 * ever added, so a mutant one run killed is killed by today's tests too. A run limited to some
 * lines (`--mutate file.ts:10-20`) adds only its lines' mutants; a source measured only that
 * way is set aside (with a note) for the newest whole-file measurement before it.
 */
function newestOf(list, recorded, notes) {
  const sources = [...new Set(list.map((run) => run.source))].reverse();
  for (const source of sources) {
    const runs = list.filter((run) => run.source === source);
    if (!runs.some((run) => !run.lines)) {
      for (const run of runs) notes.push(`${run.run}: lines ${run.lines.map((range) => range.join('-')).join(', ')} only, with no whole-file run of the same source to join them to (set aside)`);
      continue;
    }
    const best = new Map();
    for (const run of runs) {
      for (const mutant of run.mutants) {
        if (!(mutant.status in rank)) continue;
        const key = keyOf(mutant);
        if (!best.has(key) || rank[mutant.status] > rank[best.get(key).status]) best.set(key, mutant);
      }
    }
    const at = runs.at(-1).at;
    if (recorded && recorded.at > at) return recorded;
    const mutants = [...best.values()];
    const lines = source.split('\n');
    const survivors = mutants.filter((mutant) => mutant.status === 'Survived' || mutant.status === 'NoCoverage').map((mutant) => survivorOf(mutant, lines));
    // scores.json keeps the counts; the survivors go to survivors/<entry>.json.
    return { ...countOf(mutants), run: runs.map((run) => run.run).join(' + '), at, survivors };
  }
  return recorded;
}

/** A survivor as recorded: where it is, what it changes, and the source line it starts on. */
function survivorOf(mutant, lines) {
  return {
    line: mutant.location.start.line,
    column: mutant.location.start.column,
    mutator: mutant.mutatorName,
    replacement: mutant.replacement ?? '',
    status: mutant.status,
    code: lines[mutant.location.start.line - 1] ?? '',
  };
}

const record = existsSync(recordPath) ? JSON.parse(readFileSync(recordPath, 'utf8')) : {};
const survivorRecord = existsSync(survivorRecordPath) ? JSON.parse(readFileSync(survivorRecordPath, 'utf8')) : {};
// A recorded measurement carries its survivors when the survivor record is of the same run.
const merged = Object.fromEntries(
  Object.entries(record[entry] ?? {}).map(([file, counts]) => {
    const kept = survivorRecord[file];
    return [file, kept && kept.at === counts.at ? { ...counts, survivors: kept.survivors } : counts];
  }),
);
const notes = [];
for (const [file, list] of Object.entries(runsPerFile())) {
  const measured = newestOf(list, merged[file], notes);
  if (measured) merged[file] = measured;
}

const files = entryFiles(mutationPackages[entry].mutate);
const score = (c) => {
  const all = counted.reduce((sum, status) => sum + c[status], 0);
  return all === 0 ? 100 : ((c.Killed + c.Timeout) / all) * 100;
};
const total = Object.fromEntries(counted.map((status) => [status, 0]));
const rows = [];
const missing = [];
for (const file of files) {
  const measured = merged[file];
  if (!measured) {
    missing.push(file);
    continue;
  }
  for (const status of counted) total[status] += measured[status];
  rows.push({ file, ...measured });
}
const mutants = counted.reduce((sum, status) => sum + total[status], 0);

if (argv.includes('--markdown')) {
  console.log('| file | killed/timeout/survived/no cov | score | run |\n| --- | --- | ---: | --- |');
  for (const row of rows) console.log(`| ${row.file} | ${counted.map((s) => row[s]).join('/')} | ${score(row).toFixed(1)} % | ${row.run} |`);
  console.log(`| **${entry}, ${rows.length} of ${files.length} files** | ${counted.map((s) => total[s]).join('/')} | **${score(total).toFixed(2)} %** | |`);
} else {
  for (const row of rows) console.log(`${score(row).toFixed(1).padStart(6)} %  ${counted.map((s) => String(row[s]).padStart(4)).join(' ')}  ${row.file}  (${row.run})`);
  console.log(`${entry}: ${score(total).toFixed(2)} % of ${mutants} mutants in ${rows.length} of ${files.length} files (killed/timeout/survived/no cov ${counted.map((s) => total[s]).join('/')})`);
}
if (missing.length > 0) console.log(`not measured: ${missing.join(', ')}`);
for (const note of notes) console.log(`note: ${note}`);

if (argv.includes('--survivors')) {
  const listing = survivorListing(rows);
  console.log(listing.text);
  if (argv.includes('--record')) {
    mkdirSync(path.join(root, 'scripts/mutation/survivors'), { recursive: true });
    writeFileSync(path.join(root, `scripts/mutation/survivors/${entry}.md`), listing.markdown);
  }
}

if (argv.includes('--record')) {
  const listed = Object.fromEntries(rows.filter((row) => row.survivors).map((row) => [row.file, { at: row.at, run: row.run, survivors: row.survivors }]));
  mkdirSync(path.dirname(survivorRecordPath), { recursive: true });
  writeFileSync(survivorRecordPath, `${JSON.stringify(listed, null, 1)}\n`);
}

if (argv.includes('--record')) {
  const counts = ({ survivors: _survivors, ...rest }) => rest;
  const kept = Object.fromEntries(Object.entries(merged).filter(([file]) => files.includes(file)).map(([file, measured]) => [file, counts(measured)]).sort(([a], [b]) => a.localeCompare(b)));
  writeFileSync(recordPath, `${JSON.stringify({ ...record, [entry]: kept }, null, 2)}\n`);
}

/**
 * Every survivor, with its reason or UNEXPLAINED, as plain text (with the counts) and as the
 * markdown kept in scripts/mutation/survivors/.
 */
function survivorListing(measuredRows) {
  const reasons = loadReasons(root, entry);
  const used = new Set();
  const text = [];
  const markdown = [
    `# Surviving mutants: ${entry}`,
    '',
    'Written by `node scripts/mutation/combine.mjs ' + entry + ' --survivors --record`; each reason comes from',
    '`scripts/mutation/reasons/' + entry + '.json` or `' + entry + '.<area>.json`. Line and column are in the source as',
    'measured (survivors/' + entry + '.json keeps each one\'s source line).',
    '',
  ];
  let listed = 0;
  let unexplained = 0;
  const unlisted = [];
  for (const row of measuredRows) {
    if (!row.survivors) {
      if (row.Survived + row.NoCoverage > 0) unlisted.push(row.file);
      continue;
    }
    if (row.survivors.length === 0) continue;
    markdown.push(`## ${row.file} (${row.survivors.length} of ${counted.reduce((sum, status) => sum + row[status], 0)})`, '', '| line | mutator | replacement | why it survives |', '| ---: | --- | --- | --- |');
    const sorted = [...row.survivors].sort((a, b) => a.line - b.line || a.column - b.column);
    for (const survivor of sorted) {
      listed++;
      const reason = explain(reasons, row.file, survivor, used);
      if (!reason) unexplained++;
      const replacement = survivor.replacement.replace(/\s+/g, ' ');
      const shown = replacement.length > 60 ? `${replacement.slice(0, 57)}...` : replacement;
      const status = survivor.status === 'NoCoverage' ? ' (no coverage)' : '';
      text.push(`${reason ? '  ' : '? '}${row.file}:${survivor.line}:${survivor.column} ${survivor.mutator}${status} ${JSON.stringify(shown)}${reason ? ` -- ${reason}` : ' -- UNEXPLAINED'}`);
      markdown.push(`| ${survivor.line} | ${survivor.mutator}${status} | \`${shown.replace(/\|/g, '\\|').replace(/`/g, "'")}\` | ${reason ? reason.replace(/\|/g, '\\|') : '**unexplained**'} |`);
    }
    markdown.push('');
  }
  if (unlisted.length > 0) markdown.push(`Not listed (counts from an earlier machine only): ${unlisted.join(', ')}.`, '');
  const stale = reasons.filter((reason) => !used.has(reason));
  text.push(`${entry}: ${listed} survivors listed, ${unexplained} unexplained; files not listed (earlier machine only): ${unlisted.length === 0 ? 'none' : unlisted.join(', ')}`);
  for (const reason of stale) text.push(`reason matched no survivor: ${reason.file} ${JSON.stringify(reason.code)}${reason.mutator ? ` ${reason.mutator}` : ''}`);
  return { text: text.join('\n'), markdown: `${markdown.join('\n')}\n` };
}
