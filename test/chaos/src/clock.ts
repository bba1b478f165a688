import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const CANDIDATE_DIRS = ['/usr/lib/x86_64-linux-gnu/faketime', '/usr/lib/aarch64-linux-gnu/faketime', '/usr/lib/faketime', '/usr/local/lib/faketime'];

/** libfaketime's shared library (Debian's `faketime` package), or undefined when not installed. */
export function findLibfaketime(): string | undefined {
  const override = process.env.GITTY_CHAOS_LIBFAKETIME;
  if (override) return existsSync(override) ? override : undefined;
  for (const dir of CANDIDATE_DIRS) {
    if (!existsSync(dir)) continue;
    const lib = readdirSync(dir).find((f) => /^libfaketime\.so/.test(f));
    if (lib) return path.join(dir, lib);
  }
  return undefined;
}

/**
 * Per-process wall clocks the nemesis can jump: each client runs with libfaketime preloaded,
 * reading its offset from its own file (re-read at most every second). The monotonic clock is
 * left alone, as when NTP steps a real clock.
 */
export class Clocks {
  constructor(
    private readonly dir: string,
    readonly lib: string | undefined,
  ) {}

  get available(): boolean {
    return this.lib !== undefined;
  }

  private file(client: number): string {
    return path.join(this.dir, `clock-${client}`);
  }

  /** Environment variables that put a client under its fake clock (none without libfaketime). */
  env(client: number): Record<string, string> {
    if (!this.lib) return {};
    if (!existsSync(this.file(client))) writeFileSync(this.file(client), '+0\n');
    return {
      LD_PRELOAD: this.lib,
      FAKETIME_TIMESTAMP_FILE: this.file(client),
      FAKETIME_CACHE_DURATION: '1',
      FAKETIME_DONT_FAKE_MONOTONIC: '1',
    };
  }

  /** Jump a client's wall clock by `seconds` (negative: backwards). */
  jump(client: number, seconds: number): void {
    writeFileSync(this.file(client), `${seconds >= 0 ? '+' : ''}${Math.round(seconds)}\n`);
  }

  /** Every clock back to true time. */
  healAll(clients: number): void {
    if (!this.lib) return;
    for (let i = 0; i < clients; i++) writeFileSync(this.file(i), '+0\n');
  }
}
