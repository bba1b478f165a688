// RecentObjects' bounds (256 entries, 8 MiB, a FIFO) and its byte accounting through forget and
// clear, by what get() answers afterwards.
import { describe, expect, it } from 'vitest';
import { RecentObjects } from '../src/recent-objects.js';

const MiB = 1024 * 1024;
const bytes = (n: number, fill = 1) => new Uint8Array(n).fill(fill);
const key = (i: number) => i.toString(16).padStart(40, '0');

describe('RecentObjects', () => {
  it('keeps a copy of the bytes with their type', () => {
    const recent = new RecentObjects();
    const data = Uint8Array.from([1, 2, 3]);
    recent.remember(key(1), 'blob', data);
    data[0] = 9;
    expect(recent.get(key(1))).toEqual({ type: 'blob', data: Uint8Array.from([1, 2, 3]) });
    expect(recent.get(key(2))).toBeUndefined();
  });

  it('keeps the first object remembered under a hash', () => {
    const recent = new RecentObjects();
    recent.remember(key(1), 'blob', bytes(3, 1));
    recent.remember(key(1), 'commit', bytes(5, 2));
    expect(recent.get(key(1))).toEqual({ type: 'blob', data: bytes(3, 1) });
  });

  it('keeps 256 entries and drops the oldest for the 257th', () => {
    const recent = new RecentObjects();
    for (let i = 0; i < 256; i++) recent.remember(key(i), 'blob', bytes(1));
    expect(recent.get(key(0))).toBeDefined();
    recent.remember(key(256), 'blob', bytes(1));
    expect(recent.get(key(0))).toBeUndefined();
    expect(recent.get(key(1))).toBeDefined();
    expect(recent.get(key(256))).toBeDefined();
  });

  it('holds exactly 8 MiB, and drops the oldest when one more byte comes', () => {
    const recent = new RecentObjects();
    for (let i = 0; i < 8; i++) recent.remember(key(i), 'blob', bytes(MiB));
    expect(recent.get(key(0))).toBeDefined();
    recent.remember(key(8), 'blob', bytes(1));
    expect(recent.get(key(0))).toBeUndefined();
    expect(recent.get(key(1))).toBeDefined();
    expect(recent.get(key(8))).toBeDefined();
  });

  it('takes one object of exactly 8 MiB, refuses a larger one without dropping others', () => {
    const recent = new RecentObjects();
    recent.remember(key(1), 'blob', bytes(1));
    recent.remember(key(2), 'blob', bytes(8 * MiB + 1));
    expect(recent.get(key(2))).toBeUndefined();
    expect(recent.get(key(1))).toBeDefined();
    const alone = new RecentObjects();
    alone.remember(key(3), 'blob', bytes(8 * MiB));
    expect(alone.get(key(3))?.data.length).toBe(8 * MiB);
  });

  it('gives back the room of a forgotten object, and forgetting an unknown hash changes nothing', () => {
    const recent = new RecentObjects();
    for (let i = 0; i < 8; i++) recent.remember(key(i), 'blob', bytes(MiB));
    recent.forget(key(99));
    recent.forget(key(7));
    expect(recent.get(key(7))).toBeUndefined();
    recent.remember(key(8), 'blob', bytes(MiB));
    expect(recent.get(key(0))).toBeDefined();
    recent.remember(key(9), 'blob', bytes(1));
    expect(recent.get(key(0))).toBeUndefined();
    expect(recent.get(key(1))).toBeDefined();
  });

  it('clear forgets every object and its bytes', () => {
    const recent = new RecentObjects();
    for (let i = 0; i < 8; i++) recent.remember(key(i), 'blob', bytes(MiB));
    recent.clear();
    expect(recent.get(key(0))).toBeUndefined();
    for (let i = 10; i < 18; i++) recent.remember(key(i), 'blob', bytes(MiB));
    expect(recent.get(key(10))).toBeDefined();
  });
});
