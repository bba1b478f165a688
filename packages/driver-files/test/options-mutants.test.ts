import { describe, expect, it } from 'vitest';
import { parseFilesOptions } from '../src/options.js';

// A config may come from code, not only JSON: a value that is no number must be refused as
// INVALID_CONFIG before anything compares it, since comparing a Symbol with a number throws
// a bare TypeError that names no option.
describe('parseFilesOptions: non-numbers are refused before they are compared', () => {
  it('compactRatio: a Symbol is INVALID_CONFIG, not a TypeError from `>= 1.5`', () => {
    expect(() => parseFilesOptions({ dir: '/tmp/x', compactRatio: Symbol('ratio') })).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIG', message: 'The files driver\'s "compactRatio" must be a number >= 1.5' }),
    );
  });
});
