// Exact behaviour of the Prolog term reader and writer (prolog-term.ts): every term kind, every
// escape, every number form, and each syntax error with its message and offset. The SWISH tests
// of the drivers exercise the same code through whole commits; these pin it in core, where
// core's mutation run can see them.
import { describe, expect, it } from 'vitest';
import { PrologSyntaxError, TermReader, readClause, writeAtom, writeFloat, writeString, type Term } from '../src/prolog-term.js';

const atom = (name: string): Term => ({ kind: 'atom', name });
const str = (text: string): Term => ({ kind: 'string', text });
const int = (value: bigint): Term => ({ kind: 'integer', value });
const float = (value: number): Term => ({ kind: 'float', value });
const variable = (name: string): Term => ({ kind: 'var', name });
const compound = (name: string, ...args: Term[]): Term => ({ kind: 'compound', name, args });
const list = (...items: Term[]): Term => ({ kind: 'list', items });

/** The message and offset of the PrologSyntaxError `fn` throws; any other outcome fails. */
function syntaxError(fn: () => unknown): { message: string; offset: number } {
  try {
    fn();
  } catch (err) {
    if (err instanceof PrologSyntaxError) return { message: err.message, offset: err.offset };
    throw err;
  }
  throw new Error('no error thrown');
}

/** The error of reading `text` as one clause, as "message at offset N" with the offset checked. */
function clauseError(text: string): string {
  const { message, offset } = syntaxError(() => readClause(text));
  expect(message.endsWith(` at offset ${offset}`), message).toBe(true);
  return message;
}

/** One term read from the start of `text`, and where reading stopped. */
function termAt(text: string): { term: Term; offset: number } {
  const reader = new TermReader(text);
  const term = reader.readTerm();
  return { term, offset: reader.offset };
}

describe('PrologSyntaxError', () => {
  it('carries the offset and names it in the message', () => {
    const err = new PrologSyntaxError('bad thing', 7);
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toBe('bad thing at offset 7');
    expect(err.offset).toBe(7);
  });
});

describe('layout and comments', () => {
  it('skips every layout character before a term and before the full stop', () => {
    for (const layout of [' ', '\t', '\n', '\r', '\f', '\v']) {
      expect(readClause(`${layout}a${layout}.${layout}`), JSON.stringify(layout)).toStrictEqual(atom('a'));
    }
  });

  it('skips line comments up to the newline, and block comments', () => {
    expect(readClause('f(a % c ) d\n, b).')).toStrictEqual(compound('f', atom('a'), atom('b')));
    expect(readClause('/* c */ a /* d */ .')).toStrictEqual(atom('a'));
    expect(readClause('/*/ a */ b.')).toStrictEqual(atom('b'));
    expect(readClause('/**/a.')).toStrictEqual(atom('a'));
    expect(readClause('% first\n% second\nx.')).toStrictEqual(atom('x'));
  });

  it('ends a trailing line comment at the end of the text', () => {
    const reader = new TermReader('a. %c');
    expect(reader.readClause()).toStrictEqual(atom('a'));
    expect(reader.offset).toBe(2);
    expect(reader.atEnd()).toBe(true);
    expect(reader.offset).toBe(5);
  });

  it('refuses an unterminated block comment where it starts', () => {
    expect(clauseError('/* x')).toBe('unterminated comment at offset 0');
    expect(clauseError('a. /* x *')).toBe('unterminated comment at offset 3');
    const reader = new TermReader('a. /* x *');
    expect(reader.readClause()).toStrictEqual(atom('a'));
    expect(syntaxError(() => reader.atEnd())).toEqual({ message: 'unterminated comment at offset 3', offset: 3 });
  });

  it('reads a slash or star that starts no comment as a symbol atom', () => {
    expect(readClause('f(/).')).toStrictEqual(compound('f', atom('/')));
    expect(readClause('f(**).')).toStrictEqual(compound('f', atom('**')));
    expect(readClause('f(*/).')).toStrictEqual(compound('f', atom('*/')));
  });
});

describe('clauses and the full stop', () => {
  it('needs a full stop followed by layout, a comment or the end', () => {
    expect(readClause('a.')).toStrictEqual(atom('a'));
    expect(readClause('a.\n')).toStrictEqual(atom('a'));
    expect(readClause('a.%c')).toStrictEqual(atom('a'));
    expect(readClause('a .')).toStrictEqual(atom('a'));
    expect(clauseError('a')).toBe('expected a full stop at offset 1');
    expect(clauseError('a.b')).toBe('expected a full stop at offset 1');
    expect(clauseError('a ')).toBe('expected a full stop at offset 2');
    expect(clauseError('a. b.')).toBe('text after the full stop at offset 3');
  });

  it('reads clause after clause and says where it is', () => {
    const reader = new TermReader(' a. b.\n');
    expect(reader.offset).toBe(0);
    expect(reader.atEnd()).toBe(false);
    expect(reader.offset).toBe(1);
    expect(reader.readClause()).toStrictEqual(atom('a'));
    expect(reader.offset).toBe(3);
    expect(reader.atEnd()).toBe(false);
    expect(reader.readClause()).toStrictEqual(atom('b'));
    expect(reader.offset).toBe(6);
    expect(reader.atEnd()).toBe(true);
    expect(reader.offset).toBe(7);
    expect(new TermReader('').atEnd()).toBe(true);
  });

  it('refuses empty text and a bare full stop', () => {
    expect(clauseError('')).toBe('unexpected end of text at offset 0');
    expect(clauseError('   ')).toBe('unexpected end of text at offset 3');
    expect(clauseError('.')).toBe('unexpected full stop at offset 1');
    expect(clauseError('. ')).toBe('unexpected full stop at offset 1');
    expect(clauseError('f(. )')).toBe('unexpected full stop at offset 3');
  });
});

describe('atoms and variables', () => {
  it('reads plain atoms with letters, digits and underscores', () => {
    expect(termAt('abc')).toStrictEqual({ term: atom('abc'), offset: 3 });
    expect(termAt('a_b1C')).toStrictEqual({ term: atom('a_b1C'), offset: 5 });
    expect(termAt('a1')).toStrictEqual({ term: atom('a1'), offset: 2 });
    expect(termAt('é٣x y')).toStrictEqual({ term: atom('é٣x'), offset: 3 });
    expect(termAt('中文')).toStrictEqual({ term: atom('中文'), offset: 2 });
    expect(termAt('a-b')).toStrictEqual({ term: atom('a'), offset: 1 });
  });

  it('reads variables starting with an upper-case letter or an underscore', () => {
    expect(termAt('X')).toStrictEqual({ term: variable('X'), offset: 1 });
    expect(termAt('_')).toStrictEqual({ term: variable('_'), offset: 1 });
    expect(termAt('_a_1')).toStrictEqual({ term: variable('_a_1'), offset: 4 });
    expect(termAt('Éa,')).toStrictEqual({ term: variable('Éa'), offset: 2 });
  });

  it('reads symbol-character atoms as one name', () => {
    expect(readClause('f(+-*/\\^<>=~:.?@#&$).')).toStrictEqual(compound('f', atom('+-*/\\^<>=~:.?@#&$')));
    expect(readClause('+ .')).toStrictEqual(atom('+'));
    expect(readClause('f(:, -, .).')).toStrictEqual(compound('f', atom(':'), atom('-'), atom('.')));
    expect(readClause('f(.).')).toStrictEqual(compound('f', atom('.')));
    expect(termAt('=..')).toStrictEqual({ term: atom('=..'), offset: 3 });
    expect(clauseError('-.')).toBe('expected a full stop at offset 2');
  });

  it('reads ! and {} as atoms, and refuses other solo characters and curly terms', () => {
    expect(readClause('!.')).toStrictEqual(atom('!'));
    expect(readClause('f(!).')).toStrictEqual(compound('f', atom('!')));
    expect(readClause('!(a).')).toStrictEqual(compound('!', atom('a')));
    expect(readClause('{}.')).toStrictEqual(atom('{}'));
    expect(readClause('{ }.')).toStrictEqual(atom('{}'));
    expect(readClause('{}(a).')).toStrictEqual(compound('{}', atom('a')));
    expect(clauseError('{a}.')).toBe('curly terms are not supported at offset 1');
    expect(clauseError('f(,).')).toBe('unexpected character "," at offset 2');
    expect(clauseError('f(|).')).toBe('unexpected character "|" at offset 2');
    expect(clauseError(').')).toBe('unexpected character ")" at offset 0');
    expect(clauseError('f().')).toBe('unexpected character ")" at offset 2');
  });

  it('reads quoted atoms, the doubled quote standing for itself', () => {
    expect(termAt("'a b'")).toStrictEqual({ term: atom('a b'), offset: 5 });
    expect(termAt("''")).toStrictEqual({ term: atom(''), offset: 2 });
    expect(termAt("'a''b'")).toStrictEqual({ term: atom("a'b"), offset: 6 });
    expect(termAt(`'say "hi"'`)).toStrictEqual({ term: atom('say "hi"'), offset: 10 });
    expect(termAt("'x'(1)")).toStrictEqual({ term: compound('x', int(1n)), offset: 6 });
  });
});

describe('strings and escapes', () => {
  it('reads strings, the doubled double quote standing for itself', () => {
    expect(termAt('"a""b"')).toStrictEqual({ term: str('a"b'), offset: 6 });
    expect(termAt(`"it's"`)).toStrictEqual({ term: str("it's"), offset: 6 });
    expect(termAt('""')).toStrictEqual({ term: str(''), offset: 2 });
    expect(termAt('"Ωmega 𝄞"')).toStrictEqual({ term: str('Ωmega 𝄞'), offset: 10 });
  });

  it('reads every single-character escape', () => {
    expect(termAt(String.raw`"\n\t\r\a\b\f\v\e\s\\\'\"\`"`).term).toStrictEqual(str('\n\t\r\x07\b\f\v\x1b \\\'"`'));
  });

  it('reads octal escapes from each first digit, with or without the closing backslash', () => {
    expect(termAt(String.raw`"\0\\1\\2\\3\\4\\5\\6\\7\"`).term).toStrictEqual(str('\x00\x01\x02\x03\x04\x05\x06\x07'));
    expect(termAt(String.raw`"\101\B"`).term).toStrictEqual(str('AB'));
    expect(termAt(String.raw`"\101B"`).term).toStrictEqual(str('AB'));
    expect(termAt(String.raw`"\18x"`).term).toStrictEqual(str('\x018x'));
    expect(termAt(String.raw`"\1012"`).term).toStrictEqual(str('\u020a'));
  });

  it('reads hex escapes, with or without the closing backslash, in both cases', () => {
    expect(termAt(String.raw`"\x41\B"`).term).toStrictEqual(str('AB'));
    expect(termAt(String.raw`"\x41g"`).term).toStrictEqual(str('Ag'));
    expect(termAt(String.raw`"\xaF\\x9\"`).term).toStrictEqual(str('\xaf\x09'));
    expect(termAt(String.raw`"\x1D11E\"`).term).toStrictEqual(str('𝄞'));
    expect(termAt(String.raw`'\x10ffff\'`).term).toStrictEqual(atom('\u{10ffff}'));
    expect(termAt(String.raw`'\xd7ff\\xe000\'`).term).toStrictEqual(atom('\ud7ff\ue000'));
  });

  it('reads \\u with four and \\U with eight hex digits', () => {
    expect(termAt(String.raw`"\u00e9\u00C9x"`)).toStrictEqual({ term: str('éÉx'), offset: 15 });
    expect(termAt(String.raw`"\U0001D11Ex"`)).toStrictEqual({ term: str('𝄞x'), offset: 13 });
  });

  it('drops a backslash-newline (a line continuation)', () => {
    expect(termAt('"line\\\ncontinued"').term).toStrictEqual(str('linecontinued'));
    expect(termAt("'a\\\n'").term).toStrictEqual(atom('a'));
  });

  it('refuses bad escapes, raw newlines and unterminated text with the exact place', () => {
    expect(clauseError(String.raw`'\q'.`)).toBe(String.raw`unknown escape "\q" at offset 3`);
    expect(clauseError("'\\")).toBe(String.raw`unknown escape "\" at offset 3`);
    expect(clauseError(String.raw`"\xg"`)).toBe(String.raw`\x needs hex digits at offset 3`);
    expect(clauseError(String.raw`"\u00e"`)).toBe(String.raw`\u needs 4 hex digits at offset 3`);
    expect(clauseError(String.raw`"\u00eg"`)).toBe(String.raw`\u needs 4 hex digits at offset 3`);
    expect(clauseError(String.raw`"\U0001D11"`)).toBe(String.raw`\U needs 8 hex digits at offset 3`);
    expect(clauseError("'line\nbreak'.")).toBe('a newline inside quoted text must be escaped at offset 5');
    expect(clauseError("'abc")).toBe('unterminated quoted text at offset 4');
    expect(clauseError('"ab')).toBe('unterminated quoted text at offset 3');
    expect(clauseError("'a''")).toBe('unterminated quoted text at offset 4');
    expect(clauseError("'a'''")).toBe('expected a full stop at offset 5');
    expect(clauseError(String.raw`"\x41`)).toBe('unterminated quoted text at offset 5');
    expect(clauseError(String.raw`"\101`)).toBe('unterminated quoted text at offset 5');
  });

  it('refuses escapes that are not Unicode scalar values', () => {
    expect(clauseError(String.raw`"\xd800\"`)).toBe('character code 55296 is not a Unicode scalar value at offset 8');
    expect(clauseError(String.raw`"\xdfff\"`)).toBe('character code 57343 is not a Unicode scalar value at offset 8');
    expect(clauseError(String.raw`"\x110000\"`)).toBe('character code 1114112 is not a Unicode scalar value at offset 10');
    expect(clauseError(String.raw`"\10000000\"`)).toBe('character code 2097152 is not a Unicode scalar value at offset 11');
    expect(clauseError(String.raw`"\uD800"`)).toBe('character code 55296 is not a Unicode scalar value at offset 7');
  });
});

describe('numbers', () => {
  it('reads integers of any size, with digit groups and a glued minus', () => {
    expect(termAt('0')).toStrictEqual({ term: int(0n), offset: 1 });
    expect(termAt('9')).toStrictEqual({ term: int(9n), offset: 1 });
    expect(termAt('1_000_000')).toStrictEqual({ term: int(1000000n), offset: 9 });
    expect(termAt('12345678901234567890123')).toStrictEqual({ term: int(12345678901234567890123n), offset: 23 });
    expect(termAt('-5')).toStrictEqual({ term: int(-5n), offset: 2 });
    expect(termAt('1.')).toStrictEqual({ term: int(1n), offset: 1 });
    expect(readClause('1.')).toStrictEqual(int(1n));
    expect(clauseError('1_.')).toBe('expected a full stop at offset 1');
    expect(clauseError('1__0.')).toBe('expected a full stop at offset 1');
    expect(clauseError('- 1.')).toBe('expected a full stop at offset 2');
  });

  it('reads radix forms, falling back to 0 when no digit of the radix follows', () => {
    expect(termAt('0x1F')).toStrictEqual({ term: int(31n), offset: 4 });
    expect(termAt('0xaF9')).toStrictEqual({ term: int(0xaf9n), offset: 5 });
    expect(termAt('0o17')).toStrictEqual({ term: int(15n), offset: 4 });
    expect(termAt('0b101')).toStrictEqual({ term: int(5n), offset: 5 });
    expect(termAt('-0x10')).toStrictEqual({ term: int(-16n), offset: 5 });
    expect(termAt('0o78')).toStrictEqual({ term: int(7n), offset: 3 });
    expect(termAt('0b102')).toStrictEqual({ term: int(2n), offset: 4 });
    expect(termAt('0x1fg')).toStrictEqual({ term: int(31n), offset: 4 });
    expect(termAt('0x')).toStrictEqual({ term: int(0n), offset: 1 });
    expect(termAt('0xg')).toStrictEqual({ term: int(0n), offset: 1 });
    expect(termAt('0o8')).toStrictEqual({ term: int(0n), offset: 1 });
    expect(termAt('0b2')).toStrictEqual({ term: int(0n), offset: 1 });
    expect(termAt('1x1')).toStrictEqual({ term: int(1n), offset: 1 });
    expect(termAt('1o7')).toStrictEqual({ term: int(1n), offset: 1 });
    expect(termAt('1b1')).toStrictEqual({ term: int(1n), offset: 1 });
    expect(termAt("2'1")).toStrictEqual({ term: int(2n), offset: 1 });
  });

  it("reads character codes: plain, escaped, astral, '' and '''", () => {
    expect(termAt("0'a")).toStrictEqual({ term: int(97n), offset: 3 });
    expect(termAt("0'a'")).toStrictEqual({ term: int(97n), offset: 3 });
    expect(termAt("-0'a")).toStrictEqual({ term: int(-97n), offset: 4 });
    expect(termAt("0'''")).toStrictEqual({ term: int(39n), offset: 4 });
    expect(termAt("0''.")).toStrictEqual({ term: int(39n), offset: 3 });
    expect(readClause("0''.")).toStrictEqual(int(39n));
    expect(termAt("0'\\n")).toStrictEqual({ term: int(10n), offset: 4 });
    expect(termAt("0'\\x41\\")).toStrictEqual({ term: int(65n), offset: 7 });
    expect(termAt("0'𝄞")).toStrictEqual({ term: int(0x1d11en), offset: 4 });
    expect(termAt("0'\uffffx")).toStrictEqual({ term: int(0xffffn), offset: 3 });
    expect(termAt("0' ")).toStrictEqual({ term: int(32n), offset: 3 });
    expect(clauseError("0'")).toBe('unexpected end in a character code at offset 2');
    expect(clauseError("0'\\\n.")).toBe('a line continuation is not a character at offset 4');
  });

  it('reads floats with a fraction, an exponent or both', () => {
    expect(termAt('1.5')).toStrictEqual({ term: float(1.5), offset: 3 });
    expect(termAt('-3.25')).toStrictEqual({ term: float(-3.25), offset: 5 });
    expect(termAt('1_0.2_5')).toStrictEqual({ term: float(10.25), offset: 7 });
    expect(termAt('1.0e10')).toStrictEqual({ term: float(1e10), offset: 6 });
    expect(termAt('1.0E10')).toStrictEqual({ term: float(1e10), offset: 6 });
    expect(termAt('2e3')).toStrictEqual({ term: float(2000), offset: 3 });
    expect(termAt('1.5e+2')).toStrictEqual({ term: float(150), offset: 6 });
    expect(termAt('1.5e-2')).toStrictEqual({ term: float(0.015), offset: 6 });
    expect(termAt('-1.5E-2')).toStrictEqual({ term: float(-0.015), offset: 7 });
    expect(termAt('5.0e-324')).toStrictEqual({ term: float(5e-324), offset: 8 });
  });

  it('leaves a dot or an e that starts no fraction or exponent unread', () => {
    expect(termAt('1e')).toStrictEqual({ term: int(1n), offset: 1 });
    expect(termAt('1e+')).toStrictEqual({ term: int(1n), offset: 1 });
    expect(termAt('1e-x')).toStrictEqual({ term: int(1n), offset: 1 });
    expect(termAt('1ex2')).toStrictEqual({ term: int(1n), offset: 1 });
    expect(termAt('1.e5')).toStrictEqual({ term: int(1n), offset: 1 });
    expect(termAt('1.0e')).toStrictEqual({ term: float(1), offset: 3 });
    expect(termAt('1.0e+x')).toStrictEqual({ term: float(1), offset: 3 });
    expect(clauseError('1e+.')).toBe('expected a full stop at offset 1');
    expect(clauseError('1.e5.')).toBe('expected a full stop at offset 1');
  });

  it('reads infinities and NaN after a float only', () => {
    expect(termAt('1.0Inf')).toStrictEqual({ term: float(Infinity), offset: 6 });
    expect(termAt('-1.0Inf')).toStrictEqual({ term: float(-Infinity), offset: 7 });
    expect(termAt('1.5NaN')).toStrictEqual({ term: float(NaN), offset: 6 });
    expect(termAt('-1.5NaN')).toStrictEqual({ term: float(NaN), offset: 7 });
    expect(termAt('1Inf')).toStrictEqual({ term: int(1n), offset: 1 });
    expect(termAt('1NaN')).toStrictEqual({ term: int(1n), offset: 1 });
    expect(clauseError('1.0Infx.')).toBe('expected a full stop at offset 6');
  });

  it('reads -0.0 as negative zero', () => {
    const { term } = termAt('-0.0');
    expect(term.kind).toBe('float');
    expect(Object.is((term as { value: number }).value, -0)).toBe(true);
  });
});

describe('compound terms and lists', () => {
  it('reads arguments with layout around them, but no layout before "("', () => {
    expect(readClause('f( a , "b" ,1 ).')).toStrictEqual(compound('f', atom('a'), str('b'), int(1n)));
    expect(readClause('f(g(X),[]).')).toStrictEqual(compound('f', compound('g', variable('X')), list()));
    expect(clauseError('f (a).')).toBe('expected a full stop at offset 2');
    expect(clauseError('f(a b).')).toBe('expected "," or ")" in arguments at offset 4');
    expect(clauseError('f(a')).toBe('expected "," or ")" in arguments at offset 3');
  });

  it('reads parenthesised terms', () => {
    expect(readClause('( a ).')).toStrictEqual(atom('a'));
    expect(readClause('f((b)).')).toStrictEqual(compound('f', atom('b')));
    expect(clauseError('(a b).')).toBe('expected ")" at offset 3');
  });

  it('reads lists, empty or not, with and without a tail', () => {
    expect(readClause('[].')).toStrictEqual(list());
    expect(readClause('[ ].')).toStrictEqual(list());
    expect(readClause('[ a , b ].')).toStrictEqual(list(atom('a'), atom('b')));
    expect(readClause('[a,b|T].')).toStrictEqual({ kind: 'list', items: [atom('a'), atom('b')], tail: variable('T') });
    expect(readClause('[a | [] ].')).toStrictEqual({ kind: 'list', items: [atom('a')], tail: list() });
    expect(clauseError('[a b].')).toBe('expected ",", "|" or "]" in a list at offset 3');
    expect(clauseError('[a')).toBe('expected ",", "|" or "]" in a list at offset 2');
    expect(clauseError('[a|b,c].')).toBe('expected "]" at offset 4');
    expect(clauseError('[a,].')).toBe('unexpected character "]" at offset 3');
  });
});

describe('dicts', () => {
  it('reads dicts tagged by an atom, a quoted atom or a variable', () => {
    expect(readClause('a{}.')).toStrictEqual({ kind: 'dict', tag: atom('a'), pairs: [] });
    expect(readClause('_{ }.')).toStrictEqual({ kind: 'dict', tag: variable('_'), pairs: [] });
    expect(readClause("'t x'{k:v}.")).toStrictEqual({ kind: 'dict', tag: atom('t x'), pairs: [['k', atom('v')]] });
    expect(readClause('T{ a : 1 , b : "x" }.')).toStrictEqual({
      kind: 'dict', tag: variable('T'), pairs: [['a', int(1n)], ['b', str('x')]],
    });
  });

  it('keeps integer keys as bigints and tells them apart from atoms that look alike', () => {
    expect(readClause("_{1:a,2:b,'1':c,-3:d}.")).toStrictEqual({
      kind: 'dict', tag: variable('_'), pairs: [[1n, atom('a')], [2n, atom('b')], ['1', atom('c')], [-3n, atom('d')]],
    });
  });

  it('is a dict only when "{" follows an atom or variable immediately', () => {
    expect(clauseError('a {}.')).toBe('expected a full stop at offset 2');
    expect(clauseError('"s"{}.')).toBe('expected a full stop at offset 3');
    expect(clauseError('1{}.')).toBe('expected a full stop at offset 1');
    expect(clauseError('f(x){}.')).toBe('expected a full stop at offset 4');
    expect(clauseError('[]{}.')).toBe('expected a full stop at offset 2');
  });

  it('refuses bad keys, duplicate keys and bad separators where they are', () => {
    expect(clauseError('_{f(x):1}.')).toBe('a dict key must be an atom or a small integer at offset 6');
    expect(clauseError('_{"s":1}.')).toBe('a dict key must be an atom or a small integer at offset 5');
    expect(clauseError('_{a:1,a:2}.')).toBe('duplicate dict key a at offset 7');
    expect(clauseError('_{1:a,1:b}.')).toBe('duplicate dict key 1 at offset 7');
    expect(clauseError('_{a 1}.')).toBe('expected ":" at offset 4');
    expect(clauseError('_{a:1 b:2}.')).toBe('expected "," or "}" in a dict at offset 6');
    expect(clauseError('_{a:1')).toBe('expected "," or "}" in a dict at offset 5');
    expect(clauseError('_{a:1,}.')).toBe('unexpected character "}" at offset 6');
  });
});

describe('writeAtom', () => {
  it('leaves plain lower-case words bare', () => {
    for (const name of ['a', 'abc', 'aB', 'a1', 'a_', 'zZ9_x']) expect(writeAtom(name), name).toBe(name);
  });

  it('quotes everything else, escaping the single quote and backslash only', () => {
    expect(writeAtom('')).toBe("''");
    expect(writeAtom('Abc')).toBe("'Abc'");
    expect(writeAtom('_a')).toBe("'_a'");
    expect(writeAtom('1a')).toBe("'1a'");
    expect(writeAtom('a b')).toBe("'a b'");
    expect(writeAtom('ab!')).toBe("'ab!'");
    expect(writeAtom('!ab')).toBe("'!ab'");
    expect(writeAtom('é')).toBe("'é'");
    expect(writeAtom('[]')).toBe("'[]'");
    expect(writeAtom(`it's "a\\b"`)).toBe(`'it\\'s "a\\\\b"'`);
  });
});

describe('writeString', () => {
  it('escapes the double quote, backslash, newline, tab and other control characters', () => {
    expect(writeString('')).toBe('""');
    expect(writeString(`it's "a\\b"`)).toBe(`"it's \\"a\\\\b\\""`);
    expect(writeString('a\nb\tc')).toBe('"a\\nb\\tc"');
    expect(writeString('\x00\x01\r\x1f \x7f\x80~')).toBe('"\\x0\\\\x1\\\\xd\\\\x1f\\ \\x7f\\\x80~"');
    expect(writeString('é𝄞')).toBe('"é𝄞"');
  });

  it('writes what the reader reads back', () => {
    const text = 'q"\'\\\n\t\x00\x1f\x7f é𝄞';
    expect(readClause(`${writeString(text)}.`)).toStrictEqual(str(text));
    expect(readClause(`${writeAtom(text)}.`)).toStrictEqual(atom(text));
  });
});

describe('writeFloat', () => {
  it('always writes a dot or Inf/NaN', () => {
    expect(writeFloat(NaN)).toBe('1.5NaN');
    expect(writeFloat(Infinity)).toBe('1.0Inf');
    expect(writeFloat(-Infinity)).toBe('-1.0Inf');
    expect(writeFloat(-0)).toBe('-0.0');
    expect(writeFloat(0)).toBe('0.0');
    expect(writeFloat(3)).toBe('3.0');
    expect(writeFloat(-2.5)).toBe('-2.5');
    expect(writeFloat(0.1)).toBe('0.1');
    expect(writeFloat(1e21)).toBe('1.0e21');
    expect(writeFloat(-1.5e300)).toBe('-1.5e300');
    expect(writeFloat(1.5e-7)).toBe('1.5e-7');
    expect(writeFloat(5e-324)).toBe('5.0e-324');
  });
});

// What SWI-Prolog 9's writeq/1 (so `~q`) writes without quotes must read back as the same
// atom: SWI classifies characters by Unicode's ID_Start, ID_Continue and Uppercase properties,
// and reads any non-ASCII symbol or punctuation character as a symbol character. Each case below
// was checked against swipl 9.0.4 (writeq leaves it bare, and read_term gives this term).
describe('what SWI-Prolog writes unquoted', () => {
  it('reads atoms starting with a title-case or modifier letter or a letter number', () => {
    expect(readClause('ǅx.')).toStrictEqual(atom('ǅx'));
    expect(readClause('ʰa.')).toStrictEqual(atom('ʰa'));
    expect(readClause('ⅰ.')).toStrictEqual(atom('ⅰ'));
    expect(readClause('ª.')).toStrictEqual(atom('ª'));
  });

  it('reads combining marks and connector punctuation inside a name', () => {
    expect(readClause('e\u0301x.')).toStrictEqual(atom('e\u0301x'));
    expect(readClause('a‿b.')).toStrictEqual(atom('a‿b'));
    expect(readClause('x٣.')).toStrictEqual(atom('x٣'));
  });

  it('reads names made of characters outside the BMP', () => {
    expect(readClause('𠀀x.')).toStrictEqual(atom('𠀀x'));
    expect(readClause('𝐚b.')).toStrictEqual(atom('𝐚b'));
    expect(readClause('𝐀b.')).toStrictEqual(variable('𝐀b'));
    expect(readClause('f(a𝐚).')).toStrictEqual(compound('f', atom('a𝐚')));
  });

  it('reads a variable starting with an upper-case letter number', () => {
    expect(readClause('Ⅰx.')).toStrictEqual(variable('Ⅰx'));
  });

  it('reads ; as an atom', () => {
    expect(readClause('f(;).')).toStrictEqual(compound('f', atom(';')));
    expect(readClause('_{a:;}.')).toStrictEqual({ kind: 'dict', tag: variable('_'), pairs: [['a', atom(';')]] });
    expect(readClause(';(a).')).toStrictEqual(compound(';', atom('a')));
  });

  it('reads non-ASCII symbol and punctuation characters as symbol atoms', () => {
    expect(readClause('f(→,€€,«,‿,-→,\u{1F600}).')).toStrictEqual(
      compound('f', atom('→'), atom('€€'), atom('«'), atom('‿'), atom('-→'), atom('\u{1F600}')),
    );
    expect(clauseError('f(a→).')).toBe('expected "," or ")" in arguments at offset 3');
  });

  it('names a whole astral character it cannot read', () => {
    expect(clauseError('f(\u{F0000}).')).toBe('unexpected character "\u{F0000}" at offset 2');
  });
});
