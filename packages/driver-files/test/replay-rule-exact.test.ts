import { describe, expect, it } from 'vitest';
import type { HeadChange } from '@gitty/core';
import { replayHeadChanges } from '@gitty/driver-files';

// The replay rule decides which head-log lines apply for every reader (files heads, the SQLite
// index): a void line taken for applied moves a head a stalled writer never owned.

const c = (name: string, old: string | null, next: string | null): HeadChange => ({ name, old, new: next });

describe('replayHeadChanges', () => {
  it('applies changes whose old is the head at their place, chaining within the run', () => {
    const before = new Map([['a', 'A0']]);
    const asked: string[] = [];
    const changes = [c('a', 'A0', 'A1'), c('a', 'A1', 'A2'), c('b', null, 'B1'), c('a', 'A2', null), c('a', null, 'A3')];
    const result = replayHeadChanges(changes, (name) => {
      asked.push(name);
      return before.get(name) ?? null;
    });
    expect(result).toEqual({ applied: changes, voided: 0, heads: new Map([['a', 'A3'], ['b', 'B1']]) });
    // The head before the run is asked once per name: later changes chain on the run's own heads.
    expect(asked).toEqual(['a', 'b']);
  });

  it('voids a change whose old is not the head, and counts it', () => {
    const changes = [c('a', 'X', 'A1'), c('a', 'A0', 'A1'), c('a', 'A0', 'A2'), c('b', 'B0', 'B1'), c('a', 'A1', null), c('a', 'A1', 'A9')];
    const result = replayHeadChanges(changes, (name) => (name === 'a' ? 'A0' : null));
    expect(result.applied).toEqual([changes[1], changes[4]]);
    expect(result.voided).toBe(4);
    expect(result.heads).toEqual(new Map([['a', null]]));
  });

  it('reads a deleted head as none, not as the head before the run', () => {
    const changes = [c('a', 'A0', null), c('a', 'A0', 'A1'), c('a', null, 'A2')];
    const result = replayHeadChanges(changes, () => 'A0');
    expect(result.applied).toEqual([changes[0], changes[2]]);
    expect(result.voided).toBe(1);
    expect(result.heads.get('a')).toBe('A2');
  });

  it('reports nothing for an empty run', () => {
    expect(replayHeadChanges([], () => 'x')).toEqual({ applied: [], voided: 0, heads: new Map() });
  });
});
