import { describe, expect, it } from 'vitest';
import { check } from '../src/checker.js';
import type { HistoryEvent } from '../src/history.js';
import type { ChainLink, Observation } from '../src/observe.js';

// Synthetic histories: the checker must flag exactly the anomalies the campaign hunts.
const h = (n: number) => n.toString(16).padStart(40, '0');
let clock = 0;
const events: HistoryEvent[] = [];

function reset(): void {
  events.length = 0;
  clock = 0;
}

function write(id: string, op: 'create' | 'update' | 'delete', name: string, previous: string | undefined, outcome: { commit?: string } | { code: string } | 'unknown'): void {
  events.push({ type: 'invoke', id, client: 0, time: clock++, op, name, ...(previous ? { previous } : {}) });
  if (outcome === 'unknown') return;
  if ('code' in outcome) events.push({ type: 'fail', id, time: clock++, code: outcome.code, message: outcome.code });
  else events.push({ type: 'ok', id, time: clock++, ...(outcome.commit ? { commit: outcome.commit } : {}), ...(previous ? { previous } : {}) });
}

function store(chains: Record<string, ChainLink[]>): Observation {
  const heads: Record<string, string> = {};
  for (const [name, chain] of Object.entries(chains)) if (chain[0]) heads[name] = chain[0].commit;
  return { heads, chains, unreadable: [], fsck: { ok: true, errors: [] } };
}

const link = (commit: string, op: string, previous?: string): ChainLink => ({ commit, name: 'a', op, ...(previous ? { previous } : {}) });

describe('checker', () => {
  it('accepts a clean history whose acknowledged writes are all on the chain', () => {
    reset();
    write('c', 'create', 'a', undefined, { commit: h(1) });
    write('u1', 'update', 'a', h(1), { commit: h(2) });
    write('u2', 'update', 'a', h(1), { code: 'NOT_AT_HEAD' });
    const result = check(events, [{ label: 's', observation: store({ a: [link(h(2), 'u1', h(1)), link(h(1), 'c')] }) }]);
    expect(result.violations).toEqual([]);
    expect(result).toMatchObject({ acknowledged: 2, lost: 0, duplicated: 0 });
  });

  it('counts failures without a gitty code (ERROR, errno) with their messages, and only those', () => {
    reset();
    write('c', 'create', 'a', undefined, { commit: h(1) });
    write('u1', 'update', 'a', h(1), { code: 'STORAGE_FULL' });
    write('u2', 'update', 'a', h(1), { code: 'ERROR' });
    write('u3', 'update', 'a', h(1), { code: 'ERROR' });
    write('u4', 'update', 'a', h(1), { code: 'ENOENT' });
    const result = check(events, [{ label: 's', observation: store({ a: [link(h(1), 'c')] }) }]);
    expect(result.untyped).toEqual({ 'ERROR: ERROR': 2, 'ENOENT: ENOENT': 1 });
    expect(result.errors).toEqual({ STORAGE_FULL: 1, ERROR: 2, ENOENT: 1 });
  });

  it('flags two acknowledged updates from one head as duplicated, and the one off the chain as lost', () => {
    reset();
    write('c', 'create', 'a', undefined, { commit: h(1) });
    write('u1', 'update', 'a', h(1), { commit: h(2) });
    write('u2', 'update', 'a', h(1), { commit: h(3) });
    const result = check(events, [{ label: 's', observation: store({ a: [link(h(3), 'u2', h(1)), link(h(1), 'c')] }) }]);
    expect(result.duplicated).toBe(1);
    expect(result.lost).toBe(1);
    expect(result.violations.map((v) => v.kind).sort()).toEqual(['duplicated', 'lost']);
  });

  it('models deletes and re-creates: a write removed by a delete of its descendant is not lost', () => {
    reset();
    write('c1', 'create', 'a', undefined, { commit: h(1) });
    write('u1', 'update', 'a', h(1), { commit: h(2) });
    write('d', 'delete', 'a', h(2), 'unknown');
    write('c2', 'create', 'a', undefined, { commit: h(5) });
    const result = check(events, [{ label: 's', observation: store({ a: [link(h(5), 'c2')] }) }]);
    expect(result.violations).toEqual([]);
  });

  it('flags a second create without a delete between, and a write that no delete explains', () => {
    reset();
    write('c1', 'create', 'a', undefined, { commit: h(1) });
    write('c2', 'create', 'a', undefined, { commit: h(5) });
    const result = check(events, [{ label: 's', observation: store({ a: [link(h(5), 'c2')] }) }]);
    expect(result.violations.map((v) => v.kind).sort()).toEqual(['duplicated', 'lost']);
  });

  it('lets an unknown outcome appear or not, but not a write that definitely failed', () => {
    reset();
    write('c', 'create', 'a', undefined, { commit: h(1) });
    write('u1', 'update', 'a', h(1), 'unknown');
    write('u2', 'update', 'a', h(1), { code: 'REDIS_UNAVAILABLE' });
    const absent = check(events, [{ label: 's', observation: store({ a: [link(h(1), 'c')] }) }]);
    expect(absent.violations).toEqual([]);
    const present = check(events, [{ label: 's', observation: store({ a: [link(h(3), 'u2', h(1)), link(h(1), 'c')] }) }]);
    expect(present.violations).toEqual([]);
    reset();
    write('c', 'create', 'a', undefined, { commit: h(1) });
    write('u3', 'update', 'a', h(1), { code: 'NOT_AT_HEAD' });
    const phantom = check(events, [{ label: 's', observation: store({ a: [link(h(4), 'u3', h(1)), link(h(1), 'c')] }) }]);
    expect(phantom.violations.map((v) => v.kind)).toEqual(['phantom']);
  });

  it('reports a head a node cannot load as unreadable, not its acknowledged writes as lost', () => {
    reset();
    write('c', 'create', 'a', undefined, { commit: h(1) });
    write('u', 'update', 'a', h(1), { commit: h(2) });
    const full = store({ a: [link(h(2), 'u', h(1)), link(h(1), 'c')] });
    const blind: Observation = { heads: { a: h(2) }, chains: { a: [] }, unreadable: [`a: ${h(2)} does not load (OBJECT_UNAVAILABLE)`], fsck: { ok: true, errors: [] } };
    const result = check(events, [{ label: 'node-0', observation: blind }, { label: 'node-1', observation: full }]);
    expect(result.lost).toBe(0);
    expect(result.violations.map((v) => v.kind)).toEqual(['unreadable']);
    // No store walked it: the head is still on the chain; the update before it is not known to be.
    const alone = check(events, [{ label: 'node-0', observation: blind }]);
    expect(alone.violations.filter((v) => v.kind === 'lost').map((v) => v.ops)).toEqual([['c']]);
  });

  it('flags nodes whose heads differ, a broken chain, and an unclean fsck', () => {
    reset();
    write('c', 'create', 'a', undefined, { commit: h(1) });
    const good = store({ a: [link(h(1), 'c')] });
    const other: Observation = { ...store({}), fsck: { ok: false, errors: [JSON.stringify({ code: 'BAD_HEAD', hash: h(9) })] } };
    const result = check(events, [{ label: 'node-0', observation: good }, { label: 'node-1', observation: other }]);
    expect(result.violations.map((v) => v.kind).sort()).toEqual(['diverged', 'fsck']);
    const dangling: Observation = { ...good, fsck: { ok: false, errors: [JSON.stringify({ code: 'MISSING_OBJECT', hash: h(8) })] } };
    const warned = check(events, [{ label: 'node-0', observation: dangling }]);
    expect(warned.violations).toEqual([]);
    expect(warned.warnings.map((w) => w.kind)).toEqual(['fsck-dangling']);
    const broken = check(events, [{ label: 's', observation: store({ a: [link(h(1), 'c', h(7))] }) }]);
    expect(broken.violations.map((v) => v.kind)).toEqual(['not-linear']);
  });
});
