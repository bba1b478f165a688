// An inner store whose writes are held back: a files store behind a gate (tests open the gate
// when they choose) or behind a delay, so a node's inner store lags behind what it replicates.
import { registerDriver, type Driver, type DriverFactory } from '@gitty/core';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Holds the writes (`storeObject`, `updateHead`) of the inner stores that name it. `hold()` makes
 * new writes wait; `release()` lets every waiting and later write through; `pass()` lets later
 * writes through but keeps those already waiting until `release()`. `delay` adds a wait to every
 * write; `serialMs` makes writes go one at a time, each taking that long.
 */
export class Gate {
  private holding = false;
  private readonly waiting: Array<() => void> = [];
  private serial: Promise<void> = Promise.resolve();
  delay: (() => number) | undefined;
  serialMs = 0;
  /** Writes that went through the gate (stores and head changes). */
  writes = 0;

  hold(): void {
    this.holding = true;
  }

  pass(): void {
    this.holding = false;
  }

  release(): void {
    this.holding = false;
    for (const resolve of this.waiting.splice(0)) resolve();
  }

  /** Writes waiting at the gate now. */
  get held(): number {
    return this.waiting.length;
  }

  async enter(): Promise<void> {
    if (this.holding) await new Promise<void>((resolve) => this.waiting.push(resolve));
    const delay = this.delay?.() ?? 0;
    if (delay > 0) await sleep(delay);
    if (this.serialMs > 0) {
      const turn = this.serial.then(() => sleep(this.serialMs));
      this.serial = turn;
      await turn;
    }
    this.writes++;
  }
}

const gates = new Map<string, Gate>();

/** A gate for inner configs `{ driver: 'gated', gate: id, … }` in this process. */
export function gateFor(id: string): Gate {
  let gate = gates.get(id);
  if (!gate) {
    gate = new Gate();
    gates.set(id, gate);
  }
  return gate;
}

/** Let every gate through (after a test, so closing nodes are not held). */
export function releaseGates(): void {
  for (const gate of gates.values()) {
    gate.delay = undefined;
    gate.serialMs = 0;
    gate.release();
  }
}

const GATED = new Set(['storeObject', 'updateHead']);

/**
 * Register `gated`: `{ driver: 'gated', dir, durability?, gate?: id, serialMs? }`, a files store
 * (default durability: fsync) whose writes pass the gate `id` (or one of its own with `serialMs`).
 */
export function registerGatedDriver(files: DriverFactory): void {
  const factory: DriverFactory = async (options, context) => {
    const { gate: id, serialMs, driver: _driver, ...rest } = options as { gate?: string; serialMs?: number; driver?: string };
    const gate = id ? gateFor(id) : new Gate();
    if (typeof serialMs === 'number') gate.serialMs = serialMs;
    const inner = await files(rest, context);
    return new Proxy(inner, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver) as unknown;
        if (typeof value !== 'function') return value;
        if (typeof key === 'string' && GATED.has(key)) {
          return async (...args: unknown[]) => {
            await gate.enter();
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        }
        return (value as (...a: unknown[]) => unknown).bind(target);
      },
    }) as Driver;
  };
  registerDriver('gated', factory);
}
