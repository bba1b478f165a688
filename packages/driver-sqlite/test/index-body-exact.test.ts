// indexBody: gitty's JSON commit kept byte for byte; a SWISH commit (a Prolog dict) kept as the
// exact JSON of its decoded metadata, without its own hash.
import { describe, expect, it } from 'vitest';
import { decodeCommit, encodeCommit, hashObject } from '@gitty/core';
import { indexBody } from '../src/index-body.js';

const h = (c: string) => c.repeat(40);

describe('indexBody', () => {
  it('keeps a JSON commit\'s bytes as they are, trailing newline included', () => {
    const data = encodeCommit({ name: 'a.pl', data: h('d'), time: 5, author: 'ann' });
    const commit = decodeCommit(data, hashObject('commit', data));
    expect(indexBody(data, commit)).toBe(`{"author":"ann","data":"${h('d')}","name":"a.pl","time":5}\n`);
  });

  it('writes a SWISH commit\'s metadata as exact JSON, without the commit key', () => {
    const data = encodeCommit({ name: 'a.pl', data: h('d'), time: 5.5, big: 9007199254740993n as never }, 'swish');
    const commit = decodeCommit(data, hashObject('commit', data));
    expect(new TextDecoder().decode(data).startsWith('gitty{')).toBe(true);
    expect(indexBody(data, commit)).toBe(`{"big":9007199254740993,"data":"${h('d')}","name":"a.pl","time":5.5}`);
  });
});
