import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Store } from '@gitty/core';
import { startRedisServer, type RedisServer } from '@gitty/driver-test/harness';
import type { DataSet } from './data.js';
import { DRIVER_ROWS, loadDriver, openRowStore, type DriverRow, type StorePlace } from './drivers.js';
import type { BenchOptions } from './options.js';
import { writeFilesConcurrently } from './store-writer.js';

/** A driver row that cannot run in this run, and why. */
export interface MissingDriver {
  row: DriverRow;
  reason: string;
}

/** A store holding the whole data set, written once and shared by the disk and read workloads. */
export interface BuiltStore {
  row: DriverRow;
  place: StorePlace;
  /** The memory driver cannot be reopened, so its store stays open here. */
  openStore?: Store;
}

/**
 * What every workload gets: the options, the data, the driver rows that can run, temp dirs that
 * are removed at the end, one redis-server shared by the run, and stores built once.
 */
export class BenchContext {
  readonly notes: string[] = [];
  private readonly dirs: string[] = [];
  private redisServer: Promise<RedisServer> | undefined;
  private readonly built = new Map<string, Promise<BuiltStore>>();
  private storeCounter = 0;
  private readonly memo = new Map<string, Promise<unknown>>();

  private constructor(
    readonly options: BenchOptions,
    readonly data: DataSet,
    /** Rows whose driver package exports `createDriver` (and whose needs are met). */
    readonly drivers: DriverRow[],
    readonly missing: MissingDriver[],
  ) {}

  /** Load the driver table: every selected row is available or missing with a reason. */
  static async create(options: BenchOptions, data: DataSet): Promise<BenchContext> {
    const rows = DRIVER_ROWS.filter((r) => options.drivers.length === 0 || options.drivers.includes(r.id));
    const available: DriverRow[] = [];
    const missing: MissingDriver[] = [];
    for (const row of rows) {
      const state = await loadDriver(row);
      if (!state.available) missing.push({ row, reason: state.reason });
      else if (row.needsRedis && !(await loadDriver(DRIVER_ROWS.find((r) => r.id === 'files')!)).available) {
        missing.push({ row, reason: 'its inner files driver is not available' });
      } else available.push(row);
    }
    return new BenchContext(options, data, available, missing);
  }

  /** Progress on stderr (the report goes to stdout). */
  log(message: string): void {
    if (this.options.verbose) process.stderr.write(`[bench] ${message}\n`);
  }

  /** A fresh temp dir, removed by {@link close}. */
  async tempDir(label: string): Promise<string> {
    const dir = await mkdtemp(path.join(this.options.tmpDir, `gitty-bench-${label}-`));
    this.dirs.push(dir);
    return dir;
  }

  /** Remove a temp dir now (big stores between rounds). */
  async removeDir(dir: string): Promise<void> {
    await rm(dir, { recursive: true, force: true });
    const at = this.dirs.indexOf(dir);
    if (at >= 0) this.dirs.splice(at, 1);
  }

  /** The run's redis-server, started on first use on a free loopback port. */
  redis(): Promise<RedisServer> {
    this.redisServer ??= startRedisServer();
    return this.redisServer;
  }

  /** A new place for a row's store: a temp dir, and a unique redis store id. */
  async place(row: DriverRow, label: string): Promise<StorePlace> {
    const dir = await this.tempDir(`${row.id}-${label}`);
    const place: StorePlace = { dir, storeId: `${label}-${++this.storeCounter}-${process.pid}` };
    if (row.needsRedis) place.redisUrl = (await this.redis()).url;
    return place;
  }

  /** The row's store with the whole data set in it, written once (untimed, 8 files at a time) and then shared. */
  builtStore(row: DriverRow): Promise<BuiltStore> {
    let store = this.built.get(row.id);
    if (!store) {
      store = (async () => {
        const place = await this.place(row, 'built');
        this.log(`writing ${this.data.versions.length} versions into ${row.id}`);
        const opened = await openRowStore(row, place);
        try {
          await writeFilesConcurrently(opened, this.data.byFile);
        } catch (err) {
          await opened.close();
          throw err;
        }
        if (row.persistent) {
          await opened.close();
          return { row, place };
        }
        return { row, place, openStore: opened };
      })();
      this.built.set(row.id, store);
    }
    return store;
  }

  /** Compute something once per run (peer repositories shared by several workloads). */
  once<T>(key: string, compute: () => Promise<T>): Promise<T> {
    let value = this.memo.get(key) as Promise<T> | undefined;
    if (!value) {
      value = compute();
      this.memo.set(key, value);
    }
    return value;
  }

  /** Close built stores, stop redis, remove every temp dir. */
  async close(): Promise<void> {
    for (const built of this.built.values()) {
      try {
        await (await built).openStore?.close();
      } catch {
        // A store that failed to build has nothing to close.
      }
    }
    if (this.redisServer) await (await this.redisServer).stop().catch(() => {});
    for (const dir of this.dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  }
}
