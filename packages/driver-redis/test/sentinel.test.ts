import { describe, it } from 'vitest';
import { failoverScenario } from './sentinel-failover.js';

describe('Redis Sentinel', () => {
  it('the master dies mid-burst: writers go on after the promotion, and every acknowledged update survives (replicaAcks: 1)', async () => {
    await failoverScenario(1);
  }, 90_000);
});
