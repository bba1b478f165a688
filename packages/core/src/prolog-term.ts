/**
 * A reader and writer for the subset of Prolog term syntax SWISH's gitty writes with `~q`:
 * atoms (plain, symbolic, quoted), strings with escapes, integers of any size, floats
 * (including `1.0Inf` and `1.5NaN`), negative numbers, lists (with `|` tails), compound terms,
 * variables and dicts (`Tag{Key:Value, …}`). Operators other than a minus sign glued to a
 * number are not read: SWISH's commits, head log and pack headers never contain them.
 */

/** A Prolog term as read. Integers are bigints so any size keeps its exact value. */
export type Term =
  | { kind: 'atom'; name: string }
  | { kind: 'string'; text: string }
  | { kind: 'integer'; value: bigint }
  | { kind: 'float'; value: number }
  | { kind: 'var'; name: string }
  | { kind: 'list'; items: Term[]; tail?: Term }
  | { kind: 'compound'; name: string; args: Term[] }
  | { kind: 'dict'; tag: Term; pairs: Array<[string | bigint, Term]> };

/** Prolog syntax that could not be read; `offset` is where in the text reading stopped. */
export class PrologSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at offset ${offset}`);
  }
}

const SYMBOL_CHARS = '+-*/\\^<>=~:.?@#&$';

function isLayout(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v';
}
function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}
// SWI-Prolog classifies characters by Unicode properties: a name continues with ID_Continue
// (letters, digits, combining marks, `_` and other connectors), a variable starts with `_` or
// an Uppercase character, and an atom with any other ID_Start character (so title-case and
// modifier letters start atoms). Its writeq leaves every name of this shape unquoted, so the
// reader must take them all.
function isNameChar(c: string): boolean {
  return /\p{ID_Continue}/u.test(c);
}
function isVarStart(c: string): boolean {
  return c === '_' || /\p{Uppercase}/u.test(c);
}
/** Only asked after `isVarStart` said no. */
function isAtomStart(c: string): boolean {
  return /\p{ID_Start}/u.test(c);
}
// Beyond ASCII, SWI-Prolog reads every symbol and punctuation character as a symbol character
// (so `→` or `€€` is an atom, written bare by writeq).
function isSymbolChar(c: string): boolean {
  return SYMBOL_CHARS.includes(c) || (c.codePointAt(0)! > 0x7f && /[\p{S}\p{P}]/u.test(c));
}
// The whole character (code point) at `pos`, so a name may hold characters beyond the BMP.
function charAt(t: string, pos: number): string | undefined {
  const code = t.codePointAt(pos);
  return code === undefined ? undefined : String.fromCodePoint(code);
}

/** Reads terms from one text, term after term, each ended by `.` and layout (or the end). */
export class TermReader {
  private pos = 0;

  constructor(private readonly text: string) {}

  /** The offset after the last term read. */
  get offset(): number {
    return this.pos;
  }

  /** True when only layout and comments remain. */
  atEnd(): boolean {
    this.skipLayout();
    return this.pos >= this.text.length;
  }

  /** Read one clause-like term ended by a full stop. */
  readClause(): Term {
    const term = this.readTerm();
    this.skipLayout();
    if (this.text[this.pos] !== '.' || !(this.pos + 1 >= this.text.length || isLayout(this.text[this.pos + 1]!) || this.text[this.pos + 1] === '%')) {
      throw new PrologSyntaxError('expected a full stop', this.pos);
    }
    this.pos++;
    return term;
  }

  private fail(message: string): never {
    throw new PrologSyntaxError(message, this.pos);
  }

  private skipLayout(): void {
    const t = this.text;
    for (;;) {
      const c = t[this.pos];
      if (c === undefined) return;
      if (isLayout(c)) this.pos++;
      else if (c === '%') {
        while (this.pos < t.length && t[this.pos] !== '\n') this.pos++;
      } else if (c === '/' && t[this.pos + 1] === '*') {
        const end = t.indexOf('*/', this.pos + 2);
        if (end < 0) this.fail('unterminated comment');
        this.pos = end + 2;
      } else return;
    }
  }

  private expect(c: string): void {
    this.skipLayout();
    if (this.text[this.pos] !== c) this.fail(`expected "${c}"`);
    this.pos++;
  }

  /** Read one term (no operators except a minus glued to a number). */
  readTerm(): Term {
    this.skipLayout();
    const t = this.text;
    const c = t[this.pos];
    if (c === undefined) this.fail('unexpected end of text');
    let term: Term;
    if (isDigit(c)) term = this.readNumber(false);
    else if (c === '-' && isDigit(t[this.pos + 1])) {
      this.pos++;
      term = this.readNumber(true);
    } else if (c === '"') term = { kind: 'string', text: this.readQuoted('"') };
    else if (c === "'") term = this.afterName(this.readQuoted("'"));
    else if (c === '[') term = this.readList();
    else if (c === '{') {
      this.pos++;
      this.skipLayout();
      if (t[this.pos] !== '}') this.fail('curly terms are not supported');
      this.pos++;
      term = this.afterName('{}');
    } else if (c === '(') {
      this.pos++;
      term = this.readTerm();
      this.expect(')');
    } else if (c === '!' || c === ';') {
      // Solo characters SWI reads as atoms (`,` and `|` it writes quoted).
      this.pos++;
      term = this.afterName(c);
    } else {
      const ch = charAt(t, this.pos)!;
      const start = this.pos;
      if (isVarStart(ch)) {
        this.skipWhile(isNameChar);
        term = { kind: 'var', name: t.slice(start, this.pos) };
      } else if (isAtomStart(ch)) {
        this.skipWhile(isNameChar);
        term = this.afterName(t.slice(start, this.pos));
      } else if (isSymbolChar(ch)) {
        this.skipWhile(isSymbolChar);
        const name = t.slice(start, this.pos);
        if (name === '.' && (this.pos >= t.length || isLayout(t[this.pos]!))) this.fail('unexpected full stop');
        term = this.afterName(name);
      } else {
        this.fail(`unexpected character "${ch}"`);
      }
    }
    // A dict: a tag (atom or variable) immediately followed by "{".
    if ((term.kind === 'atom' || term.kind === 'var') && t[this.pos] === '{') return this.readDict(term);
    return term;
  }

  private skipWhile(test: (c: string) => boolean): void {
    for (;;) {
      const c = charAt(this.text, this.pos);
      if (c === undefined || !test(c)) return;
      this.pos += c.length;
    }
  }

  // An atom, or a compound term when "(" follows immediately.
  private afterName(name: string): Term {
    if (this.text[this.pos] !== '(') return { kind: 'atom', name };
    this.pos++;
    const args: Term[] = [this.readTerm()];
    for (;;) {
      this.skipLayout();
      const c = this.text[this.pos];
      if (c === ',') {
        this.pos++;
        args.push(this.readTerm());
      } else if (c === ')') {
        this.pos++;
        return { kind: 'compound', name, args };
      } else this.fail('expected "," or ")" in arguments');
    }
  }

  private readList(): Term {
    this.pos++;
    this.skipLayout();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return { kind: 'list', items: [] };
    }
    const items: Term[] = [this.readTerm()];
    for (;;) {
      this.skipLayout();
      const c = this.text[this.pos];
      if (c === ',') {
        this.pos++;
        items.push(this.readTerm());
      } else if (c === '|') {
        this.pos++;
        const tail = this.readTerm();
        this.expect(']');
        return { kind: 'list', items, tail };
      } else if (c === ']') {
        this.pos++;
        return { kind: 'list', items };
      } else this.fail('expected ",", "|" or "]" in a list');
    }
  }

  private readDict(tag: Term): Term {
    this.pos++;
    const pairs: Array<[string | bigint, Term]> = [];
    const seen = new Set<string>();
    this.skipLayout();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return { kind: 'dict', tag, pairs };
    }
    for (;;) {
      const keyTerm = this.readTerm();
      let key: string | bigint;
      if (keyTerm.kind === 'atom') key = keyTerm.name;
      else if (keyTerm.kind === 'integer') key = keyTerm.value;
      else this.fail('a dict key must be an atom or a small integer');
      const id = typeof key === 'string' ? `a${key}` : `i${key}`;
      if (seen.has(id)) this.fail(`duplicate dict key ${String(key)}`);
      seen.add(id);
      this.expect(':');
      pairs.push([key, this.readTerm()]);
      this.skipLayout();
      const c = this.text[this.pos];
      if (c === ',') this.pos++;
      else if (c === '}') {
        this.pos++;
        return { kind: 'dict', tag, pairs };
      } else this.fail('expected "," or "}" in a dict');
    }
  }

  private readNumber(negative: boolean): Term {
    const t = this.text;
    const start = this.pos;
    // Radix and character-code forms: 0x1F, 0o17, 0b101, 0'c.
    if (t[this.pos] === '0' && (t[this.pos + 1] === 'x' || t[this.pos + 1] === 'o' || t[this.pos + 1] === 'b')) {
      const re = t[this.pos + 1] === 'x' ? /[0-9a-fA-F]/ : t[this.pos + 1] === 'o' ? /[0-7]/ : /[01]/;
      let end = this.pos + 2;
      while (end < t.length && re.test(t[end]!)) end++;
      if (end > this.pos + 2) {
        const value = BigInt(t.slice(this.pos, end));
        this.pos = end;
        return { kind: 'integer', value: negative ? -value : value };
      }
    }
    if (t[this.pos] === '0' && t[this.pos + 1] === "'") {
      this.pos += 2;
      const code = this.readCharCode();
      return { kind: 'integer', value: BigInt(negative ? -code : code) };
    }
    const digits = (): void => {
      while (isDigit(t[this.pos]) || (t[this.pos] === '_' && isDigit(t[this.pos + 1]))) this.pos++;
    };
    digits();
    let isFloat = false;
    if (t[this.pos] === '.' && isDigit(t[this.pos + 1])) {
      isFloat = true;
      this.pos++;
      digits();
    }
    if ((t[this.pos] === 'e' || t[this.pos] === 'E') && (isDigit(t[this.pos + 1]) || ((t[this.pos + 1] === '+' || t[this.pos + 1] === '-') && isDigit(t[this.pos + 2])))) {
      isFloat = true;
      this.pos += 2;
      digits();
    }
    const literal = t.slice(start, this.pos).replaceAll('_', '');
    if (isFloat) {
      if (t.startsWith('Inf', this.pos)) {
        this.pos += 3;
        return { kind: 'float', value: negative ? -Infinity : Infinity };
      }
      if (t.startsWith('NaN', this.pos)) {
        this.pos += 3;
        return { kind: 'float', value: NaN };
      }
      const value = Number(literal);
      return { kind: 'float', value: negative ? -value : value };
    }
    const value = BigInt(literal);
    return { kind: 'integer', value: negative ? -value : value };
  }

  // One character of a 0'c literal (escapes allowed, '' is a quote).
  private readCharCode(): number {
    const t = this.text;
    const c = t[this.pos];
    if (c === undefined) this.fail('unexpected end in a character code');
    if (c === '\\') return this.readEscape() ?? this.fail('a line continuation is not a character');
    if (c === "'" && t[this.pos + 1] === "'") {
      this.pos += 2;
      return 0x27;
    }
    const code = t.codePointAt(this.pos)!;
    this.pos += code > 0xffff ? 2 : 1;
    return code;
  }

  // The body of a quoted atom or string; the quote doubled stands for itself.
  private readQuoted(quote: string): string {
    const t = this.text;
    this.pos++;
    let out = '';
    for (;;) {
      const c = t[this.pos];
      if (c === undefined) this.fail('unterminated quoted text');
      if (c === quote) {
        if (t[this.pos + 1] === quote) {
          out += quote;
          this.pos += 2;
          continue;
        }
        this.pos++;
        return out;
      }
      if (c === '\\') {
        const code = this.readEscape();
        if (code !== undefined) out += String.fromCodePoint(code);
        continue;
      }
      if (c === '\n') this.fail('a newline inside quoted text must be escaped');
      out += c;
      this.pos++;
    }
  }

  // An escape sequence after a backslash; undefined for a line continuation.
  private readEscape(): number | undefined {
    const t = this.text;
    this.pos++;
    const c = t[this.pos];
    this.pos++;
    switch (c) {
      case 'n': return 0x0a;
      case 't': return 0x09;
      case 'r': return 0x0d;
      case 'a': return 0x07;
      case 'b': return 0x08;
      case 'f': return 0x0c;
      case 'v': return 0x0b;
      case 'e': return 0x1b;
      case 's': return 0x20;
      case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': {
        let end = this.pos - 1;
        while (end < t.length && /[0-7]/.test(t[end]!)) end++;
        const code = parseInt(t.slice(this.pos - 1, end), 8);
        this.pos = t[end] === '\\' ? end + 1 : end;
        return this.checkCode(code);
      }
      case 'x': {
        let end = this.pos;
        while (end < t.length && /[0-9a-fA-F]/.test(t[end]!)) end++;
        if (end === this.pos) this.fail('\\x needs hex digits');
        const code = parseInt(t.slice(this.pos, end), 16);
        this.pos = t[end] === '\\' ? end + 1 : end;
        return this.checkCode(code);
      }
      case 'u': case 'U': {
        const n = c === 'u' ? 4 : 8;
        const hex = t.slice(this.pos, this.pos + n);
        if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(hex)) this.fail(`\\${c} needs ${n} hex digits`);
        this.pos += n;
        return this.checkCode(parseInt(hex, 16));
      }
      case '\n': return undefined;
      case '\\': case "'": case '"': case '`': return c.codePointAt(0)!;
      default: this.fail(`unknown escape "\\${c ?? ''}"`);
    }
  }

  private checkCode(code: number): number {
    if (!(code <= 0x10ffff) || (code >= 0xd800 && code <= 0xdfff)) this.fail(`character code ${code} is not a Unicode scalar value`);
    return code;
  }
}

/** Read the single clause in `text` (a term followed by a full stop). */
export function readClause(text: string): Term {
  const reader = new TermReader(text);
  const term = reader.readClause();
  if (!reader.atEnd()) throw new PrologSyntaxError('text after the full stop', reader.offset);
  return term;
}

const PLAIN_ATOM = /^[a-z][a-zA-Z0-9_]*$/;

/** An atom as `~q` would need it: bare when it is a plain lower-case word, else quoted. */
export function writeAtom(name: string): string {
  if (PLAIN_ATOM.test(name)) return name;
  return `'${escapeQuoted(name, "'")}'`;
}

/** A Prolog string literal (`"…"`) with escapes for the quote, backslash and control characters. */
export function writeString(text: string): string {
  return `"${escapeQuoted(text, '"')}"`;
}

function escapeQuoted(text: string, quote: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16)}\\`;
    else out += ch;
  }
  return out;
}

/** A float in Prolog syntax: always with a dot (or Inf/NaN), so it reads back as a float. */
export function writeFloat(value: number): string {
  if (Number.isNaN(value)) return '1.5NaN';
  if (value === Infinity) return '1.0Inf';
  if (value === -Infinity) return '-1.0Inf';
  if (Object.is(value, -0)) return '-0.0';
  const js = String(value); // shortest round-trip form: 0.1, 1e+21, 5e-324, 1.5e-7
  const [mantissa, exponent] = js.split('e') as [string, string | undefined];
  const withDot = mantissa.includes('.') ? mantissa : `${mantissa}.0`;
  return exponent === undefined ? withDot : `${withDot}e${exponent.replace('+', '')}`;
}
