import { describe, expect, it } from 'vitest';
import { parseGitCommit } from '../src/import/git-commit.js';

// parseGitCommit on raw commits at the edges of its header handling.
const HASH = 'c'.repeat(40);
const raw = (text: string | Buffer) => new Uint8Array(typeof text === 'string' ? Buffer.from(text, 'utf8') : text);

describe('parseGitCommit: the header', () => {
  it('reads a commit that has no message and no final newline, up to its last byte', () => {
    expect(parseGitCommit(raw('tree t\nauthor A <a@x> 5 +0000'), HASH)).toEqual({ author: 'A', email: 'a@x', time: 5, commit_message: '' });
  });

  it('takes the encoding only from a header line that starts with "encoding "', () => {
    const latin1 = (header: string) => Buffer.concat([Buffer.from(`tree t\nauthor A <a@x> 1 +0000\n${header}\n\nGr`), Buffer.from([0xfc, 0xdf]), Buffer.from('e\n')]);
    expect(parseGitCommit(raw(latin1('encoding ISO-8859-1')), HASH).commit_message).toBe('Grüße');
    // Another header naming an encoding inside its line is no encoding header: the message is UTF-8.
    expect(parseGitCommit(raw(latin1('x-note no encoding ISO-8859-1')), HASH).commit_message).toBe('Gr\ufffd\ufffde');
  });
});
