import type { StorePlace } from '../drivers.js';

/** What a worker process is started with (its single JSON argument). */
export interface WorkerConfig {
  driver: string;
  place: StorePlace;
  /** Contention: the shared file; replicate: a name prefix for this node's files. */
  name: string;
  durationMs?: number;
  worker?: number;
}

/** Messages from a contention worker. */
export type ContentionMessage =
  | { type: 'ready' }
  | { type: 'done'; acked: string[]; conflicts: number; errors: number; firstError?: string; elapsedMs: number };

/** Messages from a replication node. */
export type NodeMessage =
  | { type: 'ready' }
  /** `t`: when the write was acknowledged; `t0`: just before the call (monotonic ns). */
  | { type: 'wrote'; name: string; commit: string; t: string; t0?: string }
  | { type: 'seen'; name: string; commit: string; t: string }
  | { type: 'burst-done'; count: number; elapsedMs: number; firstError?: string }
  | { type: 'closed' };

/** Messages to a worker. */
export type WorkerCommand =
  | { type: 'go' }
  | { type: 'write'; name: string; text: string }
  | { type: 'burst'; durationMs: number }
  | { type: 'close' };
