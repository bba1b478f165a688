/**
 * An example third-party WRAPPING driver: it opens its inner driver from the `inner` config
 * (which may itself name a module), delegates everything through PassThroughDriver, and adds
 * one thing: it counts successful head updates and reports them in `stats()`.
 */
import { checkDriverOptions, type Driver, type DriverFactory } from '@gitty/core';
import { PassThroughDriver } from '@gitty/driver-test';

/** Counts successful head updates made through it. */
export class CountingDriver extends PassThroughDriver {
  headUpdates = 0;
  override readonly stats: () => Promise<Record<string, number>>;

  constructor(inner: Driver) {
    super(inner);
    this.stats = async () => ({ ...(await inner.stats?.()), headUpdates: this.headUpdates });
  }

  override async updateHead(name: string, expected: string | null, next: string | null): Promise<void> {
    await super.updateHead(name, expected, next);
    this.headUpdates++;
  }
}

/** `{ driver: './counting-wrapper.ts', inner: { driver: … } }`. */
export const createDriver: DriverFactory = async (options, context) => {
  checkDriverOptions('counting', options, ['inner'], ['inner']);
  return new CountingDriver(await context.openInner(options.inner));
};
