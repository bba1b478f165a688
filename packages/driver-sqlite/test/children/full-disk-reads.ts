// Run under `prlimit --fsize=…`: readWhileFull on argv[2] for the names in argv[3] (JSON); prints its report.
import { readWhileFull } from '../support/full-disk-reads.js';

const [dir, names] = process.argv.slice(2);
const report = await readWhileFull(dir!, JSON.parse(names!) as string[]);
process.stdout.write(`${JSON.stringify(report)}\n`);
