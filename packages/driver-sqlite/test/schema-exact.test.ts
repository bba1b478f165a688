// schema.ts: the constants other code and other processes rely on (a changed version or table
// list rebuilds or breaks every index), the name key's exact bytes, and prefixEnd's bound.
import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { INDEX_FILE, SCHEMA_SQL, SCHEMA_VERSION, TABLES, nameKey, prefixEnd } from '../src/schema.js';
import { freshIndex } from './support/exact-index.js';

describe('schema constants', () => {
  it('names the file and the version, and lists every table in drop order', () => {
    expect(INDEX_FILE).toBe('index.sqlite');
    expect(SCHEMA_VERSION).toBe(2);
    expect(TABLES).toEqual(['contents_fts', 'contents', 'head_tags', 'heads', 'commits', 'waiting', 'meta']);
  });

  it('SCHEMA_SQL creates exactly those tables (and FTS5\'s own)', () => {
    const db = new Database(':memory:');
    try {
      db.exec(SCHEMA_SQL);
      const tables = db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'contents_fts_%' ORDER BY name").all().map((r) => r.name);
      expect(tables).toEqual([...TABLES].sort());
      // Idempotent: an existing index is opened with the same statements.
      db.exec(SCHEMA_SQL);
    } finally {
      db.close();
    }
  });

  it('a fresh index file records nothing until a position is set', () => {
    const { index, remove } = freshIndex();
    try {
      expect(index.state).toBe('missing');
      expect(index.position()).toBeUndefined();
    } finally {
      remove();
    }
  });
});

describe('nameKey', () => {
  it('is the name as UTF-16BE code units', () => {
    expect(nameKey('')).toEqual(Buffer.alloc(0));
    expect(nameKey('aé')).toEqual(Buffer.from([0x00, 0x61, 0x00, 0xe9]));
    expect(nameKey('😀')).toEqual(Buffer.from([0xd8, 0x3d, 0xde, 0x00]));
  });

  it('orders as JavaScript compares strings', () => {
    const names = ['ｚ', '😀', 'b', 'a', 'é', 'Z', '\uffff', 'ab'];
    const byKey = [...names].sort((x, y) => Buffer.compare(nameKey(x), nameKey(y)));
    expect(byKey).toEqual([...names].sort());
  });
});

describe('prefixEnd', () => {
  it('adds one to the last byte that is not 0xff and drops the bytes after it', () => {
    expect(prefixEnd(Buffer.from([0x00, 0x61]))).toEqual(Buffer.from([0x00, 0x62]));
    expect(prefixEnd(Buffer.from([0x00, 0xff]))).toEqual(Buffer.from([0x01]));
    expect(prefixEnd(Buffer.from([0x12, 0xfe, 0xff, 0xff]))).toEqual(Buffer.from([0x12, 0xff]));
    expect(prefixEnd(Buffer.from([0xfe]))).toEqual(Buffer.from([0xff]));
  });

  it('is undefined when every byte is 0xff, or there is none', () => {
    expect(prefixEnd(Buffer.from([0xff, 0xff]))).toBeUndefined();
    expect(prefixEnd(Buffer.alloc(0))).toBeUndefined();
  });

  it('leaves its argument as it was', () => {
    const prefix = Buffer.from([0x00, 0x61]);
    prefixEnd(prefix);
    expect(prefix).toEqual(Buffer.from([0x00, 0x61]));
  });
});
