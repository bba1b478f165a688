import cliProgress from 'cli-progress';
import type { Progress, ProgressListener } from '@gitty/core';
import type { OutputStream } from './output.js';

/** A progress display for long work; `listener` receives the core's progress reports. */
export interface ProgressDisplay {
  listener: ProgressListener;
  /** Remove the bar (call before printing results). */
  stop(): void;
}

const quiet: ProgressDisplay = { listener: () => {}, stop: () => {} };

/**
 * A cli-progress bar on stderr showing the phase, counts and rate — only when stderr is a
 * TTY and not in --json mode; otherwise a no-op, so piped output stays clean.
 */
export function progressDisplay(label: string, options: { json: boolean; stream?: OutputStream } = { json: false }): ProgressDisplay {
  const given = options.stream ?? process.stderr;
  if (options.json || !given.isTTY) return quiet;
  // A terminal is a tty.WriteStream: cli-progress moves its cursor and reads its width.
  const stream = given as NodeJS.WriteStream;
  let phase = '';
  let phaseStart = Date.now();
  let started = false;
  const bar = new cliProgress.SingleBar(
    {
      stream,
      hideCursor: true,
      clearOnComplete: true,
      fps: 10,
      format: (opts, params, payload: { phase: string; known: boolean; rate: string }) => {
        const counts = payload.known ? `${params.value}/${params.total}` : `${params.value}`;
        const bar = payload.known && opts.barsize ? `${barOf(params.progress, opts.barsize)} ` : '';
        // A phase named like the command (`repack`'s phase `repack`) is said once.
        const phase = payload.phase === label || payload.phase === '' ? '' : ` ${payload.phase}`;
        return `${label}${phase} ${bar}${counts} ${payload.rate}/s`;
      },
      barsize: 24,
    },
    cliProgress.Presets.shades_classic,
  );
  const listener = (progress: Progress) => {
    if (progress.phase !== phase) {
      phase = progress.phase;
      phaseStart = Date.now();
    }
    const known = progress.total !== undefined && progress.total > 0;
    const total = known ? (progress.total as number) : Math.max(progress.done, 1);
    const seconds = Math.max((Date.now() - phaseStart) / 1000, 0.001);
    const payload = { phase, known, rate: Math.round(progress.done / seconds).toString() };
    if (!started) {
      bar.start(total, progress.done, payload);
      started = true;
    } else {
      bar.setTotal(total);
      bar.update(progress.done, payload);
    }
  };
  return {
    listener,
    stop: () => {
      if (started) bar.stop();
      started = false;
    },
  };
}

function barOf(fraction: number, size: number): string {
  const filled = Math.max(0, Math.min(size, Math.round(fraction * size)));
  return `[${'#'.repeat(filled)}${'-'.repeat(size - filled)}]`;
}
