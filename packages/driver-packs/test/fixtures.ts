import { hashObject } from '@gitty/core';

/** Deterministic text of about `lines` lines for version `v` of file `f`: each version edits one line of the previous. */
export function versionText(f: number, v: number, lines = 28): string {
  const out: string[] = [];
  for (let i = 0; i < lines; i++) out.push(`file ${f} line ${i}: the quick brown fox jumps over ${(f * 31 + i * 17) % 97} lazy dogs`);
  for (let k = 1; k <= v; k++) {
    const i = (f * 7 + k * 11) % lines;
    out[i] = `${out[i]} (edit ${k})`;
  }
  return out.join('\n') + '\n';
}

/** A blob object and its hash. */
export function blob(text: string): { hash: string; type: string; data: Uint8Array } {
  const data = new TextEncoder().encode(text);
  return { hash: hashObject('blob', data), type: 'blob', data };
}
