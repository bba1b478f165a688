import { describe, expect, it } from 'vitest';
import { measurePackSizes } from '../scripts/pack-size.js';

describe('pack size against git', () => {
  it('our pack of 40 files x 10 versions is at most 1.2x the size of git pack-objects --window=250 --depth=50', async () => {
    const sizes = await measurePackSizes(40, 10);
    console.log(`pack sizes: ${JSON.stringify(sizes)}`);
    expect(sizes.objects).toBe(800);
    expect(sizes.ourPack).toBeLessThan(sizes.looseBytes / 2);
    expect(sizes.ratioOursToGit).toBeLessThanOrEqual(1.2);
    // The pack alone, at the default chain depth: at most 0.95x git's.
    expect(sizes.ratioPackOnly).toBeLessThanOrEqual(0.95);
  });
});
