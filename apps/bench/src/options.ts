import os from 'node:os';
import { parseArgs } from 'node:util';

/** The workloads the bench knows, in the order it runs them. */
export const WORKLOADS = ['ingest', 'import', 'copy', 'concurrent', 'disk', 'read', 'open', 'contention', 'replicate'] as const;

/** One of {@link WORKLOADS}. */
export type WorkloadName = (typeof WORKLOADS)[number];

/** Everything a bench run is configured by; see `parseBenchArgs` for the command-line form. */
export interface BenchOptions {
  /** A small, fast configuration (about a minute). */
  quick: boolean;
  /** The workloads to run. */
  only: WorkloadName[];
  /** Files in the generated data set (disk, read). */
  files: number;
  /** Versions of each file. */
  versions: number;
  /** Files used for each timed ingest round (a prefix of the data set, so slow subjects stay bounded). */
  ingestFiles: number;
  /** Seed of the data generator. */
  seed: number;
  /** Interleaved rounds per measurement; the median is reported. */
  rounds: number;
  /** Random reads per read measurement. */
  reads: number;
  /** Store sizes (files × 1 version) for the open workload. */
  openSizes: number[];
  /** Processes in the contention workload, and how long each writes (ms). */
  contenders: number;
  contentionMs: number;
  /** Writes measured for replication latency, and how long the 3-node throughput run lasts (ms). */
  replicateWrites: number;
  replicateMs: number;
  /** Nodes writing at once in the replication throughput run. */
  replicateNodes: number;
  /** Driver rows to run (ids from the driver table); empty means all. */
  drivers: string[];
  /** Where stores and repositories are created (default: the OS temp dir). */
  tmpDir: string;
  /** Where `latest.md` and `latest.json` go; null writes nothing. */
  outDir: string | null;
  /** Print progress lines to stderr. */
  verbose: boolean;
}

const QUICK: Omit<BenchOptions, 'only' | 'seed' | 'drivers' | 'outDir' | 'verbose' | 'quick' | 'tmpDir'> = {
  files: 60, versions: 5, ingestFiles: 30, rounds: 3, reads: 200, openSizes: [1000],
  contenders: 8, contentionMs: 1000, replicateWrites: 100, replicateMs: 1000, replicateNodes: 3,
};

const FULL: typeof QUICK = {
  files: 1000, versions: 10, ingestFiles: 50, rounds: 5, reads: 1000, openSizes: [10_000, 100_000],
  contenders: 8, contentionMs: 5000, replicateWrites: 2000, replicateMs: 5000, replicateNodes: 3,
};

/** The options of a run: full defaults, or quick ones, with any field overridden. */
export function benchOptions(overrides: Partial<BenchOptions> = {}): BenchOptions {
  const base = overrides.quick ? QUICK : FULL;
  return {
    quick: false, only: [...WORKLOADS], seed: 1, drivers: [], outDir: null, verbose: true, tmpDir: os.tmpdir(),
    ...base, ...overrides,
  };
}

function positive(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, not "${value}"`);
  return n;
}

function workloadList(values: string[] | undefined): WorkloadName[] | undefined {
  if (!values || values.length === 0) return undefined;
  const names = values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
  for (const name of names) {
    if (!(WORKLOADS as readonly string[]).includes(name)) {
      throw new Error(`unknown workload "${name}"; choose from ${WORKLOADS.join(', ')}`);
    }
  }
  return WORKLOADS.filter((w) => names.includes(w));
}

/**
 * Parse `pnpm bench` arguments: `--quick`, `--only ingest,read` (repeatable), `--files N`,
 * `--versions V`, `--seed S`, `--rounds R`, `--reads K`, `--open-sizes 10000,100000`,
 * `--drivers files,packs`, `--tmp DIR` (where stores go), `--out DIR`, `--no-write`, `--quiet`.
 */
export function parseBenchArgs(argv: readonly string[], defaultOutDir: string): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string', multiple: true },
      files: { type: 'string' },
      versions: { type: 'string' },
      'ingest-files': { type: 'string' },
      seed: { type: 'string' },
      rounds: { type: 'string' },
      reads: { type: 'string' },
      'open-sizes': { type: 'string' },
      drivers: { type: 'string' },
      out: { type: 'string' },
      tmp: { type: 'string' },
      'no-write': { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
    },
  });
  const overrides: Partial<BenchOptions> = { quick: values.quick, verbose: !values.quiet };
  const set = <K extends keyof BenchOptions>(key: K, value: BenchOptions[K] | undefined) => {
    if (value !== undefined) overrides[key] = value;
  };
  set('only', workloadList(values.only));
  set('files', positive('files', values.files));
  set('versions', positive('versions', values.versions));
  set('ingestFiles', positive('ingest-files', values['ingest-files']));
  set('tmpDir', values.tmp);
  set('seed', positive('seed', values.seed));
  set('rounds', positive('rounds', values.rounds));
  set('reads', positive('reads', values.reads));
  if (values['open-sizes']) set('openSizes', values['open-sizes'].split(',').map((s) => positive('open-sizes', s) ?? 0));
  if (values.drivers) set('drivers', values.drivers.split(',').map((s) => s.trim()).filter(Boolean));
  overrides.outDir = values['no-write'] ? null : (values.out ?? defaultOutDir);
  const options = benchOptions(overrides);
  if (options.ingestFiles > options.files) options.ingestFiles = options.files;
  return options;
}
