/**
 * @gitty/bench — every driver measured against git, isomorphic-git and the raw file system, as
 * ratios against peers measured in the same run. `pnpm bench` runs it; this module exposes the
 * same run for tests and scripts.
 * @packageDocumentation
 */
export { runBench } from './run.js';
export { benchOptions, parseBenchArgs, WORKLOADS, type BenchOptions, type WorkloadName } from './options.js';
export { renderMarkdown, writeReport, checkGoal, formatNumber, type BenchReport, type Row, type Goal } from './report.js';
export { generateDataSet, subset, objectsOf, seededRandom, type DataSet, type GeneratedVersion } from './data.js';
export { DRIVER_ROWS, loadDriver, type DriverRow, type StorePlace } from './drivers.js';
export { median, percentile, pairedRatio, interleave } from './measure.js';
export { diskUsage, type DiskUsage } from './disk-usage.js';
export { machineInfo, type MachineInfo } from './machine.js';
