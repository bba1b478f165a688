import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseStoreSpec } from '../src/config.js';

// `<driver>:<dir>` must be the whole argument: a spec whose text goes on past a line break is a
// folder of that (odd) name, not the driver over the part before the break.
describe('parseStoreSpec', () => {
  it('takes a spec holding a line break as a folder name, not as <driver>:<dir>', async () => {
    expect(await parseStoreSpec('files:x\ny', '/base')).toEqual({ config: { driver: 'files', dir: path.join('/base', 'files:x\ny') }, origin: 'files:x\ny' });
    expect(await parseStoreSpec('sqlite:x', '/base')).toEqual({ config: { driver: 'sqlite', dir: path.join('/base', 'x') }, origin: 'sqlite:x' });
  });
});
